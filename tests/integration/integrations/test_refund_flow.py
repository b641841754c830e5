"""The refund example through the real runner against the Stripe fake (real stripe library)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from tests.fakes.stripe import FakeStripe
from tests.harness import EXAMPLES, Harness
from workflows.actions import ActionContext, ActionRegistry

from .flows import start, tags

FLOW = EXAMPLES / "refund.yaml"
KEY = "sk_test_flow_key"


@pytest.fixture
async def api() -> AsyncIterator[FakeStripe]:
    server = FakeStripe(api_key=KEY)
    async with server:
        yield server


@pytest.fixture
async def bot(sqlite_url: str, clock: FakeClock, api: FakeStripe) -> AsyncIterator[Harness]:
    harness = await start(sqlite_url, clock, FLOW, STRIPE_API_KEY=KEY, STRIPE_API_BASE_URL=api.url)
    yield harness
    await harness.services.close()


async def refund_flow(bot: Harness, reference: str, answer: str = "yes") -> list[str]:
    await bot.say("I want a refund please")
    assert bot.take()[0].startswith("I can help with a refund.")
    await bot.say(reference)
    assert bot.take() == [
        f"We'll refund payment {reference} in full to the original payment method. Shall we go ahead?"
    ]
    await bot.say(answer)
    return bot.take()


async def test_confirmed_refund_succeeds(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    (reply,) = await refund_flow(bot, payment.intent)
    assert reply.startswith("Done: 12.50 USD is on its way back to you (refund re_")
    assert payment.refunded == 1250
    (sent,) = api.received("/v1/refunds")
    assert sent.headers["Idempotency-Key"].startswith("relaybot-")


async def test_refund_by_charge(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(700)
    (reply,) = await refund_flow(bot, payment.charge)
    assert reply.startswith("Done: 7.00 USD")


async def test_customer_says_no(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    assert await refund_flow(bot, payment.intent, "no") == ["Okay, I won't refund anything."]
    assert api.received("/v1/refunds") == []


async def test_already_refunded_is_declined(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    payment.refunded = 1250
    assert await refund_flow(bot, payment.intent) == [
        f"I couldn't refund payment {payment.intent}: it may already be refunded, or it isn't one we can refund from here.",
        "A colleague will look at your refund and answer here.",
    ]
    assert await tags(bot) == ["needs-human"]


async def test_stripe_down_is_failure(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    api.fail_next(500, times=10)
    assert await refund_flow(bot, payment.intent) == [
        "Our payment system isn't answering right now.",
        "A colleague will look at your refund and answer here.",
    ]
    assert payment.refunded == 0


async def test_retried_refund_refunds_once(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    api.lose_next_response()  # the refund is made, the answer is lost; the call is retried
    (reply,) = await refund_flow(bot, payment.intent)
    assert reply.startswith("Done: 12.50 USD")
    keys = {r.headers["Idempotency-Key"] for r in api.received("/v1/refunds")}
    assert len(api.received("/v1/refunds")) == 2 and len(keys) == 1
    # the step performed again (as after a crash) sends the same key: still one refund
    (run,) = await bot.runs()
    actions = bot.services.extras["actions"]
    assert isinstance(actions, ActionRegistry)
    action = actions.get("stripe.refund")
    assert action is not None
    again = await action(
        {"payment_intent": payment.intent, "reason": "requested_by_customer"},
        ActionContext(run_id=run.id, step_id="refund_intent", idempotency_key=keys.pop()),
    )
    assert again.outcome == "success"
    assert len(api.refunds) == 1 and payment.refunded == 1250
