"""/api/conversations: list, read with messages, assign, close, reopen, tag, reply."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from bot.app.api import serialize
from bot.app.api.common import Id, int_param, parse, services_of
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import conversations as convs
from bot.domain.replies import queue_reply
from bot.storage.app import conversation_queries
from bot.storage.domain.conversation_records import ConversationRow
from bot.storage.uow import Tx

routes = web.RouteTableDef()
AGENT_ROUTES = frozenset({("GET", "/conversations"), ("GET", "/conversations/{id}")})
"""The routes of this table agents may call too."""

STATUSES = {"open", "closed"}


class AssignBody(BaseModel):
    agent_id: Id | None = None
    team_id: Id | None = None


class TagBody(BaseModel):
    tag: str = Field(min_length=1, max_length=120)


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=4096)
    agent_id: Id | None = None


@routes.get("/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    services = services_of(request)
    limit = min(int_param(request, "limit", default=50), 500)
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        raise ValidationFailed("status", f"must be one of {sorted(STATUSES)}")
    assignee_id = int_param(request, "assignee_id") if "assignee_id" in request.query else None
    async with services.uow() as tx:
        rows = await conversation_queries.recent_conversations(
            tx,
            limit=limit,
            status=status,
            channel=request.query.get("channel"),
            assignee_id=assignee_id,
            unassigned=request.query.get("unassigned") == "true",
            tag=request.query.get("tag"),
        )
        items = [serialize.conversation(r, await convs.tags_of(tx, r.id)) for r in rows]
    return web.json_response({"items": items})


async def _conversation(tx: Tx, conversation_id: int) -> ConversationRow:
    conversation = await conversation_queries.find_conversation(tx, conversation_id)
    if conversation is None:
        raise NotFoundError(f"conversation {conversation_id} not found")
    return conversation


@routes.get("/conversations/{id}")
async def read_conversation(request: web.Request) -> web.Response:
    conversation_id = int_param(request, "id")
    async with services_of(request).uow() as tx:
        row = await _conversation(tx, conversation_id)
        messages = await conversation_queries.conversation_messages(tx, conversation_id)
        body = serialize.conversation(row, await convs.tags_of(tx, conversation_id))
        body["messages"] = [serialize.message(m) for m in messages]
    return web.json_response(body)


@routes.post("/conversations/{id}/assign")
async def assign(request: web.Request) -> web.Response:
    conversation_id = int_param(request, "id")
    body = await parse(request, AssignBody)
    async with services_of(request).uow() as tx:
        if body.agent_id is None and body.team_id is None:
            changed = await convs.unassign(tx, conversation_id, by="api")
        else:
            changed = await convs.assign(
                tx, conversation_id, body.agent_id, team_id=body.team_id, by="api"
            )
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/close")
async def close(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.close(tx, int_param(request, "id"), by="api")
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/reopen")
async def reopen(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.reopen(tx, int_param(request, "id"), by="api")
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/tags")
async def add_tag(request: web.Request) -> web.Response:
    body = await parse(request, TagBody)
    async with services_of(request).uow() as tx:
        changed = await convs.add_tag(tx, int_param(request, "id"), body.tag, by="api")
    return web.json_response({"changed": changed})


@routes.delete("/conversations/{id}/tags/{tag}")
async def remove_tag(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.remove_tag(
            tx, int_param(request, "id"), request.match_info["tag"], by="api"
        )
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/messages")
async def reply(request: web.Request) -> web.Response:
    body = await parse(request, ReplyBody)
    async with services_of(request).uow() as tx:
        conversation = await _conversation(tx, int_param(request, "id"))
        row = await queue_reply(
            tx, conversation, body.text, sender_kind="agent", agent_id=body.agent_id
        )
    return web.json_response({"message_id": row.id}, status=201)
