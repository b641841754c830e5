"""Shopify Admin GraphQL client and the ``shopify.order_lookup`` action.

Inputs: ``order_number`` (``1001`` or ``#1001``), ``email`` and/or ``phone`` (default:
the conversation contact's). Success data: ``order_name``, ``status`` (open, closed,
cancelled), ``financial_status``, ``fulfillment_status``, ``items`` ([{name, quantity}]),
``tracking`` ([{number, url, company}]), ``tracking_numbers``, ``tracking_links``.
Not found and not the customer's give the same ``declined`` so nothing leaks.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import aiohttp

from bot.core.config import Settings
from bot.core.errors import RelaybotError
from integrations.contact_match import belongs_to, customer_identity
from workflows.actions import Action, ActionContext, ActionResult

logger = logging.getLogger(__name__)

API_VERSION = "2025-01"
NOT_FOUND = "no order with that number for this customer"
ORDER_QUERY = """
query OrderByName($query: String!) {
  orders(first: 5, query: $query) {
    nodes {
      name email phone createdAt cancelledAt closedAt
      displayFinancialStatus displayFulfillmentStatus
      customer { email phone }
      shippingAddress { phone }
      lineItems(first: 50) { nodes { name quantity } }
      fulfillments(first: 10) { status trackingInfo(first: 10) { number url company } }
    }
  }
}
"""


class ShopifyError(RelaybotError):
    """Shopify could not answer (HTTP error, throttling, timeout, GraphQL error)."""


class OrderSource(Protocol):
    """Where ``shopify.order_lookup`` finds orders: Shopify, or the demo shop in demo mode."""

    @property
    def configured(self) -> bool: ...

    async def find_orders(self, order_name: str) -> list[dict[str, Any]]:
        """Order nodes (Shopify's GraphQL shape) whose name is exactly ``order_name``."""
        ...


class ShopifyClient:
    """The few Admin API calls relaybot needs, over a shared aiohttp session."""

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, *, timeout_s: float = 10.0
    ) -> None:
        self._session = session
        self._settings = settings
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    @property
    def configured(self) -> bool:
        s = self._settings
        return s.shopify_access_token is not None and bool(s.shopify_api_base_url or s.shopify_shop)

    @property
    def endpoint(self) -> str:
        base = self._settings.shopify_api_base_url or f"https://{self._settings.shopify_shop}"
        return f"{base.rstrip('/')}/admin/api/{API_VERSION}/graphql.json"

    async def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        token = self._settings.shopify_access_token
        if token is None:
            raise ShopifyError("shopify is not configured")
        headers = {"X-Shopify-Access-Token": token.get_secret_value()}
        try:
            async with self._session.post(
                self.endpoint,
                json={"query": query, "variables": variables},
                headers=headers,
                timeout=self._timeout,
            ) as resp:
                payload: Any = await resp.json(content_type=None) if resp.status < 300 else None
                _check_status(resp.status)
        except TimeoutError as exc:
            raise ShopifyError("shopify timed out") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise ShopifyError(f"shopify request failed: {type(exc).__name__}") from exc
        return _check_payload(payload)

    async def find_orders(self, order_name: str) -> list[dict[str, Any]]:
        """Orders whose name is exactly ``order_name`` (Shopify's search is fuzzy)."""
        data = await self.graphql(ORDER_QUERY, {"query": f"name:{order_name}"})
        nodes = ((data.get("orders") or {}).get("nodes")) or []
        wanted = _bare(order_name)
        return [n for n in nodes if isinstance(n, dict) and _bare(str(n.get("name"))) == wanted]


def _check_status(status: int) -> None:
    if status < 300:
        return
    if status == 429:
        raise ShopifyError("shopify is throttling requests (HTTP 429)")
    if status in (401, 403):
        raise ShopifyError(f"shopify refused the access token (HTTP {status})")
    raise ShopifyError(f"shopify answered HTTP {status}")


def _check_payload(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ShopifyError("shopify sent an unexpected answer")
    errors = payload.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else {}
        code = (first.get("extensions") or {}).get("code") if isinstance(first, dict) else None
        if code == "THROTTLED":
            raise ShopifyError("shopify is throttling requests")
        message = first.get("message") if isinstance(first, dict) else str(errors)
        raise ShopifyError(f"shopify query failed: {message}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise ShopifyError("shopify sent an unexpected answer")
    return data


def _bare(order_name: str) -> str:
    return order_name.strip().lstrip("#").casefold()


def clean_order_number(value: object) -> str | None:
    """``#1001`` / ``1001`` / `` SH-1001 `` -> ``#1001`` style name, or None if unusable."""
    text = str(value or "").strip().lstrip("#").strip()
    if not text or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}", text):
        return None
    return f"#{text}"


def order_result(order: dict[str, Any]) -> dict[str, Any]:
    """The variables a workflow gets from one Shopify order node."""
    status = (
        "cancelled" if order.get("cancelledAt") else "closed" if order.get("closedAt") else "open"
    )
    tracking = [
        {"number": t.get("number"), "url": t.get("url"), "company": t.get("company")}
        for f in order.get("fulfillments") or []
        for t in f.get("trackingInfo") or []
    ]
    items = [
        {"name": i.get("name"), "quantity": i.get("quantity")}
        for i in (order.get("lineItems") or {}).get("nodes") or []
    ]
    return {
        "order_name": order.get("name"),
        "status": status,
        "financial_status": str(order.get("displayFinancialStatus") or "").lower() or None,
        "fulfillment_status": str(order.get("displayFulfillmentStatus") or "").lower() or None,
        "created_at": order.get("createdAt"),
        "items": items,
        "tracking": tracking,
        "tracking_numbers": [t["number"] for t in tracking if t["number"]],
        "tracking_links": [t["url"] for t in tracking if t["url"]],
    }


def _owned(order: dict[str, Any], email: object, phone: object) -> bool:
    customer = order.get("customer") or {}
    address = order.get("shippingAddress") or {}
    emails = [order.get("email"), customer.get("email")]
    phones = [order.get("phone"), customer.get("phone"), address.get("phone")]
    return belongs_to(emails, phones, email=email, phone=phone)


def make_order_lookup_action(client: OrderSource) -> Action:
    """Build ``shopify.order_lookup`` around an order source (the Shopify client)."""

    async def order_lookup(inputs: dict[str, Any], ctx: ActionContext) -> ActionResult:
        if not client.configured:
            return ActionResult(outcome="failure", reason="shopify is not configured")
        name = clean_order_number(inputs.get("order_number"))
        if name is None:
            return ActionResult(outcome="declined", reason="no valid order number given")
        email, phone = customer_identity(inputs, ctx.context)
        if not email and not phone:
            return ActionResult(outcome="declined", reason="no e-mail or phone to verify the order")
        try:
            orders = await client.find_orders(name)
        except ShopifyError as exc:
            logger.warning(
                "order lookup failed: %s", exc, extra={"run_id": ctx.run_id, "step_id": ctx.step_id}
            )
            return ActionResult(outcome="failure", reason=str(exc))
        for order in orders:
            if _owned(order, email, phone):
                return ActionResult(
                    outcome="success", data=order_result(order), reason="order found"
                )
        return ActionResult(outcome="declined", reason=NOT_FOUND)

    return order_lookup
