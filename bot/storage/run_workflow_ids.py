"""Which workflow a run belongs to, for code that writes a line in the run's log."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import WorkflowRun
from bot.storage.uow import Tx


async def workflow_of_run(tx: Tx, run_id: int) -> int | None:
    """The id of the run's workflow; None when the run is gone."""
    return await tx.session.scalar(select(WorkflowRun.workflow_id).where(WorkflowRun.id == run_id))
