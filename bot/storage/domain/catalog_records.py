"""What the workflow catalog reads: a stamp of the workflows table, the current version of
every workflow, and any stored version by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import Workflow, WorkflowVersion

Stamp = tuple[object, ...]
"""Changes whenever a workflow is added or updated (its count and newest ``updated_at``)."""


@dataclass(frozen=True)
class CurrentVersion:
    """A workflow with its current version's stored definition."""

    workflow_id: int
    name: str
    enabled: bool
    version_id: int
    definition: dict[str, Any]


async def current_versions_if_changed(
    db: Database, seen: Stamp | None
) -> tuple[Stamp, list[CurrentVersion] | None]:
    """The table's stamp, and every workflow's current version in import order unless the
    stamp is still ``seen`` (then None: one cheap query). One read-only transaction."""
    async with db.read() as session:
        stamp = tuple(
            (
                await session.execute(
                    select(func.count(Workflow.id), func.max(Workflow.updated_at))
                )
            ).one()
        )
        if stamp == seen:
            return stamp, None
        rows = (
            await session.execute(
                select(Workflow, WorkflowVersion)
                .join(WorkflowVersion, WorkflowVersion.id == Workflow.current_version_id)
                .order_by(Workflow.id)  # equal priorities start in import order
            )
        ).all()
        return stamp, [
            CurrentVersion(row.id, row.name, row.enabled, version.id, version.definition)
            for row, version in rows
        ]


async def version_definition(db: Database, version_id: int) -> dict[str, Any] | None:
    """The stored definition of one workflow version (None when there is no such version)."""
    async with db.session() as session:
        row = await session.get(WorkflowVersion, version_id)
        return None if row is None else row.definition
