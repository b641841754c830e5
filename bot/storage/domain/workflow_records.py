"""Stored workflows and their versions: save a new version, enable and disable, list, read
the versions and make one of them current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from bot.core.errors import NotFoundError
from bot.storage.models import Workflow, WorkflowRun, WorkflowVersion
from bot.storage.uow import Tx

SaveAction = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class SavedVersion:
    """What saving a definition did, and the version that is current now."""

    action: SaveAction
    version: int


@dataclass(frozen=True)
class LastError:
    """The newest failed run of a workflow."""

    run_id: int
    message: str
    at: datetime


@dataclass(frozen=True)
class WorkflowListing:
    """A stored workflow with its current version and how many runs it had."""

    name: str
    enabled: bool
    trigger_event: str
    version: int
    definition: dict[str, Any]
    runs: int


@dataclass(frozen=True)
class RunActivity:
    """How many runs of a workflow started since a time, and its newest failed run."""

    recent_runs: int
    last_error: LastError | None


@dataclass(frozen=True)
class WorkflowHead:
    """A stored workflow and the id of its current version."""

    id: int
    name: str
    enabled: bool
    current_version_id: int | None


@dataclass(frozen=True)
class VersionRecord:
    """One stored version of a workflow and how many runs started on it."""

    id: int
    version: int
    created_at: datetime
    checksum: str
    definition: dict[str, Any]
    source: str | None
    runs: int


async def save_version(
    tx: Tx,
    *,
    name: str,
    enabled: bool,
    trigger_event: str,
    definition: dict[str, Any],
    source: str,
    checksum: str,
) -> SavedVersion:
    """Store ``definition`` as the workflow's new current version, creating the workflow
    (with ``enabled``) when it is new; nothing when the current version has this checksum."""
    row = await tx.session.scalar(select(Workflow).where(Workflow.name == name))
    if row is None:
        row = Workflow(
            name=name,
            enabled=enabled,
            trigger_event=trigger_event,
            created_at=tx.now,
            updated_at=tx.now,
        )
        tx.session.add(row)
        await tx.session.flush()
        action: SaveAction = "created"
        number = 1
    else:
        current = await tx.session.get(WorkflowVersion, row.current_version_id)
        if current is not None and current.checksum == checksum:
            return SavedVersion("unchanged", current.version)
        number = await _highest_version(tx, row.id) + 1  # after a roll-back, above the rest
        action = "updated"
    version = WorkflowVersion(
        workflow_id=row.id,
        version=number,
        definition=definition,
        source=source,
        checksum=checksum,
        created_at=tx.now,
    )
    tx.session.add(version)
    await tx.session.flush()
    row.current_version_id = version.id
    row.trigger_event = trigger_event
    row.updated_at = tx.now
    if action == "created":  # written with the insert: keep it rather than the column default
        flag_modified(row, "updated_at")
    return SavedVersion(action, number)


async def _highest_version(tx: Tx, workflow_id: int) -> int:
    highest = await tx.session.scalar(
        select(func.max(WorkflowVersion.version)).where(WorkflowVersion.workflow_id == workflow_id)
    )
    return int(highest or 0)


async def set_workflow_enabled(tx: Tx, name: str, enabled: bool) -> bool:
    """Enable or disable by name; False when it already was. Unknown names raise."""
    row = await tx.session.scalar(select(Workflow).where(Workflow.name == name))
    if row is None:
        raise NotFoundError(f"no workflow named {name!r}")
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    row.updated_at = tx.now
    return True


async def workflow_listings(tx: Tx) -> list[WorkflowListing]:
    """Every workflow with a current version, by name, with its run count."""
    rows = (
        await tx.session.execute(
            select(Workflow, WorkflowVersion)
            .join(WorkflowVersion, WorkflowVersion.id == Workflow.current_version_id)
            .order_by(Workflow.name)
        )
    ).all()
    counts = await _run_counts(tx, WorkflowRun.workflow_id)
    return [
        WorkflowListing(
            name=w.name,
            enabled=w.enabled,
            trigger_event=w.trigger_event,
            version=v.version,
            definition=v.definition,
            runs=counts.get(w.id, 0),
        )
        for w, v in rows
    ]


async def run_activity(tx: Tx, since: datetime) -> dict[str, RunActivity]:
    """Per workflow name: the runs started at ``since`` or later, and the newest failed run."""
    names = dict((await tx.session.execute(select(Workflow.id, Workflow.name))).all())
    recent = await _run_counts(tx, WorkflowRun.workflow_id, WorkflowRun.started_at >= since)
    errors = await _last_errors(tx)
    return {
        name: RunActivity(recent.get(workflow_id, 0), errors.get(workflow_id))
        for workflow_id, name in names.items()
    }


async def _run_counts(tx: Tx, key: Any, *where: Any) -> dict[int, int]:
    """Runs counted per ``key`` (a column of workflow_runs)."""
    rows = await tx.session.execute(select(key, func.count()).where(*where).group_by(key))
    return {int(k): int(n) for k, n in rows.all()}


async def _last_errors(tx: Tx) -> dict[int, LastError]:
    """The newest failed run of each workflow that has one."""
    newest = (
        select(func.max(WorkflowRun.id))
        .where(WorkflowRun.status == "failed")
        .group_by(WorkflowRun.workflow_id)
    )
    runs = await tx.session.scalars(select(WorkflowRun).where(WorkflowRun.id.in_(newest)))
    return {
        run.workflow_id: LastError(run.id, run.error or "failed", run.finished_at or run.updated_at)
        for run in runs
    }


async def find_workflow(tx: Tx, name: str) -> WorkflowHead:
    """The workflow named ``name``; unknown names raise NotFoundError."""
    row = await tx.session.scalar(select(Workflow).where(Workflow.name == name))
    if row is None:
        raise NotFoundError(f"no workflow named {name!r}")
    return WorkflowHead(row.id, row.name, row.enabled, row.current_version_id)


async def workflow_versions(tx: Tx, workflow_id: int) -> list[VersionRecord]:
    """Every version of a workflow, newest first, with the number of runs on each."""
    rows = await tx.session.scalars(
        select(WorkflowVersion)
        .where(WorkflowVersion.workflow_id == workflow_id)
        .order_by(WorkflowVersion.version.desc())
    )
    versions = list(rows)
    runs = await _run_counts(
        tx, WorkflowRun.version_id, WorkflowRun.version_id.in_([v.id for v in versions])
    )
    return [_version_record(v, runs.get(v.id, 0)) for v in versions]


async def set_current_version(tx: Tx, workflow_id: int, version: VersionRecord) -> None:
    """Make ``version`` the one new runs of the workflow start on."""
    row = await tx.session.get(Workflow, workflow_id)
    if row is None:
        raise NotFoundError(f"no workflow {workflow_id}")
    row.current_version_id = version.id
    trigger = version.definition.get("trigger")
    if isinstance(trigger, dict) and isinstance(trigger.get("event"), str):
        row.trigger_event = trigger["event"]
    row.updated_at = tx.now


def _version_record(row: WorkflowVersion, runs: int) -> VersionRecord:
    return VersionRecord(
        id=row.id,
        version=row.version,
        created_at=row.created_at,
        checksum=row.checksum,
        definition=row.definition,
        source=row.source,
        runs=runs,
    )
