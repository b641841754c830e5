"""Erasing a person (SQLite and PostgreSQL): none of their values is left anywhere in the
database, the counts, runs and log lines stay, a new message from them starts a new
contact, the other person is untouched; agents are refused; the audit line holds no
personal data; the CLI erases and exports too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app.contact_cli import run_erase, run_export
from bot.core.clock import FakeClock
from bot.domain import audit
from bot.pipeline.run_store import unpack
from bot.storage.models import Contact, Conversation, Message, RunLog, Timer, WorkflowRun
from tests.fakes.telegram import TelegramFake
from tests.integration.console.contact_support import (
    BRUNO_TEXT,
    ZELDA_ID,
    ZELDA_NAME,
    ZELDA_TEXT,
    ZELDA_VALUES,
    app_client,
    contact_name,
    contact_of,
    dump,
    services_of,
    telegram,
    two_people,
    zelda_says,
)
from tests.integration.console.http_support import BEARER, Client, csrf, form_token, sign_in
from tests.integration.console.support import audit_lines


@pytest.fixture
async def fake() -> AsyncIterator[TelegramFake]:
    server = TelegramFake()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(
    database_url: str, clock: FakeClock, fake: TelegramFake, tmp_path: Path
) -> AsyncIterator[Client]:
    async for made in app_client(database_url, clock, fake, tmp_path):
        yield made


async def aggregates(client: Client, contact_id: int) -> dict[str, object]:
    """What an erasure keeps: conversations and their counts, messages, runs, log lines."""
    async with services_of(client).db.session() as session:
        chats = list(
            await session.execute(
                select(Conversation.id, Conversation.message_count)
                .where(Conversation.contact_id == contact_id)
                .order_by(Conversation.id)
            )
        )
        ids = [chat_id for chat_id, _ in chats]
        messages = await session.scalar(
            select(func.count()).select_from(Message).where(Message.conversation_id.in_(ids))
        )
        runs = list(
            await session.scalars(
                select(WorkflowRun.id).where(WorkflowRun.conversation_id.in_(ids))
            )
        )
        lines = await session.scalar(
            select(func.count()).select_from(RunLog).where(RunLog.run_id.in_(runs))
        )
    return {"chats": [tuple(c) for c in chats], "messages": messages, "runs": runs, "lines": lines}


async def runs_of(client: Client, contact_id: int) -> list[WorkflowRun]:
    async with services_of(client).db.session() as session:
        chats = select(Conversation.id).where(Conversation.contact_id == contact_id)
        return list(
            await session.scalars(select(WorkflowRun).where(WorkflowRun.conversation_id.in_(chats)))
        )


async def test_erasing_leaves_no_personal_value_and_keeps_the_counts(client: Client) -> None:
    people = await two_people(client)
    before = await dump(client)
    for value in ZELDA_VALUES:
        assert value in before, value  # the test would prove nothing otherwise
    kept = await aggregates(client, people.zelda)
    assert kept["messages"] and kept["runs"] and kept["lines"]
    waiting = [r.id for r in await runs_of(client, people.zelda) if r.status == "waiting"]
    assert waiting  # the survey waits for her rating

    answer = await client.post(
        f"/api/contacts/{people.zelda}/erase", json={"confirm": "ERASE"}, headers=BEARER
    )
    assert answer.status == 200, await answer.text()
    erased = (await answer.json())["erased"]
    assert erased["messages"] == kept["messages"] and erased["leads"] == 1

    after = await dump(client)
    for value in ZELDA_VALUES:
        assert value not in after, value
    assert BRUNO_TEXT in after and "Bruno" in after
    assert await aggregates(client, people.zelda) == kept
    async with services_of(client).db.session() as session:
        tombstone = await session.get(Contact, people.zelda)
        assert tombstone is not None and tombstone.erased_at is not None
        texts = set(
            await session.scalars(
                select(Message.text)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.contact_id == people.zelda, Message.text.is_not(None))
            )
        )
    assert texts == {"[erased]"}
    for run in await runs_of(client, people.zelda):
        stored = unpack(run)  # an erased run still reads as a run
        assert stored.hold is None and stored.state.workflow in ("support", "support-survey")
        assert run.status == "cancelled" if run.id in waiting else run.status != "waiting"
    async with services_of(client).db.session() as session:
        timers = list(await session.execute(select(Timer.key, Timer.status)))
    hers = [status for key, status in timers if int(key.split(":")[1]) in kept["runs"]]
    assert hers and "pending" not in hers
    assert "pending" in [status for _, status in timers]  # Bruno's menu waits still

    (line,) = await audit_lines(services_of(client), audit.CONTACT_ERASED)
    assert (line.actor, line.source, line.target) == ("api-token", "api", str(people.zelda))
    assert line.details["messages"] == kept["messages"]
    assert not any(value in json.dumps(line.details) for value in ZELDA_VALUES)

    await telegram(client, zelda_says(10, text="hi again"))
    again = await contact_of(client, ZELDA_ID)
    assert again != people.zelda
    assert await contact_name(client, again) == ZELDA_NAME
    assert await contact_name(client, people.bruno) == "Bruno Other"


async def test_an_erased_contact_is_not_erased_or_exported_again(client: Client) -> None:
    people = await two_people(client)
    path = f"/api/contacts/{people.zelda}"
    assert (
        await client.post(f"{path}/erase", json={"confirm": "no"}, headers=BEARER)
    ).status == 400
    assert await contact_name(client, people.zelda) == ZELDA_NAME
    assert (
        await client.post(f"{path}/erase", json={"confirm": str(people.zelda)}, headers=BEARER)
    ).status == 200
    again = await client.post(f"{path}/erase", json={"confirm": "ERASE"}, headers=BEARER)
    assert again.status == 400
    export = await client.get(f"{path}/export", headers=BEARER)
    assert export.status == 400
    assert (await export.json())["error"]["field"] == "id"
    shown = await (await client.get(path, headers=BEARER)).json()
    assert shown["name"] is None and shown["erased_at"] is not None
    assert (
        await client.post("/api/contacts/999999/erase", json={"confirm": "ERASE"}, headers=BEARER)
    ).status == 404


async def test_an_agent_may_neither_export_nor_erase(client: Client) -> None:
    people = await two_people(client)
    assert await sign_in(client, "ana@example.com") == 303
    token = await csrf(client)
    path = f"/api/contacts/{people.zelda}"
    export = await client.get(f"{path}/export")
    assert export.status == 403 and (await export.json())["error"]["field"] == "role"
    erase = await client.post(
        f"{path}/erase", json={"confirm": "ERASE"}, headers={"X-CSRF-Token": token}
    )
    assert erase.status == 403
    page_token = form_token(await (await client.get("/console/workflows")).text())
    for method, page in (("POST", "/export"), ("POST", "/erase")):
        answer = await client.request(
            method,
            f"/console/contacts/{people.zelda}{page}",
            data={"csrf_token": page_token, "confirm": "ERASE"},
        )
        assert answer.status == 403, page
        assert "This page is for admins." in await answer.text()
    assert await contact_name(client, people.zelda) == ZELDA_NAME
    assert await audit_lines(services_of(client), audit.CONTACT_ERASED) == []
    assert await audit_lines(services_of(client), audit.CONTACT_EXPORTED) == []


async def test_the_console_form_erases_after_confirmation(client: Client) -> None:
    people = await two_people(client)
    assert await sign_in(client, "adam@example.com") == 303
    page = await client.get(f"/console/contacts/{people.zelda}")
    html = await page.text()
    assert ZELDA_NAME in html and "Erase" in html
    path = f"/console/contacts/{people.zelda}/erase"
    wrong = await client.post(
        path, data={"csrf_token": form_token(html), "confirm": "yes"}, allow_redirects=False
    )
    assert wrong.status == 400
    assert await contact_name(client, people.zelda) == ZELDA_NAME
    done = await client.post(
        path, data={"csrf_token": form_token(html), "confirm": "ERASE"}, allow_redirects=False
    )
    assert done.status == 303
    shown = await (await client.get(done.headers["Location"])).text()
    assert "erased" in shown.lower() and ZELDA_NAME not in shown and ZELDA_TEXT not in shown
    assert f"/console/contacts/{people.zelda}/export" not in shown
    (line,) = await audit_lines(services_of(client), audit.CONTACT_ERASED)
    assert (line.actor, line.source) == ("adam@example.com", "console")


async def test_the_cli_exports_and_erases(client: Client, tmp_path: Path) -> None:
    people = await two_people(client)
    services = services_of(client)
    output = tmp_path / "zelda.json"
    assert await run_export(services, people.zelda, output) == 0
    exported = json.loads(output.read_text())
    assert exported["contact"]["name"] == ZELDA_NAME
    assert await run_erase(services, people.zelda, yes=False) == 1
    assert await contact_name(client, people.zelda) == ZELDA_NAME
    assert await run_erase(services, people.zelda, yes=True) == 0
    assert await contact_name(client, people.zelda) is None
    lines = await audit_lines(services, None)
    assert [(x.action, x.actor, x.source) for x in lines if x.action.startswith("contact.")] == [
        (audit.CONTACT_EXPORTED, "cli", "cli"),
        (audit.CONTACT_ERASED, "cli", "cli"),
    ]
