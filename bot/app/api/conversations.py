"""/api/conversations: list, read with messages, assign, close, reopen, tag, reply."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.app.api import serialize
from bot.app.api.common import Id, int_param, parse, services_of
from bot.core.errors import ValidationFailed
from bot.domain import conversations as convs
from bot.domain.replies import queue_reply
from bot.storage.models import Conversation, ConversationTag, Message, Tag

routes = web.RouteTableDef()

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
    query = select(Conversation).order_by(Conversation.last_activity_at.desc()).limit(limit)
    status = request.query.get("status")
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed("status", f"must be one of {sorted(STATUSES)}")
        query = query.where(Conversation.status == status)
    if "channel" in request.query:
        query = query.where(Conversation.channel == request.query["channel"])
    if "assignee_id" in request.query:
        query = query.where(Conversation.assignee_id == int_param(request, "assignee_id"))
    if request.query.get("unassigned") == "true":
        query = query.where(Conversation.assignee_id.is_(None))
    if "tag" in request.query:
        query = query.join(ConversationTag).join(Tag).where(Tag.name == request.query["tag"])
    async with services.uow() as tx:
        rows = list(await tx.session.scalars(query))
        items = [serialize.conversation(r, await convs.tags_of(tx, r.id)) for r in rows]
    return web.json_response({"items": items})


@routes.get("/conversations/{id}")
async def read_conversation(request: web.Request) -> web.Response:
    conversation_id = int_param(request, "id")
    async with services_of(request).uow() as tx:
        row = await convs.get(tx, conversation_id)
        messages = await tx.session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
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
        conversation = await convs.get(tx, int_param(request, "id"))
        row = await queue_reply(
            tx, conversation, body.text, sender_kind="agent", agent_id=body.agent_id
        )
    return web.json_response({"message_id": row.id}, status=201)
