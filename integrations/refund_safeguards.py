"""Refund inputs and their safeguards: customer confirmation and agent approval.

The ``stripe.refund`` action never pays out past a safeguard on its own. When one
applies and the run has not cleared it, the action returns ``declined`` with
``data["pending"]`` (a :class:`PendingSafeguard`). A runner that handles safeguards
sees :func:`pending_of` on the result, asks the customer or posts Approve / Reject to
Slack, suspends, and calls the action again with the :func:`grant` record under
``ctx.context[pending.context_key]``. A runner that does not takes ``declined``: safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from bot.config import Settings
from integrations.money import InvalidAmount, format_money, parse_amount, to_minor
from workflows.actions import ActionContext, ActionResult

CONFIRMATION_KEY = "refund_confirmation"
APPROVAL_KEY = "refund_approval"
STRIPE_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})


class RefundRequest(BaseModel):
    """A validated refund: what to refund, how much (None = everything left), why."""

    payment_intent: str | None = None
    charge: str | None = None
    amount: Decimal | None = None
    currency: str
    reason: str | None = None
    require_approval_above: Decimal | None = None
    confirm_with_customer: bool = False

    @property
    def target(self) -> str:
        return self.payment_intent or self.charge or ""

    def describe(self) -> str:
        how_much = (
            "the full amount" if self.amount is None else format_money(self.amount, self.currency)
        )
        return f"refund {how_much} of {self.target}"


def parse_refund_inputs(inputs: Mapping[str, Any], settings: Settings) -> RefundRequest:
    """Validate step inputs; raises :class:`InvalidAmount` (a ValueError) with the reason."""
    intent, charge = inputs.get("payment_intent"), inputs.get("charge")
    if bool(intent) == bool(charge):
        raise InvalidAmount("give exactly one of payment_intent or charge")
    currency = str(inputs.get("currency") or settings.default_currency).strip().lower()
    amount = None
    if inputs.get("amount") not in (None, ""):
        amount = parse_amount(inputs["amount"])
        to_minor(amount, currency)  # precision check
    limit = inputs.get("require_approval_above")
    return RefundRequest(
        payment_intent=str(intent) if intent else None,
        charge=str(charge) if charge else None,
        amount=amount,
        currency=currency,
        reason=str(inputs["reason"]) if inputs.get("reason") else None,
        require_approval_above=_limit(limit),
        confirm_with_customer=bool(inputs.get("confirm_with_customer", False)),
    )


def _limit(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    if value in (0, "0"):
        return Decimal(0)
    return parse_amount(value)


def approval_threshold(request: RefundRequest, settings: Settings) -> Decimal | None:
    """The lower of the global and the step's limit, if any is set."""
    limits = [
        x for x in (settings.refund_approval_above, request.require_approval_above) if x is not None
    ]
    return min(limits) if limits else None


def needs_approval(request: RefundRequest, settings: Settings) -> bool:
    """Above the threshold, or not comparable to it (full refund, other currency)."""
    threshold = approval_threshold(request, settings)
    if threshold is None:
        return False
    if request.amount is None or request.currency != settings.default_currency.lower():
        return True
    return request.amount > threshold


class PendingSafeguard(BaseModel):
    """What the runner must clear before the refund can run."""

    kind: Literal["confirmation", "approval"]
    context_key: str
    idempotency_key: str
    target: str
    amount: str | None
    currency: str
    summary: str
    threshold: str | None = None


def _pending(
    kind: Literal["confirmation", "approval"],
    request: RefundRequest,
    ctx: ActionContext,
    threshold: Decimal | None,
) -> PendingSafeguard:
    return PendingSafeguard(
        kind=kind,
        context_key=CONFIRMATION_KEY if kind == "confirmation" else APPROVAL_KEY,
        idempotency_key=ctx.idempotency_key,
        target=request.target,
        amount=None if request.amount is None else str(request.amount),
        currency=request.currency,
        summary=request.describe(),
        threshold=None if threshold is None else str(threshold),
    )


def _cleared(ctx: ActionContext, pending: PendingSafeguard) -> bool:
    record = ctx.context.get(pending.context_key)
    if not isinstance(record, Mapping) or record.get("granted") is not True:
        return False
    fields = ("idempotency_key", "target", "amount", "currency")
    return all(record.get(f) == getattr(pending, f) for f in fields)


def pending_safeguard(
    request: RefundRequest, settings: Settings, ctx: ActionContext
) -> PendingSafeguard | None:
    """The first safeguard this run has not cleared yet, or None to go ahead."""
    if request.confirm_with_customer:
        pending = _pending("confirmation", request, ctx, None)
        if not _cleared(ctx, pending):
            return pending
    if needs_approval(request, settings):
        pending = _pending("approval", request, ctx, approval_threshold(request, settings))
        if not _cleared(ctx, pending):
            return pending
    return None


def grant(pending: PendingSafeguard, *, by: str) -> dict[str, Any]:
    """The record a runner stores under ``ctx.context[pending.context_key]`` once cleared."""
    return {
        "granted": True,
        "by": by,
        **pending.model_dump(include={"idempotency_key", "target", "amount", "currency"}),
    }


def pending_result(pending: PendingSafeguard) -> ActionResult:
    who = "the customer's confirmation" if pending.kind == "confirmation" else "an agent's approval"
    return ActionResult(
        outcome="declined",
        data={"pending": pending.model_dump()},
        reason=f"{pending.summary} needs {who}",
    )


def pending_of(result: ActionResult) -> PendingSafeguard | None:
    """For runners: the safeguard a declined result is waiting on, if any."""
    raw = result.data.get("pending") if result.outcome == "declined" else None
    return PendingSafeguard.model_validate(raw) if isinstance(raw, Mapping) else None
