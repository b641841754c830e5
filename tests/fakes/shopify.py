"""A loopback fake of Shopify's Admin GraphQL API: the ``orders(query:)`` lookup.

Like Shopify, the ``name:`` search is loose (``name:#100`` also finds ``#1001``), a
wrong token gets 401, and ``throttle_next()`` answers HTTP 200 with a THROTTLED error.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, Fault, Recorded

API_PATH = "/admin/api/2025-01/graphql.json"


def make_order(
    name: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    financial: str = "PAID",
    fulfillment: str = "FULFILLED",
    items: list[tuple[str, int]] | None = None,
    tracking: list[tuple[str, str, str]] | None = None,
    cancelled: bool = False,
    closed: bool = False,
) -> dict[str, Any]:
    """An order node shaped like the Admin API's."""
    return {
        "name": name,
        "email": email,
        "phone": None,
        "createdAt": "2026-01-02T10:00:00Z",
        "cancelledAt": "2026-01-03T10:00:00Z" if cancelled else None,
        "closedAt": "2026-01-04T10:00:00Z" if closed else None,
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": fulfillment,
        "customer": {"email": email, "phone": phone},
        "shippingAddress": {"phone": phone},
        "lineItems": {"nodes": [{"name": n, "quantity": q} for n, q in items or []]},
        "fulfillments": [
            {
                "status": "SUCCESS",
                "trackingInfo": [
                    {"number": num, "url": url, "company": co} for num, url, co in tracking or []
                ],
            }
        ]
        if tracking
        else [],
    }


class FakeShopify(FakeServer):
    def __init__(self, token: str = "shpat_test") -> None:
        super().__init__()
        self.token = token
        self.orders: list[dict[str, Any]] = []
        self._throttle = 0
        self.route("POST", API_PATH, self._graphql)

    def add_order(self, name: str, **fields: Any) -> dict[str, Any]:
        order = make_order(name, **fields)
        self.orders.append(order)
        return order

    def throttle_next(self, times: int = 1) -> None:
        self._throttle += times

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        return web.json_response({"errors": fault.body or "Internal error"}, status=fault.status)

    async def _graphql(self, request: web.Request, recorded: Recorded) -> web.Response:
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return web.json_response(
                {
                    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
                },
                status=401,
            )
        if self._throttle:
            self._throttle -= 1
            return web.json_response(
                {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
            )
        body = recorded.json()
        if "orders(" not in body.get("query", ""):
            return web.json_response({"errors": [{"message": "unsupported query"}]})
        search = (body.get("variables") or {}).get("query", "")
        match = re.search(r"name:(\S+)", search)
        term = match.group(1).lstrip("#") if match else ""
        nodes = [o for o in self.orders if term in o["name"].lstrip("#")]
        return web.json_response({"data": {"orders": {"nodes": nodes[:5]}}})
