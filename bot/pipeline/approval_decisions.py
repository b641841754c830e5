"""Approvals as the console sees them, over relaybot's storage.

The console never resumes a run itself: a decision is stored as an ``approval.decided``
event with the run and hold it is for, and the workflow runner picks it up (after a
restart too). The first decision for a hold wins; later clicks are told who decided.
"""

from __future__ import annotations

from bot.core.console_views import Verdict
from bot.domain.holds import APPROVAL_DECIDED, APPROVAL_POSTED, Hold
from bot.pipeline.run_store import held, unpack
from bot.storage.pipeline.approval_records import approval_run, undelivered_decision
from bot.storage.pipeline.run_records import RunRecord
from bot.storage.uow import UnitOfWork


def _open_hold(row: RunRecord | None, key: str) -> Hold | None:
    hold = held(row) if row is not None else None
    return hold if hold is not None and hold.kind == "approval" and hold.key == key else None


class RunApprovals:
    """The :class:`~integrations.slack.ports.ApprovalDesk` over storage; also tells whether a
    request is still open and records where it was posted."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def is_open(self, run_id: int, key: str) -> bool:
        async with self.uow() as tx:
            return _open_hold(await approval_run(tx, run_id), key) is not None

    async def posted(self, run_id: int, key: str, channel: str, ts: str) -> None:
        """The request is in Slack at ``(channel, ts)``: the runner keeps it to update later."""
        async with self.uow() as tx:
            row = await approval_run(tx, run_id)
            tx.writes.record_event(
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
            row = await approval_run(tx, run_id, lock=True)
            hold = _open_hold(row, key)
            if row is None or hold is None:
                return Verdict(False, _closed(row, key))
            earlier = await undelivered_decision(
                tx, APPROVAL_DECIDED, row.id, row.conversation_id, key
            )
            if earlier is not None:
                verb = "approved" if earlier.get("approve") is True else "rejected"
                return Verdict(False, f"Already {verb} by <@{earlier.get('by')}>.")
            data: dict[str, object] = {
                "run_id": run_id,
                "key": key,
                "approve": approve,
                "by": slack_user_id,
                "by_name": agent_name,
            }
            if where is not None:
                data["channel"], data["ts"] = where
            tx.writes.record_event(APPROVAL_DECIDED, conversation_id=row.conversation_id, data=data)
        verb = "approved" if approve else "rejected"
        return Verdict(True, f"You {verb}: {hold.summary}.")


def _closed(row: RunRecord | None, key: str) -> str:
    last = unpack(row).last_approval if row is not None and row.state else None
    if last is not None and last.key == key:
        return f"This request is closed: {last.reason}."
    return "This request is no longer open."
