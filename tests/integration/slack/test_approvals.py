"""Refund approvals in Slack, through the refund example, the runner and the Stripe fake.

Refunds above 50 wait for an agent's Approve / Reject (signed block_actions, as Slack
sends them). Approve refunds once and updates the request; Reject and no answer in time
decline it. The decision survives a restart, and a crash after approval refunds once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.domain.holds import APPROVAL_DECIDED
from bot.pipeline.events import DomainEvent
from bot.storage.models import Event, RunLog
from tests.fakes.slack import FakeSlack
from tests.fakes.stripe import FakeStripe
from tests.integration.integrations.stalling_stripe import StallingStripe

from .approval_env import ADMIN, AGENT, STRANGER, STRIPE_KEY, Actions, ApprovalRig, workflow_dir

DONE = "Done: 120.00 USD is on its way back to you"
NOT_APPROVED = [
    "I can't approve this refund myself, so a colleague will review it.",
    "A colleague will look at your refund and answer here.",
]


@pytest.fixture
async def stripe() -> AsyncIterator[StallingStripe]:
    server = StallingStripe(STRIPE_KEY)
    async with server:
        yield server


@pytest.fixture
async def rig(
    database_url: str, clock: FakeClock, stripe: StallingStripe, tmp_path: Path
) -> AsyncIterator[ApprovalRig]:
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        built = ApprovalRig(database_url, clock, slack, stripe, http, workflow_dir(tmp_path))
        await built.start()
        await built.add_agents()
        try:
            yield built
        finally:
            await built.stop()


async def waiting_for_approval(rig: ApprovalRig, stripe: FakeStripe) -> str:
    """A 120.00 refund, confirmed by the customer, now waiting; returns the payment."""
    payment = stripe.add_payment(50000)
    await rig.ask_refund(payment.intent, "120")
    run = await rig.run()
    assert (run.status, run.waiting_for) == ("waiting", "approval")
    assert stripe.received("/v1/refunds") == []
    return payment.intent


async def test_request_shows_the_refund_and_both_buttons(
    rig: ApprovalRig, stripe: StallingStripe
) -> None:
    intent = await waiting_for_approval(rig, stripe)
    (request,) = rig.requests()
    assert request["channel"] == "CINBOX" and request["thread_ts"] is None
    assert request["text"] == f"Approval needed: refund 120.00 USD of {intent}"
    shown = json.dumps(request["blocks"])
    for fact in (intent, "120.00 USD", "50.00 USD", "requested_by_customer", "Jane Doe", "refund"):
        assert fact in shown
    assert "Open the conversation" in shown  # a link to the conversation's thread
    (actions,) = [b for b in request["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [Actions.APPROVE, Actions.REJECT]
    assert rig.replies()[-1] == f"Refund 120.00 USD of {intent}?"


async def test_approve_refunds_once_and_updates_the_request(
    rig: ApprovalRig, stripe: StallingStripe
) -> None:
    intent = await waiting_for_approval(rig, stripe)
    assert await rig.press(Actions.APPROVE) == f"You approved: refund 120.00 USD of {intent}."
    await rig.settle()
    assert rig.replies()[-1].startswith(DONE)
    (sent,) = stripe.received("/v1/refunds")
    assert sent.form["amount"] == "12000"
    assert sent.form["metadata[relaybot_approved_by]"] == AGENT
    assert sent.form["metadata[relaybot_confirmed_by]"] == "customer"
    (update,) = rig.updates()
    assert update["ts"] == rig.requests()[0]["ts"]
    assert update["text"] == f"Approved: refund 120.00 USD of {intent}"
    shown = json.dumps(update["blocks"])
    assert f"Approved by <@{AGENT}>" in shown and Actions.APPROVE not in shown
    logs = [log.message for log in await rig_logs(rig)]
    assert f"refund 120.00 USD of {intent}: approved by Ana Agent" in logs
    assert (await rig.run()).status == "completed"


async def test_second_click_after_the_decision_changes_nothing(
    rig: ApprovalRig, stripe: StallingStripe
) -> None:
    await waiting_for_approval(rig, stripe)
    await rig.press(Actions.APPROVE)
    await rig.settle()
    assert await rig.press(Actions.REJECT, ADMIN) == (
        "This request is closed: approved by Ana Agent."
    )
    assert await rig.press(Actions.APPROVE) == "This request is closed: approved by Ana Agent."
    await rig.settle()
    assert len(stripe.refunds) == 1
    assert len(rig.updates()) == 1


async def test_two_clicks_before_the_runner_acts_count_once(
    rig: ApprovalRig, stripe: StallingStripe
) -> None:
    await waiting_for_approval(rig, stripe)
    assert (await rig.press(Actions.APPROVE)).startswith("You approved")
    assert await rig.press(Actions.REJECT, ADMIN) == f"Already approved by <@{AGENT}>."
    await rig.settle()
    assert rig.replies()[-1].startswith(DONE)
    assert len(stripe.refunds) == 1


async def test_reject_declines(rig: ApprovalRig, stripe: StallingStripe) -> None:
    intent = await waiting_for_approval(rig, stripe)
    assert await rig.press(Actions.REJECT) == f"You rejected: refund 120.00 USD of {intent}."
    await rig.settle()
    assert rig.replies()[-2:] == NOT_APPROVED
    assert stripe.received("/v1/refunds") == []
    (update,) = rig.updates()
    assert update["text"].startswith("Rejected:")
    assert f"Rejected by <@{AGENT}>" in json.dumps(update["blocks"])
    errors = [log.message for log in await rig_logs(rig) if log.kind == "error"]
    assert "rejected by Ana Agent" in errors


async def test_no_decision_in_time_declines(rig: ApprovalRig, stripe: StallingStripe) -> None:
    await waiting_for_approval(rig, stripe)
    rig.clock.advance(timedelta(minutes=29))
    await rig.settle()
    assert (await rig.run()).waiting_for == "approval"
    rig.clock.advance(timedelta(minutes=2))
    await rig.settle()
    assert rig.replies()[-2:] == NOT_APPROVED
    (update,) = rig.updates()
    assert update["text"].startswith("No decision in time:")
    assert "Nobody decided in time" in json.dumps(update["blocks"])
    assert await rig.press(Actions.APPROVE) == "This request is closed: no approval in time."
    await rig.settle()
    assert stripe.received("/v1/refunds") == []


async def test_only_agents_decide(rig: ApprovalRig, stripe: StallingStripe) -> None:
    await waiting_for_approval(rig, stripe)
    assert "not set up as a relaybot agent" in await rig.press(Actions.APPROVE, STRANGER)
    await rig.settle()
    assert (await rig.run()).waiting_for == "approval"
    assert stripe.received("/v1/refunds") == []


async def test_restart_while_waiting_then_approve(rig: ApprovalRig, stripe: StallingStripe) -> None:
    await waiting_for_approval(rig, stripe)
    await rig.restart()
    await rig.settle()
    assert (await rig.run()).waiting_for == "approval"
    await rig.press(Actions.APPROVE)
    await rig.settle()
    assert rig.replies()[-1].startswith(DONE)
    assert len(stripe.refunds) == 1
    assert len(rig.updates()) == 1


async def test_restart_while_waiting_keeps_the_time_limit(
    rig: ApprovalRig, stripe: StallingStripe
) -> None:
    await waiting_for_approval(rig, stripe)
    await rig.restart()
    rig.clock.advance(timedelta(minutes=31))
    await rig.settle()
    assert rig.replies()[-2:] == NOT_APPROVED


async def test_crash_after_approval_refunds_once(rig: ApprovalRig, stripe: StallingStripe) -> None:
    await waiting_for_approval(rig, stripe)
    await rig.press(Actions.APPROVE)
    async with rig.services.db.session() as session:
        row = await session.scalar(select(Event).where(Event.type == APPROVAL_DECIDED))
        assert row is not None
        decided = DomainEvent.from_row(row)
    # the process takes the decision, Stripe makes the refund, and the process dies
    # before it hears back
    stripe.stall_next()
    handling = asyncio.create_task(rig.running.runner.on_event(decided))
    await stripe.stalled.wait()
    handling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handling
    assert len(stripe.refunds) == 1
    run = await rig.run()
    assert (run.status, run.waiting_for) == ("calling", None)
    await rig.restart()  # startup finishes the call it left open, with the same key
    await rig.settle()
    assert rig.replies()[-1].startswith(DONE)
    (again,) = stripe.received("/v1/refunds")  # the stalled request never got its answer
    assert stripe.stalled_key is not None
    assert again.headers["Idempotency-Key"] == stripe.stalled_key
    assert len(stripe.refunds) == 1
    assert (await rig.run()).status == "completed"


async def rig_logs(rig: ApprovalRig) -> list[RunLog]:
    async with rig.services.db.session() as session:
        return list(await session.scalars(select(RunLog).order_by(RunLog.id)))


async def test_request_that_cannot_be_posted_declines(
    database_url: str, clock: FakeClock, stripe: StallingStripe, tmp_path: Path
) -> None:
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        rig = ApprovalRig(
            database_url,
            clock,
            slack,
            stripe,
            http,
            workflow_dir(tmp_path),
            SLACK_INBOX_CHANNEL=None,
        )
        await rig.start()
        try:
            payment = stripe.add_payment(50000)
            await rig.ask_refund(payment.intent, "120")
            assert rig.replies()[-2:] == NOT_APPROVED
            assert rig.requests() == []
            errors = [log.message for log in await rig_logs(rig) if log.kind == "error"]
            assert any(
                "the approval request could not be posted: slack: no channel to ask for approval"
                in message
                for message in errors
            )
        finally:
            await rig.stop()
