"""/api/inbox: what the console's inbox does beyond /api/conversations: the list with
names and previews, internal notes, claim and release (agents too)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from bot.app.api.common import int_param, parse, services_of
from bot.app.api.conversations import acting_of, allowed
from bot.app.api.inbox_spec import INBOX_PATHS as OPENAPI
from bot.app.api.inbox_spec import INBOX_SCHEMAS as SCHEMAS
from bot.app.console.inbox_shapes import row_data
from bot.core.errors import ValidationFailed
from bot.domain import conversations as convs
from bot.domain.notes import MAX_NOTE, note_as
from bot.storage.app import inbox_queries
from bot.storage.app.inbox_queries import InboxFilter

routes = web.RouteTableDef()
AGENT_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/inbox"),
        ("POST", "/conversations/{id}/notes"),
        ("POST", "/conversations/{id}/claim"),
        ("POST", "/conversations/{id}/release"),
    }
)
"""The routes of this table agents may call too."""
PAGE_SIZE = 50
__all__ = ["AGENT_ROUTES", "OPENAPI", "SCHEMAS", "routes"]


class NoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_NOTE)


@routes.get("/inbox")
async def inbox(request: web.Request) -> web.Response:
    query = request.query
    status = query.get("status")
    if status is not None and status not in ("open", "closed"):
        raise ValidationFailed("status", "must be open or closed")
    page = int_param(request, "page", default=1)
    if page < 1:
        raise ValidationFailed("page", "must be 1 or more")
    where = InboxFilter(
        status=status,
        channel=query.get("channel"),
        tag=query.get("tag"),
        assignee_id=int_param(request, "assignee_id") if "assignee_id" in query else None,
        unassigned=query.get("unassigned") == "true",
    )
    async with services_of(request).db.read() as session:
        rows = await inbox_queries.inbox_rows(
            session, where, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
    return web.json_response(
        {
            "items": [row_data(r) for r in rows[:PAGE_SIZE]],
            "next_page": page + 1 if len(rows) > PAGE_SIZE else None,
        }
    )


@routes.post("/conversations/{id}/notes")
@allowed
async def add_note(request: web.Request) -> web.Response:
    body = await parse(request, NoteBody)
    async with services_of(request).uow() as tx:
        row = await note_as(tx, int_param(request, "id"), acting_of(request), body.text)
    return web.json_response({"message_id": row.id}, status=201)


@routes.post("/conversations/{id}/claim")
@allowed
async def claim(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.claim(tx, int_param(request, "id"), acting_of(request))
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/release")
@allowed
async def release(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.unassign_by(tx, int_param(request, "id"), acting_of(request))
    return web.json_response({"changed": changed})
