"""The SQL of workflow drafts (one per workflow name) and of moving waiting runs to a new
version when a draft is published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from bot.storage.models import Workflow, WorkflowDraft, WorkflowRun, WorkflowVersion
from bot.storage.uow import Tx


@dataclass(frozen=True)
class DraftRecord:
    """A stored draft: its YAML as written, the version it started from, who saved it."""

    name: str
    source: str
    base_version: int | None
    saved_by: str
    saved_at: datetime


@dataclass(frozen=True)
class WaitingRun:
    """A waiting run of a workflow and the step it waits at."""

    id: int
    version_id: int
    cursor: str | None
    lock_version: int


@dataclass(frozen=True)
class Published:
    """A published workflow: whether it is on, and its current version's number."""

    enabled: bool
    version: int


async def published(tx: Tx, name: str) -> Published | None:
    """The workflow ``name`` as published (None when there is no such workflow)."""
    row = (
        await tx.session.execute(
            select(Workflow.enabled, WorkflowVersion.version)
            .join(WorkflowVersion, WorkflowVersion.id == Workflow.current_version_id)
            .where(Workflow.name == name)
        )
    ).first()
    return None if row is None else Published(bool(row[0]), int(row[1]))


async def find_draft(tx: Tx, name: str) -> DraftRecord | None:
    row = await tx.session.scalar(select(WorkflowDraft).where(WorkflowDraft.name == name))
    if row is None:
        return None
    return DraftRecord(row.name, row.source, row.base_version, row.saved_by, row.saved_at)


async def save_draft(
    tx: Tx, name: str, source: str, base_version: int | None, saved_by: str
) -> DraftRecord:
    """Store ``source`` as the draft of ``name`` (replacing the one there was)."""
    row = await tx.session.scalar(select(WorkflowDraft).where(WorkflowDraft.name == name))
    if row is None:
        row = WorkflowDraft(name=name, base_version=base_version)
        tx.session.add(row)
    row.source = source
    row.saved_by = saved_by
    row.saved_at = tx.now
    await tx.session.flush()
    return DraftRecord(row.name, row.source, row.base_version, row.saved_by, row.saved_at)


async def delete_draft(tx: Tx, name: str) -> bool:
    """Remove the draft of ``name``; False when there was none."""
    result = await tx.session.execute(delete(WorkflowDraft).where(WorkflowDraft.name == name))
    return bool(getattr(result, "rowcount", 0))


async def draft_names(tx: Tx) -> list[str]:
    return list(await tx.session.scalars(select(WorkflowDraft.name).order_by(WorkflowDraft.name)))


async def waiting_runs(tx: Tx, workflow_id: int) -> list[WaitingRun]:
    """The runs of a workflow that wait (for an answer, a timer or an assignment)."""
    rows = await tx.session.execute(
        select(WorkflowRun.id, WorkflowRun.version_id, WorkflowRun.state, WorkflowRun.lock_version)
        .where(WorkflowRun.workflow_id == workflow_id, WorkflowRun.status == "waiting")
        .order_by(WorkflowRun.id)
    )
    found = []
    for run_id, version_id, state, lock_version in rows.all():
        engine = state.get("engine") if isinstance(state, dict) else None  # the run's envelope
        cursor = engine.get("cursor") if isinstance(engine, dict) else None
        if not isinstance(cursor, str):
            cursor = None
        found.append(WaitingRun(run_id, version_id, cursor, lock_version))
    return found


async def move_run(tx: Tx, run: WaitingRun, version_id: int) -> bool:
    """Put a waiting run on version ``version_id``; False when the run changed meanwhile."""
    result = await tx.session.execute(
        update(WorkflowRun)
        .where(
            WorkflowRun.id == run.id,
            WorkflowRun.status == "waiting",
            WorkflowRun.lock_version == run.lock_version,
        )
        .values(version_id=version_id, lock_version=run.lock_version + 1, updated_at=tx.now)
    )
    return bool(getattr(result, "rowcount", 0))
