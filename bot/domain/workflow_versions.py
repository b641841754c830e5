"""A workflow's versions: read one with its YAML and chart, compare two, roll back to one.

The console, the API and ``relaybot workflows versions|diff|rollback`` all call these.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import yaml

from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit
from bot.domain.audit import Actor
from bot.domain.workflow_store import note_change, parse_stored
from bot.storage.domain import workflow_records
from bot.storage.domain.workflow_records import VersionRecord, WorkflowHead
from bot.storage.uow import UnitOfWork
from workflows.flowchart import chart

LineKind = Literal["context", "added", "removed", "hunk"]


@dataclass(frozen=True)
class VersionInfo:
    """One version in a workflow's history."""

    number: int
    created_at: datetime
    checksum: str
    current: bool
    runs: int


@dataclass(frozen=True)
class VersionView:
    """One version with what the page shows of it: its YAML and its chart."""

    info: VersionInfo
    yaml: str
    chart: dict[str, Any]
    """``{"nodes": [{"key", "label", "shape"}], "edges": [{"source", "target", "label",
    "dashed"}]}`` (workflows/flowchart.py), what frontend/src/lib/graph.js draws."""


@dataclass(frozen=True)
class WorkflowDetail:
    """A workflow: its state, its current version (YAML and chart) and every version."""

    name: str
    enabled: bool
    trigger: str
    description: str
    current: VersionView
    versions: list[VersionInfo]
    """Newest first."""


@dataclass(frozen=True)
class DiffLine:
    """A line of a diff: ``old``/``new`` are its line numbers in each text (None where it
    is not in that text, and for a hunk header)."""

    kind: LineKind
    text: str
    old: int | None
    new: int | None


@dataclass(frozen=True)
class VersionDiff:
    """Two versions compared: the unified diff as text and as lines."""

    name: str
    old: int
    new: int
    text: str
    lines: list[DiffLine]


@dataclass(frozen=True)
class RolledBack:
    name: str
    old: int
    """The version that was current."""
    new: int
    """The version that is current now."""


def yaml_text(record: VersionRecord) -> str:
    """The file as it was imported, or the stored definition dumped as YAML."""
    if record.source:
        return record.source
    return yaml.safe_dump(record.definition, sort_keys=False, allow_unicode=True)


def chart_of(record: VersionRecord, name: str) -> dict[str, Any]:
    drawn = chart(parse_stored(record.definition, name))
    return {
        "nodes": [asdict(node) for node in drawn.nodes],
        "edges": [asdict(edge) for edge in drawn.edges],
    }


def _info(record: VersionRecord, head: WorkflowHead) -> VersionInfo:
    return VersionInfo(
        record.version,
        record.created_at,
        record.checksum,
        record.id == head.current_version_id,
        record.runs,
    )


def _view(record: VersionRecord, head: WorkflowHead) -> VersionView:
    return VersionView(_info(record, head), yaml_text(record), chart_of(record, head.name))


async def _history(uow: UnitOfWork, name: str) -> tuple[WorkflowHead, list[VersionRecord]]:
    async with uow() as tx:
        head = await workflow_records.find_workflow(tx, name)
        return head, await workflow_records.workflow_versions(tx, head.id)


def _pick(records: list[VersionRecord], number: int) -> VersionRecord:
    for record in records:
        if record.version == number:
            return record
    raise NotFoundError(f"no version {number}")


def _current(head: WorkflowHead, records: list[VersionRecord]) -> VersionRecord:
    for record in records:
        if record.id == head.current_version_id:
            return record
    raise NotFoundError(f"workflow {head.name!r} has no current version")


async def workflow_detail(uow: UnitOfWork, name: str) -> WorkflowDetail:
    """The workflow named ``name`` (NotFoundError when there is none)."""
    head, records = await _history(uow, name)
    current = _current(head, records)
    trigger = current.definition.get("trigger")
    return WorkflowDetail(
        name=head.name,
        enabled=head.enabled,
        trigger=str(trigger.get("event", "")) if isinstance(trigger, dict) else "",
        description=str(current.definition.get("description", "")),
        current=_view(current, head),
        versions=[_info(record, head) for record in records],
    )


async def version_view(uow: UnitOfWork, name: str, number: int) -> VersionView:
    """Version ``number`` of the workflow (NotFoundError for an unknown one)."""
    head, records = await _history(uow, name)
    return _view(_pick(records, number), head)


async def compare(uow: UnitOfWork, name: str, old: int, new: int) -> VersionDiff:
    """The unified diff from version ``old`` to version ``new`` of the workflow's YAML."""
    _, records = await _history(uow, name)
    before = yaml_text(_pick(records, old))
    after = yaml_text(_pick(records, new))
    return diff(name, old, new, before, after)


def diff(name: str, old: int, new: int, before: str, after: str) -> VersionDiff:
    """``before`` and ``after`` compared line by line (three lines of context)."""
    raw = list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            fromfile=f"{name} v{old}",
            tofile=f"{name} v{new}",
            lineterm="",
        )
    )
    lines: list[DiffLine] = []
    old_no = new_no = 0
    for text in raw[2:]:  # the two file header lines are in the text only
        if text.startswith("@@"):
            old_no, new_no = _hunk_start(text)
            lines.append(DiffLine("hunk", text, None, None))
        elif text.startswith("-"):
            lines.append(DiffLine("removed", text[1:], old_no, None))
            old_no += 1
        elif text.startswith("+"):
            lines.append(DiffLine("added", text[1:], None, new_no))
            new_no += 1
        else:
            lines.append(DiffLine("context", text[1:], old_no, new_no))
            old_no += 1
            new_no += 1
    text = "\n".join(raw) + "\n" if raw else ""
    return VersionDiff(name, old, new, text, lines)


def _hunk_start(header: str) -> tuple[int, int]:
    """The first line numbers of a hunk: ``@@ -3,7 +3,8 @@`` gives (3, 3)."""
    old_part, new_part = header.split()[1:3]
    return int(old_part[1:].split(",")[0]), int(new_part[1:].split(",")[0])


async def roll_back(uow: UnitOfWork, name: str, number: int, actor: Actor) -> RolledBack:
    """Make version ``number`` the current one: new runs start on it, runs in flight finish
    on theirs. Audited as ``workflow.rolled_back`` with ``{"from": N, "to": M}``.

    NotFoundError for an unknown workflow or version; ValidationFailed when it is current.
    """
    async with uow() as tx:
        head = await workflow_records.find_workflow(tx, name)
        records = await workflow_records.workflow_versions(tx, head.id)
        target = _pick(records, number)
        current = _current(head, records)
        if target.id == current.id:
            raise ValidationFailed("version", f"version {number} is already current")
        await workflow_records.set_current_version(tx, head.id, target)
        details = {"from": current.version, "to": target.version}
        await audit.record(tx, actor, audit.WORKFLOW_ROLLED_BACK, name, details)
    note_change()
    return RolledBack(name, current.version, target.version)
