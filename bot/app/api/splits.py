"""/api/workflows/{name}/splits: a workflow's A/B tests in a period (agents and admins),
and promoting a test's winner (admins; audited as workflow.split_promoted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.app.api.common import parse, services_of
from bot.app.api.runs import SINCE, UNTIL, funnel_period, text_param
from bot.app.api.spec import CSRF, NAME, error_responses, json_body, ok, query
from bot.app.console.auth import caller_of
from bot.core.errors import NotFoundError
from bot.domain.funnel import Period
from bot.domain.split_promotion import Promoted, promote_branch
from bot.domain.split_results import BranchResult, split_results
from bot.domain.workflow_store import parse_stored
from bot.storage.domain import funnel_records
from bot.storage.uow import UnitOfWork
from workflows.steps.split import SplitStep

routes = web.RouteTableDef()
AGENT_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", "/workflows/{name}/splits")})
"""The routes of this table agents may call too."""


@dataclass(frozen=True)
class AbTest:
    """One split step's results; ``current``: the current version has this split, so its
    winner can be promoted."""

    step_id: str
    goal: dict[str, Any] | None
    branches: list[BranchResult]
    current: bool


@dataclass(frozen=True)
class AbTests:
    workflow: str
    version: int
    period: Period
    tests: list[AbTest]


def _current_splits(definition: dict[str, Any], name: str) -> dict[str, SplitStep]:
    steps = parse_stored(definition, name).steps
    return {step.step_id: step for step in steps if isinstance(step, SplitStep)}


async def ab_tests(uow: UnitOfWork, name: str, period: Period) -> AbTests:
    """Each split of ``name`` taken in ``period``, and each split of its current version
    (with no conversations yet when none passed it), current ones first in step order.
    The goal shown is the one the counts were made with (the newest run's), else the
    current version's."""
    async with uow() as tx:
        current = await funnel_records.current_version(tx, name)
    if current is None:
        raise NotFoundError(f"no workflow named {name!r}")
    splits = _current_splits(current.definition, name)
    found = {r.step_id: r for r in await split_results(uow, name, period.since, period.until)}
    tests = []
    for step_id, split in splits.items():
        taken = found.pop(step_id, None)
        counted = {b.name: b for b in taken.branches} if taken else {}
        names = [b.name for b in split.branches]
        names += [n for n in counted if n not in names]
        branches = [counted.get(n) or BranchResult(n, 0, 0, None, None, None) for n in names]
        if taken is not None:
            goal = taken.goal  # the goal the counts were made with
        else:
            goal = split.goal.model_dump(exclude_none=True) if split.goal else None
        tests.append(AbTest(step_id, goal, branches, current=True))
    tests += [AbTest(r.step_id, r.goal, r.branches, current=False) for r in found.values()]
    return AbTests(name, current.version, period, tests)


def describe_goal(goal: dict[str, Any] | None) -> str:
    """The goal in words: "the tag bought added within 7d of the split", say."""
    if goal is None:
        return "no goal set: only the conversations each branch got are counted"
    event, within = str(goal.get("event")), str(goal.get("within", "7d"))
    if goal.get("tag"):
        word = "added" if event == "tag.added" else "removed"
        return f"the tag {goal['tag']} {word} within {within} of the split"
    return f"{event} within {within} of the split"


def splits_json(found: AbTests) -> dict[str, Any]:
    return {
        "workflow": found.workflow,
        "version": found.version,
        "period": {
            "since": found.period.since.isoformat(),
            "until": found.period.until.isoformat(),
            "preset": found.period.preset,
        },
        "splits": [
            {
                "step_id": test.step_id,
                "goal": test.goal,
                "goal_text": describe_goal(test.goal),
                "current": test.current,
                "branches": [
                    {
                        "name": b.name,
                        "runs": b.runs,
                        "goals": b.goals,
                        "rate": b.rate,
                        "low": b.low,
                        "high": b.high,
                    }
                    for b in test.branches
                ],
            }
            for test in found.tests
        ],
    }


@routes.get("/workflows/{name}/splits")
async def read_splits(request: web.Request) -> web.Response:
    name = text_param(request, "name") or ""
    found = await ab_tests(services_of(request).uow, name, funnel_period(request))
    return web.json_response(splits_json(found))


class PromoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branch: str = Field(min_length=1, max_length=60)


def promoted_json(done: Promoted) -> dict[str, Any]:
    return {
        "workflow": done.workflow,
        "step": done.step_id,
        "branch": done.branch,
        "version": done.version,
    }


@routes.post("/workflows/{name}/splits/{step}/promote")
async def promote(request: web.Request) -> web.Response:
    body = await parse(request, PromoteBody)
    name = text_param(request, "name") or ""
    step = text_param(request, "step") or ""
    actor = caller_of(request).actor("api")
    done = await promote_branch(services_of(request).uow, name, step, body.branch, actor)
    return web.json_response(promoted_json(done))


STEP = {"name": "step", "in": "path", "required": True, "schema": {"type": "string"}}
OPENAPI: dict[str, Any] = {
    "/api/workflows/{name}/splits": {
        "get": {
            "summary": "A/B tests: per split step and branch, the conversations, goals reached,"
            " goal rate and its 95 % interval (agents too)",
            "parameters": [
                NAME,
                query("period", "24h, 7d (default) or 30d, ending now", enum=["24h", "7d", "30d"]),
                SINCE,
                UNTIL,
            ],
            "responses": ok("Splits") | error_responses(400, 401, 404),
        }
    },
    "/api/workflows/{name}/splits/{step}/promote": {
        "post": {
            "summary": "Publish a version without the split, every way into it going where"
            " the branch went (admins; audited as workflow.split_promoted)",
            "parameters": [NAME, STEP, CSRF],
            "requestBody": json_body(
                {
                    "type": "object",
                    "required": ["branch"],
                    "properties": {"branch": {"type": "string"}},
                }
            ),
            "responses": ok("Promoted") | error_responses(400, 401, 403, 404),
        }
    },
}
_RATE = {"type": ["number", "null"], "description": "0 to 1; null without a goal or runs"}
SCHEMAS: dict[str, Any] = {
    "Splits": {
        "type": "object",
        "properties": {
            "workflow": {"type": "string"},
            "version": {"type": "integer", "description": "the current version"},
            "period": {"type": "object"},
            "splits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "step_id": {"type": "string"},
                        "goal": {
                            "type": ["object", "null"],
                            "properties": {
                                "event": {"type": "string"},
                                "tag": {"type": "string"},
                                "within": {"type": "string"},
                            },
                        },
                        "goal_text": {"type": "string"},
                        "current": {
                            "type": "boolean",
                            "description": "the current version has this split (it can be"
                            " promoted)",
                        },
                        "branches": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "runs": {"type": "integer"},
                                    "goals": {"type": "integer"},
                                    "rate": _RATE,
                                    "low": _RATE,
                                    "high": _RATE,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "Promoted": {
        "type": "object",
        "properties": {
            "workflow": {"type": "string"},
            "step": {"type": "string"},
            "branch": {"type": "string"},
            "version": {"type": "integer", "description": "the new current version"},
        },
    },
}
