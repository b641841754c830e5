"""Workflows in the database: import with versions, list, enable and disable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from bot.core.errors import NotFoundError
from bot.domain import audit
from bot.domain.audit import Actor
from bot.storage.domain import workflow_records
from bot.storage.domain.workflow_records import LastError
from bot.storage.uow import Tx, UnitOfWork
from workflows.known import Known
from workflows.loader import load_files, load_yaml, parse_text
from workflows.schema import Workflow

ImportAction = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Imported:
    name: str
    action: ImportAction
    version: int


@dataclass(frozen=True)
class WorkflowInfo:
    name: str
    enabled: bool
    trigger: str
    version: int
    description: str
    runs: int
    recent_runs: int = 0
    """Runs started in the RECENT window before the ``now`` given to list_workflows."""
    last_error: LastError | None = None
    """The newest failed run (read when list_workflows is given ``now``)."""


RECENT = timedelta(hours=24)


def checksum(definition: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()


def raw_definition(path: Path) -> dict[str, Any]:
    """The document as data (what we store; re-validated when loaded)."""
    data = load_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


_generation = 0


def generation() -> int:
    """Counts the workflow changes made by this process (imports, enable, disable)."""
    return _generation


def note_change() -> None:
    """Count a change to the stored workflows (the catalog looks again at once)."""
    global _generation
    _generation += 1


async def import_files(
    uow: UnitOfWork, paths: list[Path], known: Known | None = None
) -> list[Imported]:
    """Validate the files as a set (and against ``known`` stages and roles), then store
    each (a new version when it changed)."""
    workflows = load_files(paths, known)  # raises WorkflowLoadError naming file, step and field
    results: list[Imported] = []
    async with uow() as tx:
        for path, workflow in zip(paths, workflows, strict=True):
            results.append(
                await _store(tx, workflow, raw_definition(path), path.read_text("utf-8"))
            )
    note_change()
    return results


def workflow_files(targets: list[str]) -> list[Path]:
    """Files named, and the *.yaml / *.yml files of directories named."""
    paths: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            paths.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            paths.append(path)
    return paths


async def _store(tx: Tx, workflow: Workflow, definition: dict[str, Any], source: str) -> Imported:
    saved = await workflow_records.save_version(
        tx,
        name=workflow.name,
        enabled=workflow.enabled,
        trigger_event=workflow.trigger.event,
        definition=definition,
        source=source,
        checksum=checksum(definition),
    )
    return Imported(workflow.name, saved.action, saved.version)


async def set_enabled(
    uow: UnitOfWork, name: str, enabled: bool, actor: Actor | None = None
) -> bool:
    """Enable or disable by name; False when it already was. Unknown names raise.

    With ``actor``, the attempt is written to the audit log in the same transaction."""
    async with uow() as tx:
        changed = await workflow_records.set_workflow_enabled(tx, name, enabled)
        if actor is not None:
            action = audit.WORKFLOW_ENABLED if enabled else audit.WORKFLOW_DISABLED
            await audit.record(tx, actor, action, name, {"changed": changed})
    if changed:
        note_change()
    return changed


async def list_workflows(uow: UnitOfWork, now: datetime | None = None) -> list[WorkflowInfo]:
    """Every workflow by name; with ``now``, also its runs in the 24 hours before and its
    newest failed run."""
    async with uow() as tx:
        listings = await workflow_records.workflow_listings(tx)
        activity = {} if now is None else await workflow_records.run_activity(tx, now - RECENT)
    none = workflow_records.RunActivity(0, None)
    return [
        WorkflowInfo(
            name=w.name,
            enabled=w.enabled,
            trigger=w.trigger_event,
            version=w.version,
            description=str(w.definition.get("description", "")),
            runs=w.runs,
            recent_runs=activity.get(w.name, none).recent_runs,
            last_error=activity.get(w.name, none).last_error,
        )
        for w in listings
    ]


def parse_stored(definition: dict[str, Any], name: str) -> Workflow:
    """A stored version back into a Workflow (it was valid when imported)."""
    from workflows.loader import parse_data

    workflow, problems = parse_data(definition, source=f"stored workflow {name}")
    if workflow is None:
        raise NotFoundError("; ".join(str(p) for p in problems))
    return workflow


__all__ = [
    "import_files",
    "list_workflows",
    "note_change",
    "parse_stored",
    "parse_text",
    "set_enabled",
]
