"""The refund example through the real runner against the Stripe fake (real stripe library).

The customer's confirmation is the action's own safeguard (``confirm_with_customer``): the
runner asks, waits (stored, with a timer) and calls the action again on a yes. Slack is not
configured here, so refunds above the approval threshold are declined at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.events import DomainEvent
from bot.storage.models import Event
from tests.fakes.stripe import FakeStripe
from tests.harness import EXAMPLES, Harness
from workflows.actions import ActionContext, ActionRegistry

from .flows import start, tags
from .stalling_stripe import StallingStripe

FLOW = EXAMPLES / "refund.yaml"
KEY = "sk_test_flow_key"


@pytest.fixture
async def api() -> AsyncIterator[FakeStripe]:
    server = FakeStripe(api_key=KEY)
    async with server:
        yield server


@pytest.fixture
async def bot(database_url: str, clock: FakeClock, api: FakeStripe) -> AsyncIterator[Harness]:
    harness = await start(
        database_url, clock, FLOW, STRIPE_API_KEY=KEY, STRIPE_API_BASE_URL=api.url
    )
    yield harness
    await harness.services.close()


async def ask_refund(bot: Harness, reference: str, amount: str) -> list[str]:
    """Up to the confirmation question; returns what the bot said after the amount."""
    await bot.say("I want a refund please")
    assert bot.take()[0].startswith("I can help with a refund.")
    await bot.say(reference)
    assert bot.take() == ["How much should we refund? (for example 12.50)"]
    await bot.say(amount)
    return bot.take()


async def run_status(bot: Harness) -> tuple[str, str | None]:
    (run,) = await bot.runs()
    return run.status, run.waiting_for


async def test_confirmed_refund_succeeds_once(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(5000)
    assert await ask_refund(bot, payment.intent, "12.50") == [
        f"Refund 12.50 USD of {payment.intent}?"
    ]
    assert bot.channel.sent[-1].choices[0].value == "yes"
    assert await run_status(bot) == ("waiting", "confirmation")
    assert api.received("/v1/refunds") == []
    await bot.say(payload="yes")
    (reply,) = bot.take()
    assert reply.startswith("Done: 12.50 USD is on its way back to you (refund re_")
    assert payment.refunded == 1250
    (sent,) = api.received("/v1/refunds")
    assert sent.headers["Idempotency-Key"].startswith("relaybot-")
    assert sent.form["metadata[relaybot_confirmed_by]"] == "customer"
    assert await run_status(bot) == ("completed", None)


async def test_refund_by_charge(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(700)
    await ask_refund(bot, payment.charge, "7")
    await bot.say("yes")
    (reply,) = bot.take()
    assert reply.startswith("Done: 7.00 USD")


async def test_customer_says_no(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    await ask_refund(bot, payment.intent, "12.50")
    await bot.say(payload="no")
    assert bot.take() == ["Okay, I won't refund anything."]
    assert api.received("/v1/refunds") == []
    messages = [log.message for log in await bot.logs()]
    assert f"refund 12.50 USD of {payment.intent}: the customer said no" in messages


async def test_no_answer_in_time_is_declined(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    await ask_refund(bot, payment.intent, "12.50")
    bot.clock.advance(timedelta(minutes=29))
    await bot.settle()
    assert bot.take() == []
    bot.clock.advance(timedelta(minutes=2))
    await bot.settle()
    assert bot.take() == ["No problem, just write again whenever you'd like the refund."]
    await bot.say("yes")  # too late: nothing is waiting any more
    assert api.received("/v1/refunds") == []
    assert await run_status(bot) == ("completed", None)


async def test_unclear_answers_ask_again_then_decline(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    await ask_refund(bot, payment.intent, "12.50")
    await bot.say("maybe")
    assert bot.take() == [f"Please answer yes or no. Refund 12.50 USD of {payment.intent}?"]
    await bot.say("hmm")
    bot.take()
    await bot.say("what?")
    assert bot.take() == ["No problem, just write again whenever you'd like the refund."]
    assert api.received("/v1/refunds") == []


async def test_above_threshold_without_slack_is_declined(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(50000)
    await ask_refund(bot, payment.intent, "120")
    await bot.say("yes")
    assert bot.take() == [
        "I can't approve this refund myself, so a colleague will review it.",
        "A colleague will look at your refund and answer here.",
    ]
    assert api.received("/v1/refunds") == []
    assert await tags(bot) == ["needs-human"]
    logs = [log.message for log in await bot.logs()]
    assert any("approval, which is not possible: Slack is not configured" in m for m in logs)


async def test_already_refunded_is_declined(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    payment.refunded = 1250
    await ask_refund(bot, payment.intent, "12.50")
    await bot.say("yes")
    assert bot.take() == [
        f"I couldn't refund payment {payment.intent}: it may already be refunded, or the amount is more than is left to refund.",
        "A colleague will look at your refund and answer here.",
    ]
    assert await tags(bot) == ["needs-human"]


async def test_stripe_down_is_failure(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    api.fail_next(500, times=10)
    await ask_refund(bot, payment.intent, "12.50")
    await bot.say("yes")
    assert bot.take() == [
        "Our payment system isn't answering right now.",
        "A colleague will look at your refund and answer here.",
    ]
    assert payment.refunded == 0


async def test_retried_refund_refunds_once(bot: Harness, api: FakeStripe) -> None:
    payment = api.add_payment(1250)
    api.lose_next_response()  # the refund is made, the answer is lost; the call is retried
    await ask_refund(bot, payment.intent, "12.50")
    await bot.say("yes")
    (reply,) = bot.take()
    assert reply.startswith("Done: 12.50 USD")
    keys = {r.headers["Idempotency-Key"] for r in api.received("/v1/refunds")}
    assert len(api.received("/v1/refunds")) == 2 and len(keys) == 1
    # the step performed again (as after a crash) sends the same key: still one refund
    (run,) = await bot.runs()
    actions = bot.services.actions
    assert isinstance(actions, ActionRegistry)
    action = actions.get("stripe.refund")
    assert action is not None
    confirmed = {
        "granted": True,
        "by": "customer",
        "idempotency_key": next(iter(keys)),
        "target": payment.intent,
        "amount": "12.5",
        "currency": "usd",
    }
    again = await action(
        {
            "payment_intent": payment.intent,
            "amount": "12.5",
            "reason": "requested_by_customer",
            "confirm_with_customer": True,
            "require_approval_above": 50,
        },
        ActionContext(
            run_id=run.id,
            step_id="refund_intent",
            idempotency_key=keys.pop(),
            context={"refund_confirmation": confirmed},
        ),
    )
    assert again.outcome == "success"
    assert len(api.refunds) == 1 and payment.refunded == 1250


async def test_crash_after_the_customers_yes_refunds_once(
    database_url: str, clock: FakeClock
) -> None:
    """The process dies after Stripe made the refund, before it heard back; a new process
    finishes the call with the stored grant and the same key: one refund."""
    async with StallingStripe(KEY) as api:
        settings = {"STRIPE_API_KEY": KEY, "STRIPE_API_BASE_URL": api.url}
        first = await start(database_url, clock, FLOW, **settings)
        payment = api.add_payment(5000)
        await ask_refund(first, payment.intent, "12.50")
        await first.services.inbox.receive(
            InboundMessage(
                channel="test",
                external_conversation_id="c1",
                external_message_id="yes-1",
                sender=SenderProfile(external_id="c1", name="Ada"),
                kind="text",
                text="yes",
            )
        )
        async with first.services.db.session() as session:
            row = await session.scalar(select(Event).order_by(Event.id.desc()).limit(1))
            assert row is not None and row.type == "message.received"
            answer = DomainEvent.from_row(row)
        api.stall_next()
        handling = asyncio.create_task(first.runner.on_event(answer))
        await api.stalled.wait()
        handling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handling
        assert len(api.refunds) == 1
        assert [(r.status, r.waiting_for) for r in await first.runs()] == [("calling", None)]
        await first.services.close()

        second = await start(database_url, clock, FLOW, **settings)
        try:
            assert await second.runner.recover() == 1
            await second.settle()
            (reply,) = second.replies()
            assert reply.startswith("Done: 12.50 USD")
            (again,) = api.received("/v1/refunds")
            assert again.headers["Idempotency-Key"] == api.stalled_key
            assert len(api.refunds) == 1 and payment.refunded == 1250
            assert [r.status for r in await second.runs()] == ["completed"]
        finally:
            await second.services.close()
