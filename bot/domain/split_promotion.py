"""Promote an A/B test's winning branch: a new current version of the workflow without the
split (:mod:`workflows.split_promotion`), validated like a file, audited."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit
from bot.domain.audit import Actor
from bot.domain.workflow_store import checksum, note_change
from bot.storage.domain import workflow_records
from bot.storage.uow import UnitOfWork
from workflows.loader import parse_data
from workflows.split_promotion import PromotionError, without_split


@dataclass(frozen=True)
class Promoted:
    workflow: str
    step_id: str
    branch: str
    version: int


async def promote_branch(
    uow: UnitOfWork, name: str, step_id: str, branch: str, actor: Actor
) -> Promoted:
    """Publish workflow ``name`` without split ``step_id``, going where ``branch`` went.

    Runs in flight finish on the version they started on; new runs start on the new one."""
    async with uow() as tx:
        head = await workflow_records.find_workflow(tx, name)
        versions = await workflow_records.workflow_versions(tx, head.id)
        current = next((v for v in versions if v.id == head.current_version_id), None)
        if current is None:
            raise NotFoundError(f"workflow {name!r} has no current version")
        try:
            definition = without_split(current.definition, step_id, branch)
        except PromotionError as exc:
            raise ValidationFailed("step", str(exc)) from exc
        workflow, problems = parse_data(definition, source=f"{name} (v{current.version})")
        if workflow is None or problems:
            raise ValidationFailed("definition", str(problems[0]) if problems else "not valid")
        saved = await workflow_records.save_version(
            tx,
            name=name,
            enabled=head.enabled,
            trigger_event=workflow.trigger.event,
            definition=definition,
            source=yaml.safe_dump(definition, sort_keys=False, allow_unicode=True),
            checksum=checksum(definition),
        )
        await audit.record(
            tx,
            actor,
            audit.WORKFLOW_SPLIT_PROMOTED,
            name,
            {"step": step_id, "branch": branch, "from": current.version, "to": saved.version},
        )
    note_change()
    return Promoted(name, step_id, branch, saved.version)
