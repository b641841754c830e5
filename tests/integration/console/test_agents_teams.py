"""Agents and teams from the console and the API: created, changed, members added and
removed, a team's Slack channel set, each change audited once with who made it; agents
are refused."""

from __future__ import annotations

import pytest

from bot.domain import audit
from bot.storage.app import people_queries
from tests.integration.console.http_support import (
    BEARER,
    Client,
    agent_client,
    client,
    form_token,
    services_of,
    sign_in,
)
from tests.integration.console.support import audit_lines

__all__ = ["agent_client", "client"]


async def admin_token(client: Client) -> str:
    assert await sign_in(client, "adam@example.com") == 303
    return form_token(await (await client.get("/console/agents")).text())


async def agents_by_name(client: Client) -> dict[str, people_queries.AgentView]:
    async with services_of(client).uow() as tx:
        return {a.name: a for a in await people_queries.all_agents(tx)}


async def teams_by_name(client: Client) -> dict[str, tuple[int, str | None, list[int]]]:
    async with services_of(client).uow() as tx:
        found = await people_queries.teams_with_members(tx)
    return {t.name: (t.id, t.slack_channel, members) for t, members in found}


async def post(client: Client, path: str, token: str, **fields: str) -> int:
    answer = await client.post(path, data={"csrf_token": token, **fields}, allow_redirects=False)
    return answer.status


async def test_an_admin_creates_and_edits_an_agent(client: Client) -> None:
    token = await admin_token(client)
    created = await post(
        client,
        "/console/agents",
        token,
        name="Bea Billing",
        email="bea@example.com",
        slack_user_id="U0BEA",
        roles="billing, sales_manager",
        capacity="4",
        available="1",
    )
    assert created == 303
    bea = (await agents_by_name(client))["Bea Billing"]
    assert (bea.email, bea.slack_user_id, bea.roles, bea.capacity, bea.available) == (
        "bea@example.com",
        "U0BEA",
        ["billing", "sales_manager"],
        4,
        True,
    )
    page = await (await client.get("/console/agents?done=agent-created")).text()
    assert "Agent created." in page and "U0BEA" in page and "billing, sales_manager" in page

    assert f'id="agent-{bea.id}-capacity" name="capacity" type="number" value="4"' in page
    changed = await post(
        client,
        f"/console/agents/{bea.id}",
        token,
        name="Bea Billing",
        email="bea@example.com",
        slack_user_id="",
        roles="billing",
        capacity="6",
    )
    assert changed == 303
    bea = (await agents_by_name(client))["Bea Billing"]
    assert (bea.slack_user_id, bea.roles, bea.capacity, bea.available) == (
        None,
        ["billing"],
        6,
        False,
    )
    wrong = await post(
        client,
        f"/console/agents/{bea.id}",
        token,
        name="Bea",
        slack_user_id="not-slack",
        capacity="6",
    )
    assert wrong == 400
    assert (await agents_by_name(client))["Bea Billing"].capacity == 6

    services = services_of(client)
    (made,) = await audit_lines(services, audit.AGENT_CREATED)
    assert (made.actor, made.source, made.target) == ("adam@example.com", "console", str(bea.id))
    (change,) = await audit_lines(services, audit.AGENT_CHANGED)
    assert change.details == {
        "slack_user_id": None,
        "roles": ["billing"],
        "capacity": 6,
        "available": False,
    }


async def test_an_agent_with_a_taken_email_is_refused(client: Client) -> None:
    token = await admin_token(client)
    answer = await client.post(
        "/console/agents",
        data={
            "csrf_token": token,
            "name": "Ana Again",
            "email": "ana@example.com",
            "capacity": "3",
        },
    )
    assert answer.status == 400
    assert "e-mail" in await answer.text()
    assert "Ana Again" not in await agents_by_name(client)
    assert await audit_lines(services_of(client), audit.AGENT_CREATED) == []


async def test_an_admin_manages_teams(client: Client) -> None:
    token = await admin_token(client)
    ana = (await agents_by_name(client))["Ana Agent"]
    assert await post(client, "/console/teams", token, name="support", slack_channel="") == 303
    assert await post(client, "/console/teams", token, name="support") == 400
    team_id = (await teams_by_name(client))["support"][0]
    members = f"/console/teams/{team_id}/members"
    assert await post(client, members, token, agent_id=str(ana.id)) == 303
    assert (await teams_by_name(client))["support"] == (team_id, None, [ana.id])
    page = await (await client.get("/console/agents")).text()
    assert f'action="{members}/{ana.id}/remove"' in page
    assert (
        await post(
            client, f"/console/teams/{team_id}", token, name="support", slack_channel="C0SUPPORT"
        )
        == 303
    )
    assert (await teams_by_name(client))["support"] == (team_id, "C0SUPPORT", [ana.id])
    assert await post(client, f"{members}/{ana.id}/remove", token) == 303
    assert (await teams_by_name(client))["support"] == (team_id, "C0SUPPORT", [])
    assert await post(client, f"{members}/{ana.id}/remove", token) == 303  # nothing to do

    services = services_of(client)
    (made,) = await audit_lines(services, audit.TEAM_CREATED)
    assert (made.actor, made.source, made.target, made.details) == (
        "adam@example.com",
        "console",
        str(team_id),
        {"name": "support", "slack_channel": None},
    )
    changes = await audit_lines(services, audit.TEAM_CHANGED)
    assert [line.details for line in changes] == [
        {"added": ana.id},
        {"slack_channel": "C0SUPPORT"},
        {"removed": ana.id},
    ]


async def test_the_api_changes_teams_and_agents_with_audit_lines(client: Client) -> None:
    made = await client.post("/api/teams", json={"name": "sales"}, headers=BEARER)
    assert made.status == 201
    team = await made.json()
    ana = (await agents_by_name(client))["Ana Agent"]
    patched = await client.patch(
        f"/api/teams/{team['id']}", json={"slack_channel": "C0SALES"}, headers=BEARER
    )
    assert patched.status == 200
    assert (await patched.json())["slack_channel"] == "C0SALES"
    path = f"/api/teams/{team['id']}/members"
    added = await client.post(path, json={"agent_id": ana.id}, headers=BEARER)
    assert (await added.json()) == {"changed": True}
    removed = await client.delete(f"{path}/{ana.id}", headers=BEARER)
    assert (await removed.json()) == {"changed": True}
    again = await client.delete(f"{path}/{ana.id}", headers=BEARER)
    assert (await again.json()) == {"changed": False}
    assert (
        await client.delete(f"/api/teams/999999/members/{ana.id}", headers=BEARER)
    ).status == 404
    assert (
        await client.patch("/api/teams/999999", json={"name": "x"}, headers=BEARER)
    ).status == 404
    agent = await client.patch(
        f"/api/agents/{ana.id}", json={"slack_user_id": "U0ANA", "capacity": 3}, headers=BEARER
    )
    assert agent.status == 200
    assert (await agent.json())["slack_user_id"] == "U0ANA"

    services = services_of(client)
    assert [(x.actor, x.source) for x in await audit_lines(services, audit.TEAM_CREATED)] == [
        ("api-token", "api")
    ]
    assert [x.details for x in await audit_lines(services, audit.TEAM_CHANGED)] == [
        {"slack_channel": "C0SALES"},
        {"added": ana.id},
        {"removed": ana.id},
    ]
    (changed,) = await audit_lines(services, audit.AGENT_CHANGED)
    assert changed.details == {"slack_user_id": "U0ANA", "capacity": 3}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/teams", {"name": "ops"}),
        ("PATCH", "/api/teams/1", {"name": "ops"}),
        ("DELETE", "/api/teams/1/members/1", None),
        ("POST", "/api/agents", {"name": "Eve"}),
    ],
)
async def test_an_agent_may_not_change_agents_or_teams(
    agent_client: Client, method: str, path: str, body: dict[str, str] | None
) -> None:
    token = (await (await agent_client.get("/api/me")).json())["csrf_token"]
    answer = await agent_client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    assert answer.status == 403
    page = await agent_client.get("/console/agents")
    assert page.status == 403
    services = services_of(agent_client)
    for action in (audit.TEAM_CREATED, audit.TEAM_CHANGED, audit.AGENT_CREATED):
        assert await audit_lines(services, action) == []
