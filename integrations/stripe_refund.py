"""The ``stripe.refund`` action, with the official ``stripe`` library over aiohttp.

Inputs: ``payment_intent`` or ``charge``; ``amount`` in major units (``12.50``; omit for
the full amount left) and ``currency`` (default ``RELAYBOT_DEFAULT_CURRENCY``);
``reason`` (duplicate, fraudulent, requested_by_customer, or free text kept in the
refund's metadata); safeguards ``confirm_with_customer`` (with an optional
``confirm_question``) and ``require_approval_above`` (see
:mod:`integrations.refund_safeguards`). Who confirmed and who approved go in the refund's
metadata.

The Stripe Idempotency-Key is the run step's ``idempotency_key``: the same step retried,
resumed after a crash, or re-run after approval never refunds twice. Card and state
errors (already refunded, amount too large, no such payment) are ``declined``;
authentication, rate limits, Stripe outages and network errors are ``failure``.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import stripe
from stripe.params import RefundCreateParams

from bot.core.config import Settings
from integrations.money import InvalidAmount, format_money, to_major, to_minor
from integrations.refund_safeguards import (
    STRIPE_REASONS,
    RefundRequest,
    granted_by,
    parse_refund_inputs,
    pending_result,
    pending_safeguard,
)
from workflows.actions import Action, ActionContext, ActionResult

logger = logging.getLogger(__name__)


class StripeRefunder:
    """Creates refunds through ``stripe.StripeClient`` on the shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        timeout_s: float = 30.0,
        max_network_retries: int = 2,
    ) -> None:
        self._session = session
        self._settings = settings
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retries = max_network_retries

    @property
    def configured(self) -> bool:
        return self._settings.stripe_api_key is not None

    def _client(self) -> stripe.StripeClient:
        key = self._settings.stripe_api_key
        if key is None:
            raise stripe.AuthenticationError("stripe is not configured")
        return stripe.StripeClient(
            key.get_secret_value(),
            base_addresses={"api": self._settings.stripe_api_base_url.rstrip("/")},
            http_client=stripe.AIOHTTPClient(session=self._session, timeout=self._timeout),
            max_network_retries=self._retries,
        )

    async def refund(
        self, request: RefundRequest, *, idempotency_key: str, metadata: dict[str, str]
    ) -> stripe.Refund:
        meta = dict(metadata)
        params: RefundCreateParams = {"metadata": meta}
        if request.payment_intent:
            params["payment_intent"] = request.payment_intent
        elif request.charge:
            params["charge"] = request.charge
        if request.amount is not None:
            params["amount"] = to_minor(request.amount, request.currency)
        if request.reason in STRIPE_REASONS:
            params["reason"] = request.reason
        elif request.reason:
            meta["reason"] = request.reason[:500]
        return await self._client().v1.refunds.create_async(
            params, {"idempotency_key": idempotency_key}
        )


def refund_data(refund: stripe.Refund) -> dict[str, Any]:
    currency = str(refund.currency)
    amount = to_major(int(refund.amount), currency)
    return {
        "refund_id": refund.id,
        "status": refund.status,
        "amount": str(amount),
        "currency": currency,
        "amount_display": format_money(amount, currency),
        "payment_intent": _id_of(refund.payment_intent),
        "charge": _id_of(refund.charge),
    }


def _id_of(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(getattr(value, "id", value))


def _error_result(exc: stripe.StripeError) -> ActionResult:
    code = getattr(exc, "code", None)
    message = exc.user_message or "no details"
    if isinstance(exc, stripe.CardError | stripe.InvalidRequestError):
        reason = f"stripe declined the refund ({code or type(exc).__name__}): {message}"
        return ActionResult(outcome="declined", data={"error_code": code}, reason=reason)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        reason = "stripe refused the API key"
    elif isinstance(exc, stripe.RateLimitError):
        reason = "stripe is rate limiting requests"
    elif isinstance(exc, stripe.APIConnectionError):
        reason = "stripe could not be reached"
    elif isinstance(exc, stripe.IdempotencyError):
        reason = "stripe refused a reused idempotency key with different inputs"
    else:
        reason = f"stripe error (HTTP {exc.http_status}): {message}"
    return ActionResult(outcome="failure", data={"error_code": code}, reason=reason)


def make_refund_action(refunder: StripeRefunder, settings: Settings) -> Action:
    """Build ``stripe.refund`` around a refunder."""

    async def refund(inputs: dict[str, Any], ctx: ActionContext) -> ActionResult:
        if not refunder.configured:
            return ActionResult(outcome="failure", reason="stripe is not configured")
        try:
            request = parse_refund_inputs(inputs, settings)
        except InvalidAmount as exc:
            return ActionResult(outcome="declined", reason=f"invalid refund: {exc}")
        pending = pending_safeguard(request, settings, ctx)
        if pending is not None:
            return pending_result(pending)
        log_extra = {"run_id": ctx.run_id, "step_id": ctx.step_id}
        metadata = {
            "relaybot_run_id": str(ctx.run_id),
            "relaybot_step_id": ctx.step_id,
            **granted_by(ctx),
        }
        try:
            created = await refunder.refund(
                request, idempotency_key=ctx.idempotency_key, metadata=metadata
            )
        except stripe.StripeError as exc:
            result = _error_result(exc)
            logger.warning("refund %s: %s", request.target, result.reason, extra=log_extra)
            return result
        data = refund_data(created)
        logger.info(
            "refund %s for %s: %s",
            data["refund_id"],
            request.target,
            data["status"],
            extra=log_extra,
        )
        if data["status"] in ("failed", "canceled"):
            return ActionResult(outcome="declined", data=data, reason=f"refund {data['status']}")
        return ActionResult(
            outcome="success", data=data, reason=f"refunded {data['amount_display']}"
        )

    return refund
