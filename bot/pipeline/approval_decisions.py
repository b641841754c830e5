"""Approvals as the console sees them, over relaybot's storage.

The console never resumes a run itself: a decision is stored as an ``approval.decided``
event with the run and hold it is for, and the workflow runner picks it up (after a
restart too). The first decision for a hold wins; later clicks are told who decided.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.console_views import Verdict
from bot.domain.holds import APPROVAL_DECIDED, APPROVAL_POSTED, Hold
from bot.pipeline.run_store import held, unpack
from bot.storage.models import Event, WorkflowRun
from bot.storage.uow import UnitOfWork


def _open_hold(row: WorkflowRun | None, key: str) -> Hold | None:
    hold = held(row) if row is not None else None
    return hold if hold is not None and hold.kind == "approval" and hold.key == key else None


class RunApprovals:
    """The :class:`~integrations.slack.ports.ApprovalDesk` over storage; also tells whether a
    request is still open and records where it was posted."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def is_open(self, run_id: int, key: str) -> bool:
        async with self.uow() as tx:
            return _open_hold(await tx.session.get(WorkflowRun, run_id), key) is not None

    async def posted(self, run_id: int, key: str, channel: str, ts: str) -> None:
        """The request is in Slack at ``(channel, ts)``: the runner keeps it to update later."""
        async with self.uow() as tx:
            row = await tx.session.get(WorkflowRun, run_id)
            tx.record_event(
                APPROVAL_POSTED,
                conversation_id=row.conversation_id if row is not None else None,
                data={"run_id": run_id, "key": key, "channel": channel, "ts": ts},
            )

    async def decide(
        self,
        run_id: int,
        key: str,
        *,
        approve: bool,
        slack_user_id: str,
        agent_name: str,
        where: tuple[str, str] | None = None,
    ) -> Verdict:
        """Record the first decision on an open hold; anything later changes nothing."""
        async with self.uow() as tx:
            row = await tx.session.get(WorkflowRun, run_id, with_for_update=True)
            hold = _open_hold(row, key)
            if row is None or hold is None:
                return Verdict(False, _closed(row, key))
            earlier = await self._recorded(tx.session, row, key)
            if earlier is not None:
                verb = "approved" if earlier.data.get("approve") is True else "rejected"
                return Verdict(False, f"Already {verb} by <@{earlier.data.get('by')}>.")
            data: dict[str, object] = {
                "run_id": run_id,
                "key": key,
                "approve": approve,
                "by": slack_user_id,
                "by_name": agent_name,
            }
            if where is not None:
                data["channel"], data["ts"] = where
            tx.record_event(APPROVAL_DECIDED, conversation_id=row.conversation_id, data=data)
        verb = "approved" if approve else "rejected"
        return Verdict(True, f"You {verb}: {hold.summary}.")

    @staticmethod
    async def _recorded(session: AsyncSession, row: WorkflowRun, key: str) -> Event | None:
        """A decision on this hold the runner has not taken in yet."""
        same_conversation = (
            Event.conversation_id.is_(None)
            if row.conversation_id is None
            else Event.conversation_id == row.conversation_id
        )
        events = await session.scalars(
            select(Event)
            .where(Event.type == APPROVAL_DECIDED, Event.delivered_at.is_(None), same_conversation)
            .order_by(Event.id)
        )
        for event in events:
            if event.data.get("run_id") == row.id and event.data.get("key") == key:
                return event
        return None


def _closed(row: WorkflowRun | None, key: str) -> str:
    last = unpack(row).last_approval if row is not None and row.state else None
    if last is not None and last.key == key:
        return f"This request is closed: {last.reason}."
    return "This request is no longer open."
