"""stripe.refund through the real stripe library against the fake Stripe API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.core.config import Settings
from integrations.refund_safeguards import grant, pending_of
from integrations.stripe_refund import StripeRefunder, make_refund_action
from tests.fakes.stripe import FakeStripe
from workflows.actions import Action, ActionContext

KEY = "sk_test_fake_SECRET_123"


def ctx(key: str = "run-7:refund", /, **context: Any) -> ActionContext:
    return ActionContext(run_id=7, step_id="refund", idempotency_key=key, context=context)


@pytest.fixture
async def api() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe(KEY)
    async with fake:
        yield fake


@pytest.fixture
def build(
    api: FakeStripe, http: aiohttp.ClientSession, make_settings: Callable[..., Settings]
) -> Callable[..., Action]:
    def make(retries: int = 0, timeout: float = 5.0, **values: Any) -> Action:
        settings = make_settings(STRIPE_API_KEY=KEY, STRIPE_API_BASE_URL=api.url, **values)
        refunder = StripeRefunder(http, settings, timeout_s=timeout, max_network_retries=retries)
        return make_refund_action(refunder, settings)

    return make


async def test_full_refund_of_a_payment_intent(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(2599)
    result = await build()(
        {"payment_intent": payment.intent, "reason": "requested_by_customer"}, ctx()
    )
    assert result.outcome == "success", result.reason
    assert result.data == {
        "refund_id": api.refunds[0]["id"],
        "status": "succeeded",
        "amount": "25.99",
        "currency": "usd",
        "amount_display": "25.99 USD",
        "payment_intent": payment.intent,
        "charge": payment.charge,
    }
    (sent,) = api.received("/v1/refunds")
    assert sent.headers["Idempotency-Key"] == "run-7:refund"
    assert sent.form == {
        "payment_intent": payment.intent,
        "reason": "requested_by_customer",
        "metadata[relaybot_run_id]": "7",
        "metadata[relaybot_step_id]": "refund",
    }


async def test_partial_refund_of_a_charge_in_major_units(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(10000, "eur")
    result = await build()(
        {
            "charge": payment.charge,
            "amount": "12.5",
            "currency": "EUR",
            "reason": "damaged in transit",
        },
        ctx(),
    )
    assert result.outcome == "success"
    assert result.data["amount"] == "12.50"
    (sent,) = api.received("/v1/refunds")
    assert sent.form["amount"] == "1250"
    assert sent.form["metadata[reason]"] == "damaged in transit"
    assert "reason" not in sent.form


async def test_zero_decimal_currency(api: FakeStripe, build: Callable[..., Action]) -> None:
    payment = api.add_payment(5000, "jpy")
    result = await build()(
        {"payment_intent": payment.intent, "amount": 1200, "currency": "jpy"}, ctx()
    )
    assert result.data["amount_display"] == "1200 JPY"
    assert api.received("/v1/refunds")[0].form["amount"] == "1200"


async def test_retried_step_never_refunds_twice(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(2000)
    refund = build()
    first = await refund({"payment_intent": payment.intent}, ctx())
    again = await refund({"payment_intent": payment.intent}, ctx())
    assert first.outcome == again.outcome == "success"
    assert first.data["refund_id"] == again.data["refund_id"]
    assert len(api.refunds) == 1
    assert len(api.received("/v1/refunds")) == 2


async def test_lost_response_then_retry_returns_the_same_refund(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(2000)
    refund = build(retries=0)
    api.lose_next_response()
    lost = await refund({"payment_intent": payment.intent, "amount": "5"}, ctx())
    assert lost.outcome == "failure"
    retried = await refund({"payment_intent": payment.intent, "amount": "5"}, ctx())
    assert retried.outcome == "success"
    assert len(api.refunds) == 1
    assert payment.refunded == 500


async def test_library_retry_reuses_the_idempotency_key(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(2000)
    api.lose_next_response()
    result = await build(retries=1)({"payment_intent": payment.intent}, ctx())
    assert result.outcome == "success"
    keys = {r.headers["Idempotency-Key"] for r in api.received("/v1/refunds")}
    assert keys == {"run-7:refund"}
    assert len(api.refunds) == 1


async def test_same_key_other_inputs_is_failure(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(2000)
    refund = build()
    await refund({"payment_intent": payment.intent, "amount": "5"}, ctx())
    result = await refund({"payment_intent": payment.intent, "amount": "6"}, ctx())
    assert result.outcome == "failure"
    assert "idempotency" in (result.reason or "")
    assert len(api.refunds) == 1


async def test_already_refunded_is_declined(api: FakeStripe, build: Callable[..., Action]) -> None:
    payment = api.add_payment(2000)
    refund = build()
    assert (await refund({"payment_intent": payment.intent}, ctx("a"))).outcome == "success"
    result = await refund({"payment_intent": payment.intent}, ctx("b"))
    assert result.outcome == "declined"
    assert result.data == {"error_code": "charge_already_refunded"}
    assert "charge_already_refunded" in (result.reason or "")


@pytest.mark.parametrize(
    ("inputs", "code"),
    [
        ({"amount": "99"}, "amount_too_large"),
        ({"payment_intent": "pi_missing"}, "resource_missing"),
    ],
)
async def test_invalid_requests_are_declined(
    api: FakeStripe, build: Callable[..., Action], inputs: dict[str, Any], code: str
) -> None:
    payment = api.add_payment(2000)
    result = await build()({"payment_intent": payment.intent, **inputs}, ctx())
    assert (result.outcome, result.data["error_code"]) == ("declined", code)


async def test_card_error_is_declined(api: FakeStripe, build: Callable[..., Action]) -> None:
    payment = api.add_payment(2000)
    api.decline_next("expired_card")
    result = await build()({"payment_intent": payment.intent}, ctx())
    assert (result.outcome, result.data["error_code"]) == ("declined", "expired_card")


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "stripe error (HTTP 500)"), (429, "stripe is rate limiting requests")],
)
async def test_api_errors_are_failure(
    api: FakeStripe, build: Callable[..., Action], status: int, reason: str
) -> None:
    payment = api.add_payment(2000)
    api.fail_next(status)
    result = await build()({"payment_intent": payment.intent}, ctx())
    assert result.outcome == "failure"
    assert (result.reason or "").startswith(reason)
    assert api.refunds == []


async def test_timeout_is_failure(api: FakeStripe, build: Callable[..., Action]) -> None:
    payment = api.add_payment(2000)
    api.slow_next(1.0)
    result = await build(timeout=0.1)({"payment_intent": payment.intent}, ctx())
    assert (result.outcome, result.reason) == ("failure", "stripe could not be reached")


async def test_bad_key_is_failure_and_secret_never_logged(
    api: FakeStripe,
    http: aiohttp.ClientSession,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    payment = api.add_payment(2000)
    settings = make_settings(STRIPE_API_KEY="sk_test_WRONG_secret", STRIPE_API_BASE_URL=api.url)
    refund = make_refund_action(StripeRefunder(http, settings, max_network_retries=0), settings)
    with caplog.at_level(logging.DEBUG):
        bad = await refund({"payment_intent": payment.intent}, ctx())
    assert (bad.outcome, bad.reason) == ("failure", "stripe refused the API key")
    assert caplog.records
    assert "sk_test_WRONG_secret" not in caplog.text


async def test_successful_refund_logs_no_secret(
    api: FakeStripe, build: Callable[..., Action], caplog: pytest.LogCaptureFixture
) -> None:
    payment = api.add_payment(2000)
    with caplog.at_level(logging.DEBUG):
        assert (await build()({"payment_intent": payment.intent}, ctx())).outcome == "success"
    assert "refund re_" in caplog.text
    assert KEY not in caplog.text


async def test_not_configured(
    http: aiohttp.ClientSession, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    refund = make_refund_action(StripeRefunder(http, settings), settings)
    result = await refund({"payment_intent": "pi_1"}, ctx())
    assert (result.outcome, result.reason) == ("failure", "stripe is not configured")


@pytest.mark.parametrize(
    "inputs",
    [
        {},
        {"payment_intent": "pi_1", "charge": "ch_1"},
        {"payment_intent": "pi_1", "amount": "-3"},
        {"payment_intent": "pi_1", "amount": "abc"},
        {"payment_intent": "pi_1", "amount": "1.005", "currency": "usd"},
        {"payment_intent": "pi_1", "amount": "1.5", "currency": "jpy"},
    ],
)
async def test_invalid_inputs_are_declined_without_calling_stripe(
    api: FakeStripe, build: Callable[..., Action], inputs: dict[str, Any]
) -> None:
    result = await build()(inputs, ctx())
    assert result.outcome == "declined"
    assert (result.reason or "").startswith("invalid refund")
    assert api.requests == []


async def test_approval_above_threshold_then_granted(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(50000)
    refund = build(RELAYBOT_REFUND_APPROVAL_ABOVE="100")
    inputs = {"payment_intent": payment.intent, "amount": "250"}
    waiting = await refund(inputs, ctx())
    pending = pending_of(waiting)
    assert waiting.outcome == "declined"
    assert pending is not None
    assert (pending.kind, pending.amount, pending.threshold) == ("approval", "250", "100")
    assert api.requests == []
    approved = await refund(inputs, ctx(refund_approval=grant(pending, by="U123")))
    assert approved.outcome == "success"
    assert approved.data["amount"] == "250.00"


async def test_small_refund_needs_no_approval(
    api: FakeStripe, build: Callable[..., Action]
) -> None:
    payment = api.add_payment(50000)
    refund = build(RELAYBOT_REFUND_APPROVAL_ABOVE="100")
    result = await refund({"payment_intent": payment.intent, "amount": "99.99"}, ctx())
    assert result.outcome == "success"


async def test_confirmation_then_approval(api: FakeStripe, build: Callable[..., Action]) -> None:
    payment = api.add_payment(50000)
    refund = build()
    inputs = {
        "payment_intent": payment.intent,
        "amount": "40",
        "confirm_with_customer": True,
        "require_approval_above": "30",
    }
    first = pending_of(await refund(inputs, ctx()))
    assert first is not None
    assert first.kind == "confirmation"
    confirmed = {"refund_confirmation": grant(first, by="customer")}
    second = pending_of(await refund(inputs, ctx(**confirmed)))
    assert second is not None
    assert second.kind == "approval"
    done = await refund(inputs, ctx(**confirmed, refund_approval=grant(second, by="U9")))
    assert done.outcome == "success"
    assert len(api.refunds) == 1
