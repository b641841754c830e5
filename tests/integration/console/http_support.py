"""The app with the console on a test client, and how a browser signs in to it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.app import create_app
from bot.app.console.routes import setup_console
from bot.core.clock import FakeClock
from bot.domain.workflow_store import import_files
from bot.pipeline.services import SERVICES, Services
from tests.conftest import make_settings
from tests.integration.console.support import PASSWORD, admin_and_agent

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "workflows"
BEARER = {"Authorization": "Bearer test-admin-token"}
Client = TestClient[Any, Any]


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def sign_in(client: Client, email: str, password: str = PASSWORD) -> int:
    """Sign in through the form as a browser does; the status of the form's answer."""
    page = await client.get("/console/sign-in")
    token = form_token(await page.text())
    answer = await client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    return answer.status


async def csrf(client: Client) -> str:
    me = await client.get("/api/me")
    assert me.status == 200
    token = (await me.json())["csrf_token"]
    assert isinstance(token, str)
    return token


def services_of(client: Client) -> Services:
    app = client.app
    assert app is not None
    services: Services = app[SERVICES]
    return services


async def make_client(url: str, clock: FakeClock, **settings: object) -> Client:
    values: dict[str, object] = {"RELAYBOT_SECRET_KEY": "console-http-key"}
    values.update(settings)
    app = create_app(
        make_settings(url, **values), clock=clock, components=[setup_console], background=False
    )
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    services = app[SERVICES]
    await import_files(
        services.uow,
        [EXAMPLES / name for name in ("support.yaml", "support-survey.yaml", "refund.yaml")],
    )
    await admin_and_agent(services)
    return client


@pytest.fixture
async def client(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    made = await make_client(sqlite_url, clock)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def agent_client(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Client]:
    made = await make_client(sqlite_url, clock)
    try:
        assert await sign_in(made, "ana@example.com") == 303
        yield made
    finally:
        await made.close()
