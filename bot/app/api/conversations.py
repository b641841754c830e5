"""/api/conversations: list, read with messages (and internal notes), assign, close,
reopen, tag, reply. Agents may do all but assign to someone else (see
:func:`bot.domain.conversations.assign_by`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel, Field

from bot.app.api import serialize
from bot.app.api.common import Id, error, int_param, parse, services_of
from bot.app.api.inbox_spec import CONVERSATION_PATHS as OPENAPI
from bot.app.api.inbox_spec import CONVERSATION_SCHEMAS as SCHEMAS
from bot.app.console.auth import caller_of
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import conversations as convs
from bot.domain.conversations import Acting, NotAllowed
from bot.domain.replies import queue_reply
from bot.storage.app import conversation_queries
from bot.storage.domain.conversation_records import ConversationRow
from bot.storage.uow import Tx

routes = web.RouteTableDef()
AGENT_ROUTES = frozenset(
    {
        ("GET", "/conversations"),
        ("GET", "/conversations/{id}"),
        ("POST", "/conversations/{id}/assign"),
        ("POST", "/conversations/{id}/close"),
        ("POST", "/conversations/{id}/reopen"),
        ("POST", "/conversations/{id}/tags"),
        ("DELETE", "/conversations/{id}/tags/{tag}"),
        ("POST", "/conversations/{id}/messages"),
    }
)
"""The routes of this table agents may call too (assigning to others stays for admins:
the handler refuses it with 403)."""
__all__ = ["AGENT_ROUTES", "OPENAPI", "SCHEMAS", "acting_of", "allowed", "routes"]

STATUSES = {"open", "closed"}


class AssignBody(BaseModel):
    agent_id: Id | None = None
    team_id: Id | None = None


class TagBody(BaseModel):
    tag: str = Field(min_length=1, max_length=120)


def acting_of(request: web.Request) -> Acting:
    """The caller as the conversation rules see it: a session's account (its agent
    record), or the bearer token (an admin without one)."""
    caller = caller_of(request)
    if caller.session is None:
        return Acting(None, True, "api", caller.actor("api"))
    account = caller.session.account
    return Acting(account.agent_id, account.is_admin, f"api:{account.email}", caller.actor("api"))


Handler = Callable[[web.Request], Awaitable[web.Response]]


def allowed(handler: Handler) -> Handler:
    """``handler`` with :class:`NotAllowed` answered as 403 naming the field."""

    async def answer(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except NotAllowed as exc:
            services_of(request).refusals.refuse("api", "forbidden", request.remote)
            return error(403, exc.field, exc.reason)

    return answer


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
@allowed
async def assign(request: web.Request) -> web.Response:
    """Admins assign to any agent or team (audited); agents only to themselves, or to
    nobody when the conversation is theirs."""
    conversation_id = int_param(request, "id")
    body = await parse(request, AssignBody)
    async with services_of(request).uow() as tx:
        changed = await convs.assign_by(
            tx, conversation_id, acting_of(request), body.agent_id, body.team_id
        )
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/close")
async def close(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.close(tx, int_param(request, "id"), by=acting_of(request).by)
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/reopen")
async def reopen(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.reopen(tx, int_param(request, "id"), by=acting_of(request).by)
    return web.json_response({"changed": changed})


@routes.post("/conversations/{id}/tags")
async def add_tag(request: web.Request) -> web.Response:
    body = await parse(request, TagBody)
    async with services_of(request).uow() as tx:
        changed = await convs.add_tag(
            tx, int_param(request, "id"), body.tag, by=acting_of(request).by
        )
    return web.json_response({"changed": changed})


@routes.delete("/conversations/{id}/tags/{tag}")
async def remove_tag(request: web.Request) -> web.Response:
    async with services_of(request).uow() as tx:
        changed = await convs.remove_tag(
            tx, int_param(request, "id"), request.match_info["tag"], by=acting_of(request).by
        )
    return web.json_response({"changed": changed})


def _author(request: web.Request, given: int | None) -> int | None:
    """Who a reply is from: with the bearer token, the ``agent_id`` given (or none); with
    a session, the account's own agent (an admin may name another agent)."""
    who = acting_of(request)
    if caller_of(request).session is None:
        return given
    if given is not None and given != who.agent_id:
        if not who.is_admin:
            raise NotAllowed("agent_id", "agents reply only as themselves")
        return given
    return who.own_agent()


@routes.post("/conversations/{id}/messages")
@allowed
async def reply(request: web.Request) -> web.Response:
    """Queue an agent's reply for the customer's channel."""
    body = await parse(request, ReplyBody)
    agent_id = _author(request, body.agent_id)
    async with services_of(request).uow() as tx:
        conversation = await _conversation(tx, int_param(request, "id"))
        row = await queue_reply(
            tx,
            conversation,
            body.text,
            sender_kind="agent",
            agent_id=agent_id,
            source=None if caller_of(request).session is None else "console",
        )
    return web.json_response({"message_id": row.id}, status=201)
