"""Checks against what the installation knows beyond the files: lead stages and agents' roles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workflows.problems import Problem
from workflows.schema import Workflow
from workflows.steps.change_lead_stage import ChangeLeadStageStep
from workflows.steps.send_notification import SendNotificationStep


@dataclass(frozen=True)
class Known:
    """Lead stages (``RELAYBOT_LEAD_STAGES``) and the roles agents carry; None: not checked."""

    lead_stages: Sequence[str] | None = None
    roles: frozenset[str] | None = None


def known_problems(
    workflows: Sequence[Workflow], known: Known, sources: Mapping[str, str] | None = None
) -> list[Problem]:
    """Stages not in the stage list, and notification roles no agent carries."""
    sources = sources or {}
    problems = []
    for workflow in workflows:
        file = sources.get(workflow.name, workflow.name)
        if known.lead_stages is not None:
            for name in ("from_stage", "to_stage"):
                stage = getattr(workflow.trigger, name)
                if stage is not None and stage not in known.lead_stages:
                    problems.append(
                        Problem(file, "trigger", name, _stage(stage, known.lead_stages))
                    )
        for step in workflow.steps:
            where = f"step {step.id}"
            if (
                isinstance(step, ChangeLeadStageStep)
                and known.lead_stages is not None
                and "{{" not in step.stage
                and step.stage not in known.lead_stages
            ):
                problems.append(
                    Problem(file, where, "stage", _stage(step.stage, known.lead_stages))
                )
            role = step.to.role if isinstance(step, SendNotificationStep) else None
            if (
                role is not None
                and known.roles is not None
                and "{{" not in role
                and role not in known.roles
            ):
                carried = ", ".join(sorted(known.roles)) or "none"
                problems.append(
                    Problem(
                        file,
                        where,
                        "to.role",
                        f"no agent has the role {role!r} (roles agents have: {carried})",
                    )
                )
    return problems


def _stage(stage: str, stages: Sequence[str]) -> str:
    return f"unknown lead stage {stage!r}; RELAYBOT_LEAD_STAGES: {', '.join(stages)}"
