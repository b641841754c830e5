"""Refund inputs and their safeguards: customer confirmation and agent approval.

The ``stripe.refund`` action never pays out past a safeguard on its own. When one
applies and the run has not cleared it, the action returns ``declined`` with
``data["pending"]`` (a :class:`PendingSafeguard`, in the shape :mod:`bot.domain.holds` reads).
relaybot's runner then asks the customer or posts Approve / Reject to Slack, waits, and
calls the action again with the :func:`grant` record under
``ctx.context[pending.context_key]``. A runner that does not takes ``declined``: safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.core.config import Settings
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
    confirm_question: str | None = None

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
        confirm_with_customer=_flag(inputs.get("confirm_with_customer", False)),
        confirm_question=str(inputs["confirm_question"])
        if inputs.get("confirm_question")
        else None,
    )


def _flag(value: object) -> bool:
    """``true`` in YAML, or ``"true"`` from a template; anything unknown is refused."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0", "", "none"):
        return False
    raise InvalidAmount(f"confirm_with_customer must be true or false, not {value!r}")


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
    question: str | None = None
    timeout_s: float
    details: dict[str, str] = Field(default_factory=dict)


def _pending(
    kind: Literal["confirmation", "approval"],
    request: RefundRequest,
    ctx: ActionContext,
    settings: Settings,
) -> PendingSafeguard:
    threshold = approval_threshold(request, settings) if kind == "approval" else None
    return PendingSafeguard(
        kind=kind,
        context_key=CONFIRMATION_KEY if kind == "confirmation" else APPROVAL_KEY,
        idempotency_key=ctx.idempotency_key,
        target=request.target,
        amount=None if request.amount is None else str(request.amount),
        currency=request.currency,
        summary=request.describe(),
        threshold=None if threshold is None else str(threshold),
        question=request.confirm_question if kind == "confirmation" else None,
        timeout_s=(
            settings.refund_confirm_timeout_s
            if kind == "confirmation"
            else settings.refund_approval_timeout_s
        ),
        details=_details(request, settings, threshold),
    )


def _details(
    request: RefundRequest, settings: Settings, threshold: Decimal | None
) -> dict[str, str]:
    """What an approving agent is shown next to the summary."""
    details = {
        "Payment": request.target,
        "Amount": (
            "everything not yet refunded"
            if request.amount is None
            else format_money(request.amount, request.currency)
        ),
    }
    if threshold is not None:
        details["Approval above"] = format_money(threshold, settings.default_currency)
    if request.reason:
        details["Reason"] = request.reason
    return details


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
        pending = _pending("confirmation", request, ctx, settings)
        if not _cleared(ctx, pending):
            return pending
    if needs_approval(request, settings):
        pending = _pending("approval", request, ctx, settings)
        if not _cleared(ctx, pending):
            return pending
    return None


def grant(pending: PendingSafeguard, *, by: str) -> dict[str, Any]:
    """The record a runner stores under ``ctx.context[pending.context_key]`` once cleared.

    The same as :func:`bot.domain.holds.grant`: the pending item plus ``granted`` and ``by``.
    """
    return {**pending.model_dump(mode="json"), "granted": True, "by": by}


def granted_by(ctx: ActionContext) -> dict[str, str]:
    """Who cleared the safeguards of this call, for the refund's metadata."""
    found: dict[str, str] = {}
    for key, name in ((CONFIRMATION_KEY, "confirmed_by"), (APPROVAL_KEY, "approved_by")):
        record = ctx.context.get(key)
        if isinstance(record, Mapping) and record.get("granted") is True and record.get("by"):
            found[f"relaybot_{name}"] = str(record["by"])[:500]
    return found


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
