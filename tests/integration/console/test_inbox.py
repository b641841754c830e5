"""The inbox over HTTP: each filter narrows the list; a reply as the signed-in agent is
queued for the customer's channel; an internal note is stored and shown but never queued,
never in the widget's history nor the AI writer's context; claim, assign, release, close,
reopen and tags with the role rules (an agent may not assign to another agent); the API
routes the pages use, with the same rules."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.messages import InboundMessage, SenderProfile
from bot.domain import audit, contact_privacy
from bot.domain.audit import CLI
from bot.storage.app import people_queries
from bot.storage.domain.message_records import latest_messages
from bot.storage.models import Conversation, Message, OutboxItem
from bot.storage.pipeline.ai_conversation_records import recent_messages
from tests.integration.console.http_support import (
    Client,
    agent_client,
    client,
    csrf,
    form_token,
    make_client,
    services_of,
    sign_in,
)
from tests.integration.console.support import add_agent_record, audit_lines

__all__ = ["agent_client", "client"]


@pytest.fixture
async def agent_on_each_backend(database_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    """Ana signed in, on SQLite and (when configured) PostgreSQL."""
    made = await make_client(database_url, clock)
    try:
        assert await sign_in(made, "ana@example.com") == 303
        yield made
    finally:
        await made.close()


async def customer_writes(
    client: Client, chat: str, text: str, *, channel: str = "telegram", name: str = "Grace"
) -> int:
    """A customer's message (a new conversation for a new ``chat``); its conversation id."""
    result = await services_of(client).inbox.receive(
        InboundMessage(
            channel=channel,
            external_conversation_id=chat,
            external_message_id=f"{chat}-{text}",
            sender=SenderProfile(external_id=chat, name=name),
            text=text,
        )
    )
    assert result.conversation_id is not None
    return result.conversation_id


async def agent_id_of(client: Client, email: str = "ana@example.com") -> int:
    async with services_of(client).uow() as tx:
        agents = await people_queries.all_agents(tx)
    return next(a.id for a in agents if a.email == email)


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


async def page(client: Client, path: str) -> str:
    answer = await client.get(path)
    assert answer.status == 200, path
    return await answer.text()


async def post(client: Client, path: str, **fields: str) -> tuple[int, str]:
    token = form_token(await page(client, "/console/inbox"))
    answer = await client.post(path, data={"csrf_token": token, **fields}, allow_redirects=False)
    return answer.status, answer.headers.get("Location", "") or await answer.text()


async def test_each_filter_narrows_the_list(agent_on_each_backend: Client) -> None:
    client = agent_on_each_backend
    ana = await agent_id_of(client)
    vip = await customer_writes(client, "chat-vip", "I want to buy a lot")
    web = await customer_writes(client, "v_visitor", "Hi from the site", channel="widget")
    done = await customer_writes(client, "chat-done", "Thanks, solved")
    assert (await post(client, f"/console/inbox/{vip}/tags", tag="VIP"))[0] == 303
    assert (await post(client, f"/console/inbox/{vip}/claim"))[0] == 303
    assert (await post(client, f"/console/inbox/{done}/close"))[0] == 303

    html = await page(client, "/console/inbox")
    assert sorted(listed(html)) == sorted([vip, web])  # open by default
    assert "Hi from the site" in html and "Grace" in html and "Ana Agent" in html
    assert sorted(listed(await page(client, "/console/inbox?status=all"))) == sorted(
        [vip, web, done]
    )
    assert listed(await page(client, "/console/inbox?status=closed")) == [done]
    assert listed(await page(client, "/console/inbox?channel=widget")) == [web]
    assert listed(await page(client, "/console/inbox?tag=VIP")) == [vip]
    assert listed(await page(client, "/console/inbox?assignee=me")) == [vip]
    assert listed(await page(client, f"/console/inbox?assignee={ana}")) == [vip]
    assert listed(await page(client, "/console/inbox?assignee=unassigned")) == [web]
    assert listed(await page(client, "/console/inbox?status=all&channel=telegram&tag=VIP")) == [vip]
    assert (await client.get("/console/inbox?status=maybe")).status == 400

    api = await (await client.get("/api/inbox?channel=widget")).json()
    assert [(r["id"], r["preview"], r["contact"]) for r in api["items"]] == [
        (web, "Hi from the site", "Grace")
    ]
    api = await (await client.get(f"/api/inbox?assignee_id={ana}")).json()
    assert [(r["id"], r["assignee"], r["tags"]) for r in api["items"]] == [
        (vip, "Ana Agent", ["VIP"])
    ]
    api = await (await client.get("/api/inbox?unassigned=true&status=open")).json()
    assert [r["id"] for r in api["items"]] == [web]


async def test_a_reply_as_the_signed_in_agent_is_queued_for_the_customer(
    agent_client: Client,
) -> None:
    client = agent_client
    cid = await customer_writes(client, "chat-1", "Where is my parcel?")
    status, location = await post(client, f"/console/inbox/{cid}/reply", text="On its way!")
    assert (status, location) == (303, f"/console/inbox/{cid}?done=replied")
    async with services_of(client).db.session() as session:
        sent = (await session.scalars(select(Message).where(Message.direction == "out"))).one()
        item = (await session.scalars(select(OutboxItem))).one()
    assert (sent.sender_kind, sent.agent_id, sent.text) == (
        "agent",
        await agent_id_of(client),
        "On its way!",
    )
    assert item.destination == "telegram:chat-1" and item.payload["text"] == "On its way!"
    html = await page(client, location)
    assert "Reply sent to the customer" in html
    assert "Agent · Ana Agent" in html and "On its way!" in html

    api = await client.post(
        f"/api/conversations/{cid}/messages",
        json={"text": "And tracked."},
        headers={"X-CSRF-Token": await csrf(client)},
    )
    assert api.status == 201
    other = await add_agent_record(services_of(client), "bo@example.com", "Bo")
    api = await client.post(
        f"/api/conversations/{cid}/messages",
        json={"text": "As Bo", "agent_id": other},
        headers={"X-CSRF-Token": await csrf(client)},
    )
    assert api.status == 403
    assert (await api.json())["error"]["reason"] == "agents reply only as themselves"


async def test_an_account_without_an_agent_record_is_refused_a_reply(client: Client) -> None:
    assert await sign_in(client, "adam@example.com") == 303
    cid = await customer_writes(client, "chat-2", "Hello?")
    status, text = await post(client, f"/console/inbox/{cid}/reply", text="Hi")
    assert status == 403 and "your account has no agent record" in text
    api = await client.post(
        f"/api/conversations/{cid}/notes",
        json={"text": "x"},
        headers={"X-CSRF-Token": await csrf(client)},
    )
    assert api.status == 403 and (await api.json())["error"]["field"] == "agent_id"
    async with services_of(client).db.session() as session:
        assert (await session.scalars(select(OutboxItem))).all() == []


async def test_a_note_is_shown_to_agents_and_never_reaches_the_customer(
    agent_on_each_backend: Client,
) -> None:
    client = agent_on_each_backend
    cid = await customer_writes(client, "v_note", "Can I pay later?", channel="widget")
    status, location = await post(client, f"/console/inbox/{cid}/note", text="Check with finance")
    assert (status, location) == (303, f"/console/inbox/{cid}?done=noted")
    html = await page(client, location)
    assert "Internal note · Ana Agent" in html and "Check with finance" in html
    api = await client.post(
        f"/api/conversations/{cid}/notes",
        json={"text": "Finance says yes"},
        headers={"X-CSRF-Token": await csrf(client)},
    )
    assert api.status == 201

    services = services_of(client)
    async with services.db.session() as session:
        notes = (await session.scalars(select(Message).where(Message.direction == "note"))).all()
        queued = (await session.scalars(select(OutboxItem))).all()
        conversation = await session.get(Conversation, cid)
    assert [n.text for n in notes] == ["Check with finance", "Finance says yes"]
    assert queued == []
    assert conversation is not None and conversation.message_count == 1
    widget = await latest_messages(services.db, "widget", "v_note", 200)
    assert [m.text for m in widget] == ["Can I pay later?"]
    async with services.uow() as tx:
        ai_context = await recent_messages(tx, cid, ("customer", "agent", "bot"), 20)
    assert ai_context == [("customer", "Can I pay later?")]
    read = await (await client.get(f"/api/conversations/{cid}")).json()
    assert [m["direction"] for m in read["messages"]] == ["in", "note", "note"]
    listing = await page(client, "/console/inbox")
    assert "Can I pay later?" in listing and "Finance says yes" not in listing


async def test_agents_claim_release_close_reopen_and_tag_but_assign_only_themselves(
    agent_client: Client,
) -> None:
    client = agent_client
    services = services_of(client)
    ana = await agent_id_of(client)
    bo = await add_agent_record(services, "bo@example.com", "Bo")
    cid = await customer_writes(client, "chat-3", "Help")
    headers = {"X-CSRF-Token": await csrf(client)}

    assert (await post(client, f"/console/inbox/{cid}/assign", to=f"agent:{bo}"))[0] == 403
    api = await client.post(
        f"/api/conversations/{cid}/assign", json={"agent_id": bo}, headers=headers
    )
    assert api.status == 403
    assert (await api.json())["error"]["reason"] == "agents assign conversations only to themselves"
    api = await client.post(
        f"/api/conversations/{cid}/assign", json={"agent_id": ana}, headers=headers
    )
    assert (api.status, await api.json()) == (200, {"changed": True})
    assert (await post(client, f"/console/inbox/{cid}/release"))[1].endswith("done=released")
    assert (await post(client, f"/console/inbox/{cid}/claim"))[1].endswith("done=claimed")
    assert (await post(client, f"/console/inbox/{cid}/close"))[1].endswith("done=closed")
    assert (await post(client, f"/console/inbox/{cid}/reopen"))[1].endswith("done=reopened")
    assert (await post(client, f"/console/inbox/{cid}/tags", tag="refund"))[1].endswith(
        "done=tagged"
    )
    html = await page(client, f"/console/inbox/{cid}")
    assert '<span class="tag">refund</span>' in html
    assert (await post(client, f"/console/inbox/{cid}/tags/remove", tag="refund"))[1].endswith(
        "done=untagged"
    )
    api = await client.post(f"/api/conversations/{cid}/tags", json={"tag": "api"}, headers=headers)
    assert api.status == 200
    api = await client.delete(f"/api/conversations/{cid}/tags/api", headers=headers)
    assert (await api.json()) == {"changed": True}
    async with services.db.session() as session:
        row = await session.get(Conversation, cid)
    assert row is not None and (row.assignee_id, row.status) == (ana, "open")

    # someone else's conversation: an agent may neither take it nor release it
    async with services.uow() as tx:
        await tx.session.execute(
            Conversation.__table__.update().where(Conversation.id == cid).values(assignee_id=bo)
        )
    status, text = await post(client, f"/console/inbox/{cid}/claim")
    assert status == 403 and "another agent has this conversation" in text
    api = await client.post(f"/api/conversations/{cid}/release", headers=headers)
    assert api.status == 403
    assert await audit_lines(services, audit.CONVERSATION_ASSIGNED) == []


async def test_an_admin_assigns_to_anyone_and_it_is_audited(client: Client) -> None:
    assert await sign_in(client, "adam@example.com") == 303
    services = services_of(client)
    ana = await agent_id_of(client)
    cid = await customer_writes(client, "chat-4", "Hi")
    status, location = await post(client, f"/console/inbox/{cid}/assign", to=f"agent:{ana}")
    assert (status, location) == (303, f"/console/inbox/{cid}?done=assigned")
    html = await page(client, location)
    assert 'id="fact-assignee">Ana Agent<' in html
    status, _ = await post(client, f"/console/inbox/{cid}/release")
    assert status == 303
    lines = await audit_lines(services, audit.CONVERSATION_ASSIGNED)
    assert [(line.actor, line.target, line.details["agent_id"]) for line in lines] == [
        ("adam@example.com", f"conversation:{cid}", ana),
        ("adam@example.com", f"conversation:{cid}", None),
    ]
    assert (await post(client, f"/console/inbox/{cid}/assign", to="someone"))[0] == 400
    assert (await client.get("/console/inbox/99999")).status == 404


async def test_the_openapi_document_describes_the_inbox_routes(agent_client: Client) -> None:
    spec = await (await agent_client.get("/api/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/api/inbox",
        "/api/conversations",
        "/api/conversations/{id}",
        "/api/conversations/{id}/notes",
        "/api/conversations/{id}/claim",
        "/api/conversations/{id}/release",
        "/api/conversations/{id}/assign",
        "/api/conversations/{id}/messages",
    ):
        assert path in paths, path
    assert paths["/api/conversations/{id}/notes"]["post"]["x-roles"] == ["admin", "agent"]
    assert "Note" in spec["components"]["schemas"]


async def test_a_contacts_export_shows_notes_as_notes_and_erasing_removes_them(
    agent_client: Client,
) -> None:
    """A note about a person is data about them: their export lists it (direction
    ``note``) and erasing them overwrites it like their own messages."""
    client = agent_client
    cid = await customer_writes(client, "chat-gdpr", "My address is 1 Main St")
    assert (await post(client, f"/console/inbox/{cid}/note", text="Lives at 1 Main St"))[0] == 303
    services = services_of(client)
    async with services.db.session() as session:
        conversation = await session.get(Conversation, cid)
    assert conversation is not None
    contact_id = conversation.contact_id
    exported = await contact_privacy.export(services.uow, contact_id, CLI)
    (chat,) = exported["conversations"]
    assert [(m["direction"], m["text"]) for m in chat["messages"]] == [
        ("in", "My address is 1 Main St"),
        ("note", "Lives at 1 Main St"),
    ]
    await contact_privacy.erase(services.uow, contact_id, CLI, str(contact_id))
    async with services.db.session() as session:
        texts = (await session.scalars(select(Message.text).order_by(Message.id))).all()
    assert texts == [contact_privacy.MARKER, contact_privacy.MARKER]
