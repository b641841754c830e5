"""Stored workflows and their versions: save a new version, enable and disable, list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select

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
class WorkflowListing:
    """A stored workflow with its current version and how many runs it had."""

    name: str
    enabled: bool
    trigger_event: str
    version: int
    definition: dict[str, Any]
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
        number = (current.version if current else 0) + 1
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
    return SavedVersion(action, number)


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
    counts = dict(
        (
            await tx.session.execute(
                select(WorkflowRun.workflow_id, func.count()).group_by(WorkflowRun.workflow_id)
            )
        ).all()
    )
    return [
        WorkflowListing(
            name=w.name,
            enabled=w.enabled,
            trigger_event=w.trigger_event,
            version=v.version,
            definition=v.definition,
            runs=int(counts.get(w.id, 0)),
        )
        for w, v in rows
    ]
