"""No shared default secret key: forged widget logins are refused, every start of a
deployment agrees on its generated key, and start-up names the key's source, never its value."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from bot.app.app import create_app
from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.domain.secret_key import load_or_create
from bot.pipeline.services import SERVICES
from bot.storage.db import Database
from channels.widget import identity_hash
from channels.widget.component import setup_widget
from channels.widget.tokens import TokenSigner, VisitorToken
from tests.conftest import make_settings

OLD_DEFAULT_KEY = "change-me-in-production"
IDENTITY_SECRET = "site-identity-secret"
SHOP = "https://shop.example"
ORIGIN = {"Origin": SHOP}

Client = TestClient[Any, Any]


@asynccontextmanager
async def widget_app(settings: Settings, clock: FakeClock) -> AsyncIterator[Client]:
    """The real app with the widget, started (migrations and start-up hooks run)."""
    app = create_app(settings, clock=clock, components=[setup_widget], background=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


def widget_settings(database_url: str, **overrides: object) -> Settings:
    return make_settings(
        database_url,
        RELAYBOT_WIDGET_IDENTITY_SECRET=IDENTITY_SECRET,
        RELAYBOT_WIDGET_ALLOWED_ORIGINS=[SHOP],
        **overrides,
    )


def old_visitor_id(user_id: str) -> str:
    """How a verified user's visitor id used to be derived: from the user id alone."""
    return "u_" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


async def test_a_token_signed_with_the_old_default_key_is_refused(
    sqlite_url: str, clock: FakeClock
) -> None:
    async with widget_app(widget_settings(sqlite_url), clock) as client:
        alice = {"id": "alice", "hash": identity_hash("alice", IDENTITY_SECRET)}
        resp = await client.post("/widget/session", json={"user": alice}, headers=ORIGIN)
        assert resp.status == 200
        welcome = await resp.json()
        assert welcome["identified"] is True
        assert welcome["visitor_id"] != old_visitor_id("alice")
        bearer = {**ORIGIN, "Authorization": f"Bearer {welcome['token']}"}
        frame = {"type": "message", "client_id": "c1", "text": "I live at 1 Private Lane"}
        assert (await client.post("/widget/messages", json=frame, headers=bearer)).status == 200

        for visitor_id in (old_visitor_id("alice"), welcome["visitor_id"]):
            forged = TokenSigner(OLD_DEFAULT_KEY, timedelta(days=1)).sign(
                VisitorToken(visitor_id, clock.now(), "alice")
            )
            poll = await client.get(
                "/widget/messages", headers={**ORIGIN, "Authorization": f"Bearer {forged}"}
            )
            assert poll.status == 401
            assert "Private Lane" not in await poll.text()
            hello = await client.post("/widget/session", json={"token": forged}, headers=ORIGIN)
            assert hello.status == 401
            assert "Private Lane" not in await hello.text()


def test_the_old_default_key_cannot_be_configured() -> None:
    with pytest.raises(ValidationError, match="RELAYBOT_SECRET_KEY"):
        Settings(_env_file=None, RELAYBOT_SECRET_KEY=OLD_DEFAULT_KEY)  # type: ignore[call-arg]


async def test_two_starts_on_one_database_agree_on_the_generated_key(
    database_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = widget_settings(database_url)
    caplog.set_level(logging.INFO, logger="bot.domain.secret_key")
    async with widget_app(settings, clock) as first:
        key = first.app[SERVICES].secret_key.value()
        resp = await first.post("/widget/session", json={}, headers=ORIGIN)
        token = (await resp.json())["token"]
    async with widget_app(settings, clock) as second:
        assert second.app[SERVICES].secret_key.value() == key
        poll = await second.get(
            "/widget/messages", headers={**ORIGIN, "Authorization": f"Bearer {token}"}
        )
        assert poll.status == 200
    assert key != OLD_DEFAULT_KEY
    assert len(key) >= 32

    sources = [r.getMessage() for r in caplog.records if r.name == "bot.domain.secret_key"]
    assert len(sources) == 2
    assert "database (generated and stored" in sources[0]
    assert "database (read" in sources[1]
    assert key not in caplog.text


async def test_processes_starting_at_once_store_one_key(database_url: str) -> None:
    settings = make_settings(database_url)
    handles = [Database(settings) for _ in range(3)]
    try:
        results = await asyncio.gather(*(load_or_create(db) for db in handles))
    finally:
        for db in handles:
            await db.close()
    assert len({value for value, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, True]


async def test_a_configured_key_is_used_and_its_source_logged_without_its_value(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    configured = "a-configured-key-4d1f9c7e2b"
    caplog.set_level(logging.INFO, logger="bot.domain.secret_key")
    settings = widget_settings(sqlite_url, RELAYBOT_SECRET_KEY=configured)
    async with widget_app(settings, clock) as client:
        assert client.app[SERVICES].secret_key.value() == configured
        token = TokenSigner(configured, timedelta(days=1)).sign(VisitorToken("v_x", clock.now()))
        poll = await client.get(
            "/widget/messages", headers={**ORIGIN, "Authorization": f"Bearer {token}"}
        )
        assert poll.status == 200
    sources = [r.getMessage() for r in caplog.records if r.name == "bot.domain.secret_key"]
    assert sources == ["secret key: from RELAYBOT_SECRET_KEY"]
    assert configured not in caplog.text
