"""/api/audit: the audit log, newest first, filtered and paged (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from bot.app.api.common import int_param, services_of
from bot.core.errors import ValidationFailed
from bot.domain import audit
from bot.domain.audit import AuditFilter, AuditLine

routes = web.RouteTableDef()
MAX_LIMIT = 200


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
    limit = int_param(request, "limit", default=50)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed("limit", f"must be between 1 and {MAX_LIMIT}")
    page = await audit.read(services_of(request).uow, audit_filter(request), limit)
    return web.json_response(
        {"items": [line_json(x) for x in page.lines], "next_before": page.next_before}
    )
