"""/api/runs: runs with filters and paging, a run's whole log, and a workflow's funnel
(agents and admins)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.app.api.audit import time_param
from bot.app.api.common import int_param, page_size, services_of
from bot.app.api.spec import NAME, error_responses, ok, query
from bot.core.clean import clean_text
from bot.core.errors import ValidationFailed
from bot.domain import funnel, run_logs
from bot.domain.funnel import Funnel, Period
from bot.domain.run_logs import SHOWN_STATUSES, RunDetail, RunFilter, RunView

routes = web.RouteTableDef()
AGENT_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {("GET", "/runs"), ("GET", "/runs/{id}"), ("GET", "/workflows/{name}/funnel")}
)
"""The routes of this table agents may call too."""


def text_param(request: web.Request, name: str) -> str | None:
    """A text from the path or the query (None when empty); refused when it carries
    characters no column takes (NUL, lone surrogates)."""
    value = request.match_info.get(name) or request.query.get(name) or None
    if value is not None and (clean_text(value) != value or len(value) > 200):
        raise ValidationFailed(name, "is not a name that can exist")
    return value


def run_filter(request: web.Request) -> RunFilter:
    """The filters the query names: workflow, status, conversation, since, until, before."""
    q = request.query
    return RunFilter(
        workflow=text_param(request, "workflow"),
        status=text_param(request, "status"),
        conversation_id=int_param(request, "conversation") if q.get("conversation") else None,
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        before_id=int_param(request, "before") if q.get("before") else None,
    )


def funnel_period(request: web.Request) -> Period:
    """The period the query asks for: ``period`` (24h, 7d, 30d) or ``since``/``until``."""
    preset = text_param(request, "period")
    since, until = time_param(request, "since"), time_param(request, "until")
    if preset == "custom":
        preset = None
    return funnel.period_of(services_of(request).clock.now(), preset, since, until)


def run_json(run: RunView) -> dict[str, Any]:
    ended = run.finished_at
    return {
        "id": run.id,
        "workflow": run.workflow,
        "version": run.version,
        "status": run.shown_status,
        "stored_status": run.status,
        "conversation_id": run.conversation_id,
        "started_at": run.started_at.isoformat(),
        "finished_at": ended.isoformat() if ended else None,
        "duration_s": (ended - run.started_at).total_seconds() if ended else None,
        "current_step": run.cursor,
        "error": run.error,
    }


def detail_json(detail: RunDetail) -> dict[str, Any]:
    lines = []
    for index, line in enumerate(detail.run.lines):
        timing = detail.timings.get(index)
        lines.append(
            {
                "kind": line.kind,
                "step_id": line.step_id,
                "message": line.message,
                "data": line.data,
                "duration_ms": line.duration_ms,
                "at": line.at.isoformat(),
                "took_s": timing.seconds if timing else None,
                "waiting_since": timing.waiting_since.isoformat()
                if timing and timing.waiting_since
                else None,
            }
        )
    return run_json(detail.run) | {
        "trigger": {"event": detail.trigger_event, "data": detail.trigger_data},
        "lines": lines,
        "skipped": [
            {"workflow": s.workflow, "message": s.message, "data": s.data, "at": s.at.isoformat()}
            for s in detail.skipped
        ],
    }


def funnel_json(result: Funnel) -> dict[str, Any]:
    return {
        "workflow": result.workflow,
        "version": result.version,
        "period": {
            "since": result.period.since.isoformat(),
            "until": result.period.until.isoformat(),
            "preset": result.period.preset,
        },
        "totals": {
            "started": result.started,
            "completed": result.completed,
            "cancelled": result.cancelled,
            "failed": result.failed,
            "in_progress": result.in_progress,
        },
        "steps": [
            {
                "step_id": s.step_id,
                "label": s.label,
                "reached": s.reached,
                "exits": [{"exit": e.exit, "to": e.to, "runs": e.runs} for e in s.exits],
                "failed": s.failed,
                "stuck": s.stuck,
                "in_workflow": s.in_workflow,
            }
            for s in result.steps
        ],
        "chart": result.chart,
        "badges": result.badges,
        "edge_badges": result.edge_badges,
    }


@routes.get("/runs")
async def list_runs(request: web.Request) -> web.Response:
    limit = page_size(request)
    page = await run_logs.runs_page(services_of(request).uow, run_filter(request), limit)
    return web.json_response(
        {"items": [run_json(r) for r in page.runs], "next_before": page.next_before}
    )


@routes.get("/runs/{id}")
async def read_run(request: web.Request) -> web.Response:
    detail = await run_logs.run_detail(services_of(request).uow, int_param(request, "id"))
    return web.json_response(detail_json(detail))


@routes.get("/workflows/{name}/funnel")
async def read_funnel(request: web.Request) -> web.Response:
    name = text_param(request, "name") or ""
    result = await funnel.funnel(services_of(request).uow, name, funnel_period(request))
    return web.json_response(funnel_json(result))


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
SINCE = query("since", "ISO 8601 time, inclusive (started at)", format="date-time")
UNTIL = query("until", "ISO 8601 time, exclusive (started at)", format="date-time")
OPENAPI: dict[str, Any] = {
    "/api/runs": {
        "get": {
            "summary": "Runs, newest first, filtered and paged (agents too)",
            "parameters": [
                query("workflow", "a workflow's name"),
                query(
                    "status",
                    "running (also calling), waiting, finished (completed or cancelled), failed",
                    enum=list(SHOWN_STATUSES),
                ),
                query("conversation", "a conversation id", type="integer"),
                SINCE,
                UNTIL,
                query("before", "runs older than this id (next_before)", type="integer"),
                query("limit", "1 to 200, 50 by default", type="integer"),
            ],
            "responses": ok("RunPage") | error_responses(400, 401, 404),
        }
    },
    "/api/runs/{id}": {
        "get": {
            "summary": "One run with its trigger and every log line (agents too)",
            "parameters": [ID],
            "responses": ok("RunDetail") | error_responses(400, 401, 404),
        }
    },
    "/api/workflows/{name}/funnel": {
        "get": {
            "summary": "Per step: runs that reached it, left by each exit, failed, stay (agents too)",
            "parameters": [
                NAME,
                query("period", "24h, 7d (default) or 30d, ending now", enum=["24h", "7d", "30d"]),
                SINCE,
                UNTIL,
            ],
            "responses": ok("Funnel") | error_responses(400, 401, 404),
        }
    },
}
_RUN = {
    "id": {"type": "integer"},
    "workflow": {"type": "string"},
    "version": {"type": "integer"},
    "status": {"enum": list(SHOWN_STATUSES)},
    "stored_status": {
        "enum": ["running", "calling", "waiting", "completed", "cancelled", "failed"]
    },
    "conversation_id": {"type": ["integer", "null"]},
    "started_at": {"type": "string", "format": "date-time"},
    "finished_at": {"type": ["string", "null"], "format": "date-time"},
    "duration_s": {"type": ["number", "null"]},
    "current_step": {"type": ["string", "null"]},
    "error": {"type": ["string", "null"]},
}
_COUNTS = {"type": "object", "additionalProperties": {"type": "string"}}
SCHEMAS: dict[str, Any] = {
    "Run": {"type": "object", "properties": _RUN},
    "RunPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}},
            "next_before": {"type": ["integer", "null"]},
        },
    },
    "RunDetail": {
        "type": "object",
        "properties": _RUN
        | {
            "trigger": {
                "type": "object",
                "properties": {"event": {"type": "string"}, "data": {"type": "object"}},
            },
            "skipped": {
                "description": "the other workflows the same event did not start, and why",
                "type": "array",
                "items": {"type": "object"},
            },
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": ["trigger", "condition", "step", "call", "error", "info"]},
                        "step_id": {"type": ["string", "null"]},
                        "message": {"type": "string"},
                        "data": {"type": "object"},
                        "duration_ms": {"type": ["number", "null"]},
                        "at": {"type": "string", "format": "date-time"},
                        "took_s": {"type": ["number", "null"]},
                        "waiting_since": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
            },
        },
    },
    "Funnel": {
        "type": "object",
        "properties": {
            "workflow": {"type": "string"},
            "version": {"type": "integer"},
            "period": {"type": "object"},
            "totals": {"type": "object", "additionalProperties": {"type": "integer"}},
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "step_id": {"type": "string"},
                        "label": {"type": "string"},
                        "reached": {"type": "integer"},
                        "exits": {"type": "array", "items": {"type": "object"}},
                        "failed": {"type": "integer"},
                        "stuck": {"type": "integer"},
                        "in_workflow": {"type": "boolean"},
                    },
                },
            },
            "chart": {"type": "object"},
            "badges": _COUNTS,
            "edge_badges": _COUNTS,
        },
    },
}
