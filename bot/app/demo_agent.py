"""The demo agent page, ``/demo/agent``: served only in demo mode (``make run``).

A stand-in for the Slack console when nothing is configured: it lists the open
conversations offered or assigned to the demo agents, lets a demo agent accept an
offered one (a ``conversation.assigned`` by that agent, as a Slack claim is) and reply
(an agent message, as a Slack thread reply is). There is no sign-in: the routes exist
only in demo mode, and the writes take JSON only, which a cross-site form cannot send.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.domain import conversations as convs
from bot.domain.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    demo_agents,
    seed_demo,
    seed_demo_accounts,
)
from bot.domain.replies import queue_reply
from bot.pipeline.services import SERVICES, Services
from bot.storage.app.demo_agent_queries import (
    demo_conversation,
    latest_messages,
    open_conversations,
)
from bot.storage.domain.conversation_records import ConversationRow
from bot.storage.domain.demo_records import DemoAgent
from bot.storage.uow import Tx

logger = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("demo_agent.html")
RECENT_MESSAGES = 30


def setup_demo(app: web.Application, services: Services) -> None:
    """In demo mode: seed the demo data at start-up and serve the demo agent page."""
    if not services.settings.demo:
        return
    app.router.add_routes(demo_agent_routes())

    async def on_startup(app: web.Application) -> None:
        async with services.uow() as tx:
            await seed_demo(tx)
        await seed_demo_accounts(services.uow)
        logger.info(
            "demo console: sign in at /console as %s (admin) or %s (agent), password %s",
            DEMO_ACCOUNTS[0][0],
            DEMO_ACCOUNTS[1][0],
            DEMO_PASSWORD,
        )

    app.on_startup.append(on_startup)


def demo_agent_routes() -> list[web.AbstractRouteDef]:
    """The page, its state as JSON, and the accept and reply actions."""
    return [
        web.get("/demo/agent", page),
        web.get("/demo/agent/state", state),
        web.post("/demo/agent/conversations/{id}/accept", accept),
        web.post("/demo/agent/conversations/{id}/messages", reply),
    ]


async def page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        PAGE, headers={"Content-Type": "text/html", "Cache-Control": "no-cache"}
    )


async def state(request: web.Request) -> web.Response:
    """Open conversations offered or assigned to a demo agent, with their recent messages."""
    async with request.app[SERVICES].uow() as tx:
        agents = {a.id: a for a in await demo_agents(tx)}
        rows = await open_conversations(tx, limit=50)
        listed = [await _summary(tx, c, agents) for c in rows if _handler(c, agents) is not None]
    return web.json_response(
        {"agents": [{"id": a.id, "name": a.name} for a in agents.values()], "conversations": listed}
    )


def _handler(conversation: ConversationRow, agents: dict[int, DemoAgent]) -> DemoAgent | None:
    """The demo agent who has (or is offered) the conversation."""
    if conversation.assignee_id is not None:
        return agents.get(conversation.assignee_id)
    offered = (conversation.attributes or {}).get("offered_to")
    return (
        agents.get(int(offered))
        if isinstance(offered, int | str) and str(offered).isdigit()
        else None
    )


async def _summary(
    tx: Tx, conversation: ConversationRow, agents: dict[int, DemoAgent]
) -> dict[str, Any]:
    agent = _handler(conversation, agents)
    assert agent is not None
    messages = await latest_messages(tx, conversation.id, limit=RECENT_MESSAGES)
    names = {a.id: a.name for a in agents.values()}
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "agent": agent.name,
        "assigned": conversation.assignee_id == agent.id,
        "messages": [
            {
                "id": m.id,
                "direction": m.direction,
                "sender_kind": m.sender_kind,
                "sender_name": names.get(m.agent_id) if m.agent_id is not None else None,
                "text": m.text or "",
            }
            for m in messages
        ],
    }


async def _conversation_and_agent(
    tx: Tx, request: web.Request
) -> tuple[ConversationRow, DemoAgent]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send JSON")
    try:
        conversation_id = int(request.match_info["id"])
    except ValueError as exc:
        raise web.HTTPNotFound from exc
    conversation = await demo_conversation(tx, conversation_id)
    agent = (
        _handler(conversation, {a.id: a for a in await demo_agents(tx)}) if conversation else None
    )
    if conversation is None or agent is None:
        raise web.HTTPNotFound(text="no such conversation for a demo agent")
    return conversation, agent


async def accept(request: web.Request) -> web.Response:
    """The offered demo agent takes the conversation."""
    async with request.app[SERVICES].uow() as tx:
        conversation, agent = await _conversation_and_agent(tx, request)
        await convs.assign(tx, conversation.id, agent.id, by=f"demo-agent:{agent.id}")
    logger.info("demo agent %s took conversation %s", agent.name, conversation.id)
    return web.json_response({"agent": agent.name})


async def reply(request: web.Request) -> web.Response:
    """The assigned demo agent answers the customer."""
    body = await request.json() if request.content_type == "application/json" else {}
    text = str(body.get("text") or "").strip() if isinstance(body, dict) else ""
    async with request.app[SERVICES].uow() as tx:
        conversation, agent = await _conversation_and_agent(tx, request)
        if conversation.assignee_id != agent.id:
            raise web.HTTPConflict(text="accept the conversation first")
        if not text:
            raise web.HTTPBadRequest(text="write a message")
        row = await queue_reply(
            tx, conversation, text[:4000], sender_kind="agent", agent_id=agent.id
        )
    return web.json_response({"message_id": row.id}, status=201)
