"""Drafts of workflows: saved (problems and all) beside the published versions, never run,
and published as the new current version with the text kept as written.

Publishing chooses what happens to the runs in flight: ``finish`` (they end on the version
they started on) or ``move`` (waiting runs whose step id is still in the new definition go
on with it; the others stay on theirs)."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit
from bot.domain.audit import Actor
from bot.domain.workflow_store import checksum, note_change
from bot.storage.domain import draft_records, workflow_records
from bot.storage.uow import UnitOfWork
from workflows.event_names import TRIGGER_EVENTS
from workflows.flowchart import chart
from workflows.loader import load_yaml, parse_text
from workflows.problems import Problem
from workflows.schema import _NAME, Workflow

InFlight = Literal["finish", "move"]
MAX_CHARS = 200_000
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"


@dataclass(frozen=True)
class Draft:
    """A saved draft and what is wrong with it (nothing when it may be published)."""

    name: str
    yaml: str
    base_version: int | None
    """The current version when the draft was first saved (None for a new workflow)."""
    saved_by: str
    saved_at: datetime
    problems: list[Problem]


@dataclass(frozen=True)
class Published:
    name: str
    version: int
    previous: int | None
    in_flight: InFlight
    moved: int
    """Waiting runs now on the new version."""
    stayed: int
    """Waiting runs left on their version (``finish``, or their step is gone)."""


class DraftHasProblems(ValidationFailed):
    """The draft cannot be published until its problems are fixed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("yaml", f"the draft has {len(problems)} problem(s): {problems[0]}")
        self.problems = problems


def check_name(name: str) -> str:
    if not _NAME.match(name) or len(name) > 120:
        raise ValidationFailed("name", "use letters, digits, '-', '_' and '.' (120 at most)")
    return name


def check(text: str, name: str | None) -> tuple[Workflow | None, list[Problem]]:
    """The draft parsed as the workflow ``name`` would be, and every problem (a different
    name too, when ``name`` is given)."""
    source = f"{name}.yaml" if name else "draft.yaml"
    workflow, problems = parse_text(text, source=source)
    if name and workflow is not None and workflow.name != name:
        problems = [
            *problems,
            Problem(source, "file", "name", f"the draft is named {workflow.name!r}, not {name!r}"),
        ]
    return workflow, problems


def chart_data(workflow: Workflow) -> dict[str, Any]:
    """The chart ``frontend/src/lib/graph.js`` draws (as ``GET /api/workflows/{name}``)."""
    drawn = chart(workflow)
    return {
        "nodes": [asdict(node) for node in drawn.nodes],
        "edges": [asdict(edge) for edge in drawn.edges],
    }


def _draft(record: draft_records.DraftRecord) -> Draft:
    _, problems = check(record.source, record.name)
    return Draft(
        record.name,
        record.source,
        record.base_version,
        record.saved_by,
        record.saved_at,
        problems,
    )


async def save_draft(uow: UnitOfWork, name: str, text: str, actor: Actor) -> Draft:
    """Store ``text`` as the draft of ``name`` (problems and all); audited."""
    check_name(name)
    if not text.strip() or len(text) > MAX_CHARS:
        raise ValidationFailed("yaml", f"write between 1 and {MAX_CHARS} characters")
    async with uow() as tx:
        current = await draft_records.published(tx, name)
        base = None if current is None else current.version
        record = await draft_records.save_draft(tx, name, text, base, actor.name)
        draft = _draft(record)
        details = {"problems": len(draft.problems), "base_version": record.base_version}
        await audit.record(tx, actor, audit.WORKFLOW_DRAFT_SAVED, name, details)
    return draft


async def read_draft(uow: UnitOfWork, name: str) -> Draft | None:
    async with uow() as tx:
        record = await draft_records.find_draft(tx, name)
    return None if record is None else _draft(record)


async def discard_draft(uow: UnitOfWork, name: str) -> bool:
    """Remove the draft of ``name``; False when there was none."""
    async with uow() as tx:
        return await draft_records.delete_draft(tx, name)


async def draft_names(uow: UnitOfWork) -> list[str]:
    async with uow() as tx:
        return await draft_records.draft_names(tx)


async def publish(uow: UnitOfWork, name: str, in_flight: InFlight, actor: Actor) -> Published:
    """Make the draft of ``name`` the workflow's current version and remove the draft.

    NotFoundError without a draft; DraftHasProblems while it has problems. Audited as
    ``workflow.published`` with the version, the in-flight choice and the runs moved."""
    async with uow() as tx:
        record = await draft_records.find_draft(tx, name)
        if record is None:
            raise NotFoundError(f"no draft of {name!r}")
        workflow, problems = check(record.source, name)
        if workflow is None or problems:
            raise DraftHasProblems(problems)
        current = await draft_records.published(tx, name)
        previous = None if current is None else current.version
        definition = load_yaml(record.source)
        assert isinstance(definition, dict)
        saved = await workflow_records.save_version(
            tx,
            name=name,
            enabled=workflow.enabled if current is None else current.enabled,
            trigger_event=workflow.trigger.event,
            definition=definition,
            source=record.source,
            checksum=checksum(definition),
        )
        head = await workflow_records.find_workflow(tx, name)
        assert head.current_version_id is not None
        moved = stayed = 0
        steps = {step.id for step in workflow.steps}
        for run in await draft_records.waiting_runs(tx, head.id):
            if run.version_id == head.current_version_id:
                continue
            movable = in_flight == "move" and run.cursor in steps
            if movable and await draft_records.move_run(tx, run, head.current_version_id):
                moved += 1
            else:
                stayed += 1
        await draft_records.delete_draft(tx, name)
        details = {
            "version": saved.version,
            "from": previous,
            "in_flight": in_flight,
            "moved": moved,
            "stayed": stayed,
        }
        await audit.record(tx, actor, audit.WORKFLOW_PUBLISHED, name, details)
    note_change()
    return Published(name, saved.version, previous, in_flight, moved, stayed)


def _dump(data: Any) -> str:
    """YAML through ruamel's round trip: comments and key order stay as they are."""
    writer = YAML()
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.width = 4096  # long lines stay whole
    out = io.StringIO()
    writer.dump(data, out)
    return out.getvalue()


def from_trigger(name: str, event: str) -> str:
    """The YAML of a new workflow started by ``event``: one message to edit."""
    check_name(name)
    if event not in TRIGGER_EVENTS:
        raise ValidationFailed("trigger", f"one of: {', '.join(sorted(TRIGGER_EVENTS))}")
    data = CommentedMap()
    data["name"] = name
    data["description"] = "What this workflow does"
    data["trigger"] = CommentedMap(event=str(event))  # a plain string, not an EventType
    step = CommentedMap(id="hello", type="send_message", text="Hello! How can we help?")
    data["steps"] = [step]
    data.yaml_set_start_comment(f"A new workflow started by {event}: edit its steps.")
    data.yaml_set_comment_before_after_key("steps", before="What the bot does, in order.")
    return _dump(data)


def example_names() -> list[str]:
    return sorted(path.stem for path in EXAMPLES.glob("*.yaml"))


def from_example(name: str, example: str) -> str:
    """The example file ``example`` as the YAML of ``name`` (its comments kept)."""
    check_name(name)
    if example not in example_names():
        raise ValidationFailed("example", f"one of: {', '.join(example_names())}")
    reader = YAML()
    reader.preserve_quotes = True
    data = reader.load((EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8"))
    data["name"] = name
    return _dump(data)
