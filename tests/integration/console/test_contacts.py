"""The contacts pages and API: the list searched and paged, a contact's page, the export
(the person's messages and leads, nothing of anyone else, audited without personal data)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.console import contact_pages
from bot.core.clock import FakeClock
from bot.domain import audit
from tests.fakes.telegram import TelegramFake
from tests.integration.console.contact_support import (
    BRUNO_ID,
    BRUNO_TEXT,
    ZELDA_ID,
    ZELDA_LEAD,
    ZELDA_NAME,
    ZELDA_PHONE,
    ZELDA_TEXT,
    ZELDA_VALUES,
    app_client,
    services_of,
    two_people,
)
from tests.integration.console.http_support import BEARER, Client, form_token, sign_in
from tests.integration.console.support import audit_lines


@pytest.fixture
async def fake() -> AsyncIterator[TelegramFake]:
    server = TelegramFake()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(
    sqlite_url: str, clock: FakeClock, fake: TelegramFake, tmp_path: Path
) -> AsyncIterator[Client]:
    async for made in app_client(sqlite_url, clock, fake, tmp_path):
        yield made


async def test_the_export_holds_the_person_and_nobody_else(client: Client) -> None:
    people = await two_people(client)
    answer = await client.get(f"/api/contacts/{people.zelda}/export", headers=BEARER)
    assert answer.status == 200
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="contact-{people.zelda}.json"'
    )
    document = await answer.json()
    assert document["contact"]["name"] == ZELDA_NAME
    assert document["contact"]["phone"] == ZELDA_PHONE
    assert [i["external_id"] for i in document["identities"]] == [str(ZELDA_ID)]
    (conversation,) = document["conversations"]
    texts = [m["text"] for m in conversation["messages"]]
    assert "hi" in texts and ZELDA_TEXT in texts
    assert any(t and t.startswith("Hi Zelda Quixotic!") for t in texts)  # the bot's greeting
    assert len(conversation["messages"]) == conversation["message_count"] + sum(
        1 for m in conversation["messages"] if m["direction"] == "out"
    )
    assert [(lead["name"], lead["stage"]) for lead in document["leads"]] == [(ZELDA_LEAD, "new")]
    assert document["workflow_runs"] and document["run_logs"] and document["events"]
    assert document["outbox"] and document["inbound_journal"]
    assert set(document["tables"]) >= {"contact", "conversations", "inbound_journal"}
    text = json.dumps(document)
    assert BRUNO_TEXT not in text and str(BRUNO_ID) not in text and "Bruno" not in text

    (line,) = await audit_lines(services_of(client), audit.CONTACT_EXPORTED)
    assert (line.actor, line.target) == ("api-token", str(people.zelda))
    assert line.details["conversations"] == 1 and line.details["leads"] == 1
    assert not any(value in json.dumps(line.details) for value in ZELDA_VALUES)


async def test_the_console_lists_searches_and_shows_a_contact(client: Client) -> None:
    people = await two_people(client)
    assert await sign_in(client, "adam@example.com") == 303
    listed = await (await client.get("/console/contacts")).text()
    assert ZELDA_NAME in listed and "Bruno Other" in listed
    for search in ("quixotic", "9988776", "ZELDA"):
        found = await (await client.get("/console/contacts", params={"q": search})).text()
        assert ZELDA_NAME in found and "Bruno Other" not in found, search
    none = await (await client.get("/console/contacts", params={"q": "100%_"})).text()
    assert "No contacts match." in none

    page = await (await client.get(f"/console/contacts/{people.zelda}")).text()
    assert ZELDA_NAME in page and ZELDA_PHONE in page and str(ZELDA_ID) in page
    assert '<a href="/console/inbox/' in page
    assert ZELDA_LEAD in page and "1200.00 USD" in page and ">new<" in page
    assert f'action="/console/contacts/{people.zelda}/export"' in page
    assert 'name="confirm"' in page
    missing = await client.get("/console/contacts/999999")
    assert missing.status == 404

    download = await client.post(
        f"/console/contacts/{people.zelda}/export", data={"csrf_token": form_token(page)}
    )
    assert download.status == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert (await download.json())["contact"]["name"] == ZELDA_NAME
    (line,) = await audit_lines(services_of(client), audit.CONTACT_EXPORTED)
    assert (line.actor, line.source) == ("adam@example.com", "console")


async def test_contacts_are_paged(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    await two_people(client)
    assert await sign_in(client, "adam@example.com") == 303
    monkeypatch.setattr(contact_pages, "PAGE_SIZE", 1)
    first = await (await client.get("/console/contacts")).text()
    second = await (await client.get("/console/contacts", params={"page": "2"})).text()
    assert "Bruno Other" in first and ZELDA_NAME not in first and "Older contacts" in first
    assert ZELDA_NAME in second and "Bruno Other" not in second and "Newer contacts" in second
    api = await (await client.get("/api/contacts?q=zelda", headers=BEARER)).json()
    assert [c["name"] for c in api["items"]] == [ZELDA_NAME]
    paged = await (await client.get("/api/contacts?limit=1&offset=1", headers=BEARER)).json()
    assert [c["name"] for c in paged["items"]] == [ZELDA_NAME]


async def test_an_agent_is_refused_the_contacts_pages(client: Client) -> None:
    people = await two_people(client)
    assert await sign_in(client, "ana@example.com") == 303
    for path in ("/console/contacts", f"/console/contacts/{people.zelda}"):
        answer = await client.get(path)
        assert answer.status == 403 and ZELDA_NAME not in await answer.text()
    assert (await client.get(f"/api/contacts/{people.zelda}")).status == 403
