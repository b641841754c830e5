"""/api/audit: the audit log, newest first, filtered and paged (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.app.api.common import int_param, page_size, services_of
from bot.app.api.spec import error_responses, ok, query
from bot.core.errors import ValidationFailed
from bot.domain import audit
from bot.domain.audit import ACTIONS, AuditFilter, AuditLine

routes = web.RouteTableDef()
OPENAPI: dict[str, Any] = {
    "/api/audit": {
        "get": {
            "summary": "The audit log, newest first (admins)",
            "parameters": [
                query("actor", "an account's e-mail, cli, a Slack user id, api-token"),
                query("action", "one action", enum=list(ACTIONS)),
                query("since", "ISO 8601 time, inclusive", format="date-time"),
                query("until", "ISO 8601 time, exclusive", format="date-time"),
                query("before", "lines older than this id (next_before)", type="integer"),
                query("limit", "1 to 200, 50 by default", type="integer"),
            ],
            "responses": ok("AuditPage") | error_responses(400, 401, 403),
        }
    },
}
SCHEMAS: dict[str, Any] = {
    "AuditPage": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "at": {"type": "string", "format": "date-time"},
                        "actor": {"type": "string"},
                        "actor_kind": {"enum": ["account", "cli", "slack", "api-token"]},
                        "source": {"enum": ["console", "api", "cli", "slack"]},
                        "action": {"type": "string"},
                        "target": {"type": ["string", "null"]},
                        "details": {"type": "object"},
                        "client_address": {"type": ["string", "null"]},
                    },
                },
            },
            "next_before": {"type": ["integer", "null"]},
        },
    },
}


def time_param(request: web.Request, name: str) -> datetime | None:
    """An ISO 8601 time from the query (UTC when it names no zone)."""
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(name, "must be an ISO 8601 time") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def audit_filter(request: web.Request) -> AuditFilter:
    """The filters the query names: actor, action, since, until, before (an id)."""
    before = request.query.get("before")
    return AuditFilter(
        actor=request.query.get("actor") or None,
        action=request.query.get("action") or None,
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        before_id=int_param(request, "before") if before else None,
    )


def line_json(line: AuditLine) -> dict[str, object]:
    return {
        "id": line.id,
        "at": line.at.isoformat(),
        "actor": line.actor,
        "actor_kind": line.actor_kind,
        "source": line.source,
        "action": line.action,
        "target": line.target,
        "details": line.details,
        "client_address": line.client_address,
    }


@routes.get("/audit")
async def read_audit(request: web.Request) -> web.Response:
    limit = page_size(request)
    page = await audit.read(services_of(request).uow, audit_filter(request), limit)
    return web.json_response(
        {"items": [line_json(x) for x in page.lines], "next_before": page.next_before}
    )
