"""Approval holds (see :mod:`bot.domain.holds`): the request to Slack, decisions, the message update.

The runner queues an ``approval`` outbox item (``op: request``); the Slack console posts
it and records ``approval.posted`` (where) and ``approval.decided`` (who, which way)
events. Approve clears the hold, Reject, the time limit or a request that could not be
posted declines it; each outcome queues ``op: decided`` so the message shows it. When the
decision comes before the console said where the request is, the outcome is kept on
the run (``last_approval``) and the update goes out once it does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.domain.holds import (
    APPROVAL,
    APPROVAL_POSTED,
    Decision,
    Hold,
    LastApproval,
    Outcome,
    SlackMessage,
)
from bot.pipeline.events import DomainEvent
from bot.pipeline.run_store import Also, StoredRun, save
from bot.pipeline.services import Services
from bot.storage.pipeline.approval_records import outbox_key_taken
from bot.storage.pipeline.outbox_items import Delivery
from bot.storage.uow import Tx
from workflows.state import Transition

logger = logging.getLogger(__name__)


def _about(run: StoredRun, key: str, summary: str, details: dict[str, str]) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "key": key,
        "summary": summary,
        "details": details,
        "conversation_id": run.conversation_id,
        "workflow": run.state.workflow,
    }


def request_approval(tx: Tx, run: StoredRun, hold: Hold) -> None:
    """Queue the request the Slack console posts with Approve / Reject."""
    payload = {
        "op": "request",
        **_about(run, hold.key, hold.summary, hold.details),
        "due_at": hold.due_at.isoformat(),
    }
    tx.writes.enqueue(
        APPROVAL,
        payload,
        destination=f"slack:approval:{run.id}",
        key=f"{hold.key}:request",
        conversation_id=run.conversation_id,
        run_id=run.id,
        step_id=run.state.cursor,
    )


async def show_decision(tx: Tx, run: StoredRun, last: LastApproval, where: SlackMessage) -> None:
    """Queue the update of the posted request (once per hold)."""
    key = f"{last.key}:decided"
    if await outbox_key_taken(tx, key):
        return
    payload = {
        "op": "decided",
        **_about(run, last.key, last.summary, last.details),
        "channel": where.channel,
        "ts": where.ts,
        "outcome": last.outcome,
        "by": last.by,
        "reason": last.reason,
    }
    tx.writes.enqueue(
        APPROVAL,
        payload,
        destination=f"slack:approval:{run.id}",
        key=key,
        conversation_id=run.conversation_id,
        run_id=run.id,
        step_id=run.state.cursor,
    )


class ApprovalHolds(Protocol):
    """What approvals need of the hold keeper: a run under its lock, and ending a hold."""

    services: Services

    async def with_run(self, run_id: int, work: Callable[[StoredRun], Awaitable[None]]) -> None: ...

    async def clear(
        self, run: StoredRun, hold: Hold, *, by: str, note: str, also: Also | None = None
    ) -> None: ...

    async def decline(
        self,
        run: StoredRun,
        hold: Hold,
        decision: Decision,
        reason: str,
        *,
        by: str | None = None,
        also: Also | None = None,
    ) -> None: ...


class ApprovalKeeper:
    """Feeds the console's events, dead requests and time limits to approval holds."""

    def __init__(self, holds: ApprovalHolds) -> None:
        self.holds = holds
        self.services = holds.services

    async def on_event(self, event: DomainEvent) -> None:
        """``approval.posted`` and ``approval.decided`` from the Slack console."""
        data = event.data
        run_id, key = int(data.get("run_id") or 0), str(data.get("key") or "")
        where = None
        if data.get("channel") and data.get("ts"):
            where = SlackMessage(channel=str(data["channel"]), ts=str(data["ts"]))
        if event.type == APPROVAL_POSTED:
            if where is not None:
                await self.holds.with_run(run_id, lambda run: self._posted(run, key, where))
            return
        by = str(data.get("by") or "")
        by_name = str(data.get("by_name") or by)
        approve = data.get("approve") is True
        await self.holds.with_run(
            run_id, lambda run: self._decided(run, key, approve, by, by_name, where)
        )

    async def _posted(self, run: StoredRun, key: str, where: SlackMessage) -> None:
        hold = run.hold
        if hold is not None and hold.kind == "approval" and hold.key == key:
            hold.message = where
            async with self.services.uow() as tx:
                await save(tx, run, Transition(state=run.state, call=run.call))
            return
        last = run.last_approval
        if last is not None and last.key == key:
            async with self.services.uow() as tx:
                await show_decision(tx, run, last, where)

    async def _decided(
        self,
        run: StoredRun,
        key: str,
        approve: bool,
        by: str,
        by_name: str,
        where: SlackMessage | None,
    ) -> None:
        hold = run.hold
        if hold is None or hold.kind != "approval" or hold.key != key:
            logger.info(
                "approval of run %s by %s: no longer waiting", run.id, by, extra={"run_id": run.id}
            )
            return
        where = hold.message or where
        if approve:
            last = _record(run, hold, "approved", f"approved by {by_name}", by)
            await self.holds.clear(
                run,
                hold,
                by=by,
                note=f"{hold.summary}: approved by {by_name}",
                also=_shown(run, last, where),
            )
            return
        last = _record(run, hold, "rejected", f"rejected by {by_name}", by)
        await self.holds.decline(
            run, hold, "rejected", last.reason, by=by, also=_shown(run, last, where)
        )

    async def expire(self, run: StoredRun, hold: Hold) -> None:
        """Nobody decided in time (under the run's lock)."""
        last = _record(run, hold, "expired", "no approval in time")
        await self.holds.decline(
            run, hold, "timeout", last.reason, also=_shown(run, last, hold.message)
        )

    async def on_dead(self, delivery: Delivery, reason: str) -> None:
        """A request that could not be posted declines at once."""
        if delivery.kind != APPROVAL or delivery.payload.get("op") != "request":
            return
        key = str(delivery.payload.get("key"))

        async def unreachable(run: StoredRun) -> None:
            hold = run.hold
            if hold is None or hold.key != key or hold.kind != "approval":
                return
            why = f"the approval request could not be posted: {reason}"
            last = _record(run, hold, "unavailable", why)
            await self.holds.decline(run, hold, "unavailable", last.reason)

        await self.holds.with_run(int(delivery.payload.get("run_id") or 0), unreachable)


def _record(
    run: StoredRun, hold: Hold, outcome: Outcome, reason: str, by: str | None = None
) -> LastApproval:
    run.last_approval = LastApproval(
        key=hold.key,
        outcome=outcome,
        by=by,
        reason=reason,
        summary=hold.summary,
        details=hold.details,
    )
    return run.last_approval


def _shown(run: StoredRun, last: LastApproval, where: SlackMessage | None) -> Also:
    async def show(tx: Tx) -> None:
        if where is not None:
            await show_decision(tx, run, last, where)

    return show
