"""Demo mode (``make run``): demo agents in a team, the demo agent page and the demo shop.

None of it exists in a configured deployment (demo mode off).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.app import create_app
from bot.app.engine_component import RUNNER
from bot.domain import accounts, audit
from bot.domain.demo import DEMO_ADMIN, DEMO_AGENTS, DEMO_PASSWORD, DEMO_TEAM
from bot.pipeline.services import SERVICES, Services
from bot.storage.models import Agent, Team, TeamMember
from integrations.actions import register_actions
from integrations.demo_shop import DEMO_EMAIL
from integrations.outbound_http import OutboundHttp
from tests.conftest import make_settings
from workflows.actions import ActionContext, ActionRegistry
from workflows.loader import load_file
from workflows.schema import Workflow
from workflows.state import RunState
from workflows.steps.base import StepEnv
from workflows.steps.date_time import DateTimeStep

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
CTX = ActionContext(run_id=1, step_id="lookup", idempotency_key="1:lookup")
People = tuple[list[tuple[str, str | None]], list[str], int]


async def people(services: Services) -> People:
    async with services.db.session() as session:
        agents = [
            (a.name, a.email) for a in await session.scalars(select(Agent).order_by(Agent.id))
        ]
        teams = list(await session.scalars(select(Team.name)))
        members = len(list(await session.scalars(select(TeamMember.agent_id))))
    return agents, teams, members


async def start(database_url: str, *, demo: bool) -> tuple[People, int, int]:
    """Start the whole app once: its agents, teams and members, and the agent page's statuses."""
    people_found, page, state, _ = await start_with_accounts(database_url, demo=demo)
    return people_found, page, state


async def start_with_accounts(
    database_url: str, *, demo: bool
) -> tuple[People, int, int, list[tuple[str, str, int | None]]]:
    """:func:`start`, and the console accounts: e-mail, role and linked agent."""
    settings = make_settings(
        database_url,
        RELAYBOT_DEMO=demo,
        RELAYBOT_SECRET_KEY="demo-test-key",
        RELAYBOT_WORKFLOWS_DIR="does-not-exist",
    )
    app = create_app(settings, background=False)
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/demo/agent")
        state = await client.get("/demo/agent/state")
        listed = await accounts.list_accounts(app[SERVICES].uow)
        found = [(a.email, a.role, a.agent_id) for a in listed]
        return await people(app[SERVICES]), page.status, state.status, found


async def test_demo_mode_seeds_the_demo_agents_in_a_team_once(database_url: str) -> None:
    for _ in range(2):  # a second start adds nothing
        (agents, teams, members), page, state = await start(database_url, demo=True)
        assert (page, state) == (200, 200)
        assert agents == [(name, email) for name, email in DEMO_AGENTS]
        assert teams == [DEMO_TEAM]
        assert members == len(DEMO_AGENTS)


async def test_a_configured_deployment_gets_no_demo_data_and_no_agent_page(
    database_url: str,
) -> None:
    found, page, state, console = await start_with_accounts(database_url, demo=False)
    assert (page, state) == (404, 404)
    assert found == ([], [], 0)
    assert console == []


async def test_demo_mode_has_console_accounts_to_sign_in_with(database_url: str) -> None:
    for _ in range(2):  # a second start adds nothing
        _, _, _, console = await start_with_accounts(database_url, demo=True)
        assert [(email, role) for email, role, _ in console] == [
            (DEMO_ADMIN, "admin"),
            (DEMO_AGENTS[0][1], "agent"),
        ]
        assert console[1][2] is not None  # the agent account is the demo agent's
    assert await demo_admin_signs_in(database_url, demo=True) == 303


async def test_outside_demo_mode_the_demo_accounts_cannot_sign_in(database_url: str) -> None:
    """A database made in demo mode and then served as a deployment: the demo's known
    password opens nothing."""
    await start_with_accounts(database_url, demo=True)
    assert await demo_admin_signs_in(database_url, demo=False) == 401


async def test_a_demo_session_ends_when_demo_mode_does(database_url: str) -> None:
    cookies = await demo_session(database_url, demo=True)
    assert await me_status(database_url, cookies, demo=True) == 200
    assert await me_status(database_url, cookies, demo=False) == 401


async def demo_session(database_url: str, *, demo: bool) -> dict[str, str]:
    app = create_app(demo_settings(database_url, demo), background=False)
    async with TestClient(TestServer(app)) as client:
        await sign_in_as_demo_admin(client)
        return {c.key: c.value for c in client.session.cookie_jar}


async def me_status(database_url: str, cookies: dict[str, str], *, demo: bool) -> int:
    app = create_app(demo_settings(database_url, demo), background=False)
    async with TestClient(TestServer(app), cookies=cookies) as client:
        return (await client.get("/api/me")).status


def demo_settings(database_url: str, demo: bool) -> Any:
    return make_settings(
        database_url,
        RELAYBOT_DEMO=demo,
        RELAYBOT_SECRET_KEY="demo-test-key",
        RELAYBOT_WORKFLOWS_DIR="does-not-exist",
    )


async def sign_in_as_demo_admin(client: TestClient[Any, Any]) -> Any:
    form = await client.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await form.text())
    assert token is not None
    return await client.post(
        "/console/sign-in",
        data={"email": DEMO_ADMIN, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )


async def demo_admin_signs_in(database_url: str, *, demo: bool) -> int:
    """The status of the demo admin's sign-in, posted as a browser does."""
    app = create_app(demo_settings(database_url, demo), background=False)
    async with TestClient(TestServer(app)) as client:
        answer = await sign_in_as_demo_admin(client)
        signed_in = (await client.get("/api/me")).status == 200
        assert signed_in == (answer.status == 303)
        if not demo:
            failed = await audit.read(
                app[SERVICES].uow, audit.AuditFilter(action=audit.SIGN_IN_FAILED), 5
            )
            assert failed.lines[0].details == {"reason": "demo account outside demo mode"}
        return answer.status


async def lookup(inputs: dict[str, Any], **settings: Any) -> Any:
    registry = ActionRegistry()
    outbound = OutboundHttp([])
    async with aiohttp.ClientSession() as session:
        register_actions(
            registry,
            session=session,
            outbound=outbound,
            settings=make_settings("sqlite://", **settings),
        )
        action = registry.get("shopify.order_lookup")
        assert action is not None
        result = await action(inputs, CTX)
    await outbound.close()
    return result


async def test_in_demo_mode_the_order_lookup_finds_the_demo_order() -> None:
    result = await lookup({"order_number": "1001", "email": DEMO_EMAIL.upper()}, RELAYBOT_DEMO=True)
    assert result.outcome == "success"
    assert result.data["order_name"] == "#1001"
    assert result.data["fulfillment_status"] == "fulfilled"
    assert result.data["tracking_numbers"] == ["1Z999AA10123456784"]


@pytest.mark.parametrize(
    "inputs",
    [
        {"order_number": "#1001", "email": "bob@example.com"},
        {"order_number": "#1002", "email": DEMO_EMAIL},
    ],
)
async def test_the_demo_order_is_only_the_demo_customers(inputs: dict[str, str]) -> None:
    result = await lookup(inputs, RELAYBOT_DEMO=True)
    assert result.outcome == "declined"


async def test_without_demo_mode_there_is_no_demo_shop() -> None:
    result = await lookup({"order_number": "#1001", "email": DEMO_EMAIL})
    assert (result.outcome, result.reason) == ("failure", "shopify is not configured")


SUNDAY_NIGHT = datetime(2026, 12, 6, 2, 30, tzinfo=UTC)
"""Outside the support example's business hours (Mon to Fri, Berlin)."""


def handoff_exit(definition: Workflow) -> str | None:
    step = definition.step("handoff")
    assert isinstance(step, DateTimeStep)
    env = StepEnv(
        state=RunState(workflow=definition.name), base_ctx={}, now=SUNDAY_NIGHT, step_id="handoff"
    )
    return step.enter(env).exit


@pytest.mark.parametrize(("demo", "handoff"), [(True, "open"), (False, "closed")])
async def test_in_demo_mode_business_hours_are_open_whenever_the_demo_runs(
    database_url: str, demo: bool, handoff: str
) -> None:
    settings = make_settings(
        database_url,
        RELAYBOT_DEMO=demo,
        RELAYBOT_SECRET_KEY="demo-test-key",
        RELAYBOT_WORKFLOWS_DIR=str(EXAMPLES),
    )
    app = create_app(settings, background=False)
    async with TestClient(TestServer(app)):
        catalog = app[RUNNER].catalog
        await catalog.refresh()
        entry = catalog.by_name["support"]
        assert handoff_exit(entry.definition) == handoff
        assert handoff_exit(await catalog.version(entry.version_id)) == handoff
    assert handoff_exit(load_file(EXAMPLES / "support.yaml")) == "closed"
