"""The console and its API over HTTP: the sign-in form, cookies, CSRF on forms and API
calls, the rate limit's 429, roles enforced on every admin route and page, audit lines
from the console and the API, the bearer token as before, the OpenAPI document."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.app.console.auth import SESSION_COOKIE
from bot.core.clock import FakeClock
from bot.domain import audit
from bot.domain.workflow_store import list_workflows
from tests.integration.console.http_support import (
    BEARER,
    Client,
    agent_client,
    client,
    csrf,
    form_token,
    make_client,
    services_of,
    sign_in,
)
from tests.integration.console.support import audit_lines

__all__ = ["agent_client", "client"]


async def enabled(client: Client, name: str) -> bool:
    found = {w.name: w.enabled for w in await list_workflows(services_of(client).uow)}
    return found[name]


async def test_pages_send_the_signed_out_to_sign_in(client: Client) -> None:
    for path in ("/console", "/console/workflows", "/console/audit"):
        answer = await client.get(path, allow_redirects=True)
        assert answer.url.path == "/console/sign-in", path
    answer = await client.get("/console/audit", allow_redirects=False)
    assert answer.headers["Location"] == "/console/sign-in?next=/console/audit"


async def test_signing_in_sets_a_strict_session_cookie(client: Client) -> None:
    page = await client.get("/console/sign-in")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    assert '<label for="email">' in html and '<label for="password">' in html
    answer = await client.post(
        "/console/sign-in",
        data={
            "email": "adam@example.com",
            "password": "correct horse battery",
            "csrf_token": form_token(html),
        },
        allow_redirects=False,
    )
    assert answer.status == 303 and answer.headers["Location"] == "/console/workflows"
    cookie = answer.cookies[SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain http, no trusted proxy
    me = await client.get("/api/me")
    assert (await me.json())["email"] == "adam@example.com"


async def test_the_sign_in_form_needs_its_csrf_token(client: Client) -> None:
    await client.get("/console/sign-in")
    answer = await client.post(
        "/console/sign-in",
        data={
            "email": "adam@example.com",
            "password": "correct horse battery",
            "csrf_token": "forged",
        },
        allow_redirects=False,
    )
    assert answer.status == 403
    assert SESSION_COOKIE not in answer.cookies
    assert (await client.get("/api/me")).status == 401


async def test_a_wrong_password_and_an_unknown_account_look_alike(client: Client) -> None:
    answers = []
    for email in ("adam@example.com", "ghost@example.com"):
        page = await client.get("/console/sign-in")
        answer = await client.post(
            "/console/sign-in",
            data={
                "email": email,
                "password": "not the password",
                "csrf_token": form_token(await page.text()),
            },
        )
        assert answer.status == 401
        answers.append((await answer.text()).replace(email, "EMAIL"))
    assert "The e-mail or password is wrong." in answers[0]
    assert answers[0] == answers[1].replace(form_token(answers[1]), form_token(answers[0]))


async def test_repeated_failures_lock_with_retry_after(client: Client, clock: FakeClock) -> None:
    for _ in range(5):
        clock.advance(timedelta(seconds=10))
        assert await sign_in(client, "adam@example.com", "not the password") == 401
    page = await client.get("/console/sign-in")
    answer = await client.post(
        "/console/sign-in",
        data={
            "email": "adam@example.com",
            "password": "correct horse battery",
            "csrf_token": form_token(await page.text()),
        },
        allow_redirects=False,
    )
    assert answer.status == 429
    assert int(answer.headers["Retry-After"]) == 15 * 60 - 40
    assert "Too many attempts" in await answer.text()
    assert len(await audit_lines(services_of(client), audit.SIGN_IN_LOCKED)) == 1


@pytest.mark.parametrize(("trust", "secure"), [("1", True), ("0", False)])
async def test_the_cookie_is_secure_behind_a_trusted_https_proxy(
    sqlite_url: str, clock: FakeClock, trust: str, secure: bool
) -> None:
    made = await make_client(sqlite_url, clock, RELAYBOT_TRUST_PROXY=trust)
    try:
        page = await made.get("/console/sign-in")
        answer = await made.post(
            "/console/sign-in",
            data={
                "email": "adam@example.com",
                "password": "correct horse battery",
                "csrf_token": form_token(await page.text()),
            },
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
            allow_redirects=False,
        )
        assert answer.status == 303
        assert bool(answer.cookies[SESSION_COOKIE]["secure"]) is secure
        line = (await audit_lines(services_of(made), audit.SIGN_IN_OK))[-1]
        assert (line.client_address == "203.0.113.9") is secure
    finally:
        await made.close()


async def test_the_next_page_stays_inside_the_console(client: Client) -> None:
    page = await client.get("/console/sign-in?next=https://evil.example/x")
    answer = await client.post(
        "/console/sign-in",
        data={
            "email": "adam@example.com",
            "password": "correct horse battery",
            "csrf_token": form_token(await page.text()),
            "next": "//evil.example/",
        },
        allow_redirects=False,
    )
    assert answer.headers["Location"] == "/console/workflows"


async def test_an_admin_disables_a_workflow_from_the_console(client: Client) -> None:
    assert await sign_in(client, "adam@example.com") == 303
    page = await client.get("/console/workflows")
    html = await page.text()
    assert "support" in html and "Disable<span" in html
    answer = await client.post(
        "/console/workflows/support/disable", data={"csrf_token": form_token(html)}
    )
    assert answer.status == 200 and "support disabled." in await answer.text()
    assert not await enabled(client, "support")
    line = (await audit_lines(services_of(client), audit.WORKFLOW_DISABLED))[-1]
    assert (line.actor, line.actor_kind, line.source, line.target, line.details) == (
        "adam@example.com",
        "account",
        "console",
        "support",
        {"changed": True},
    )
    assert line.client_address == "127.0.0.1"
    audit_page = await (await client.get("/console/audit?action=workflow.disabled")).text()
    assert "workflow.disabled" in audit_page and "adam@example.com" in audit_page


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_a_console_form_without_its_csrf_token_is_403(
    client: Client, token: str | None
) -> None:
    assert await sign_in(client, "adam@example.com") == 303
    data = {} if token is None else {"csrf_token": token}
    answer = await client.post("/console/workflows/support/disable", data=data)
    assert answer.status == 403
    assert await enabled(client, "support")
    assert await audit_lines(services_of(client), audit.WORKFLOW_DISABLED) == []
    answer = await client.post("/console/sign-out", data=data, allow_redirects=False)
    assert answer.status == 403
    assert (await client.get("/api/me")).status == 200


async def test_signing_out_ends_the_session(client: Client) -> None:
    assert await sign_in(client, "adam@example.com") == 303
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION_COOKIE].value
    page = await (await client.get("/console/workflows")).text()
    answer = await client.post(
        "/console/sign-out", data={"csrf_token": form_token(page)}, allow_redirects=False
    )
    assert answer.status == 303 and answer.headers["Location"] == "/console/sign-in"
    again = await client.get("/api/me", cookies={SESSION_COOKIE: cookie})
    assert again.status == 401
    assert [x.actor for x in await audit_lines(services_of(client), audit.SIGN_OUT)] == [
        "adam@example.com"
    ]


async def test_an_agent_reads_workflows_but_changes_nothing(agent_client: Client) -> None:
    html = await (await agent_client.get("/console/workflows")).text()
    assert "support" in html and "Read only" in html
    assert "/disable" not in html and "Audit log" not in html
    token = form_token(html)  # the sign-out form's
    answer = await agent_client.post(
        "/console/workflows/support/disable", data={"csrf_token": token}
    )
    assert answer.status == 403
    assert (await agent_client.get("/console/audit")).status == 403
    assert await enabled(agent_client, "support")
    api = await agent_client.get("/api/workflows")
    assert {w["name"] for w in (await api.json())["items"]} >= {"support", "refund"}


def admin_api_routes(client: Client) -> list[tuple[str, str]]:
    from bot.app.api import AGENT_ROUTES

    routes = []
    assert client.app is not None
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if not path.startswith("/api/") or path == "/api/openapi.json":
            continue
        if (route.method, path.removeprefix("/api")) in AGENT_ROUTES or route.method == "HEAD":
            continue
        routes.append((route.method, re.sub(r"\{[^}]+\}", "1", path)))
    return routes


async def test_an_agent_is_refused_every_admin_api_route(agent_client: Client) -> None:
    token = await csrf(agent_client)
    routes = admin_api_routes(agent_client)
    assert ("GET", "/api/audit") in routes and ("POST", "/api/workflows/1/disable") in routes
    assert ("POST", "/api/agents") in routes and len(routes) >= 18
    for method, path in routes:
        answer = await agent_client.request(method, path, json={}, headers={"X-CSRF-Token": token})
        assert answer.status == 403, (method, path)
        assert await answer.json() == {"error": {"field": "role", "reason": "admins only"}}


async def test_an_agent_is_refused_every_admin_page(agent_client: Client) -> None:
    from bot.app.console.routes import ADMIN_PAGES

    token = form_token(await (await agent_client.get("/console/workflows")).text())
    assert len(ADMIN_PAGES) >= 3
    for method, path, _ in ADMIN_PAGES:
        concrete = re.sub(r"\{[a-z_]+\}", "1", path.replace("{name}", "support"))
        answer = await agent_client.request(method, concrete, data={"csrf_token": token})
        assert answer.status == 403, (method, path)
        assert "This page is for admins." in await answer.text()
    assert await enabled(agent_client, "support")
    assert await audit_lines(services_of(agent_client), audit.WORKFLOW_ENABLED) == []


async def test_an_agent_may_read_conversations(agent_client: Client) -> None:
    assert (await agent_client.get("/api/conversations")).status == 200
    assert (await agent_client.get("/api/me")).status == 200


@pytest.mark.parametrize("header", [None, "wrong-token"])
async def test_a_session_api_change_needs_the_csrf_header(
    client: Client, header: str | None
) -> None:
    assert await sign_in(client, "adam@example.com") == 303
    headers = {} if header is None else {"X-CSRF-Token": header}
    answer = await client.post("/api/workflows/support/disable", headers=headers)
    assert answer.status == 403
    assert (await answer.json())["error"]["field"] == "X-CSRF-Token"
    assert await enabled(client, "support")


async def test_a_session_api_change_is_audited(client: Client) -> None:
    assert await sign_in(client, "adam@example.com") == 303
    token = await csrf(client)
    answer = await client.post("/api/workflows/support/disable", headers={"X-CSRF-Token": token})
    assert await answer.json() == {"name": "support", "enabled": False, "changed": True}
    again = await client.post("/api/workflows/support/disable", headers={"X-CSRF-Token": token})
    assert (await again.json())["changed"] is False
    missing = await client.post("/api/workflows/nope/enable", headers={"X-CSRF-Token": token})
    assert missing.status == 404
    lines = await audit_lines(services_of(client), audit.WORKFLOW_DISABLED)
    assert [(x.actor, x.source, x.details["changed"]) for x in lines] == [
        ("adam@example.com", "api", True),
        ("adam@example.com", "api", False),
    ]


async def test_the_bearer_token_works_as_before_and_is_audited(client: Client) -> None:
    answer = await client.post("/api/workflows/refund/disable", headers=BEARER)
    assert answer.status == 200
    created = await client.post(
        "/api/agents", json={"name": "Bo", "email": "bo@example.com"}, headers=BEARER
    )
    assert created.status == 201
    agent_id = (await created.json())["id"]
    changed = await client.patch(f"/api/agents/{agent_id}", json={"capacity": 3}, headers=BEARER)
    assert changed.status == 200
    me = await client.get("/api/me", headers=BEARER)
    assert await me.json() == {"name": "api-token", "role": "admin"}
    lines = [
        (x.actor, x.actor_kind, x.source, x.action, x.target)
        for x in await audit_lines(services_of(client))
        if x.source == "api"
    ]
    assert lines == [
        ("api-token", "api-token", "api", audit.WORKFLOW_DISABLED, "refund"),
        ("api-token", "api-token", "api", audit.AGENT_CREATED, str(agent_id)),
        ("api-token", "api-token", "api", audit.AGENT_CHANGED, str(agent_id)),
    ]
    last = (await audit_lines(services_of(client), audit.AGENT_CHANGED))[-1]
    assert last.details == {"capacity": 3} and last.client_address == "127.0.0.1"


async def test_the_audit_api_filters_and_pages(client: Client, clock: FakeClock) -> None:
    start = clock.now()
    for name in ("support", "refund"):
        clock.advance(timedelta(minutes=1))
        await client.post(f"/api/workflows/{name}/disable", headers=BEARER)
    everything = await (await client.get("/api/audit", headers=BEARER)).json()
    assert [x["action"] for x in everything["items"]][:2] == ["workflow.disabled"] * 2
    assert everything["next_before"] is None
    by_actor = await (await client.get("/api/audit?actor=cli", headers=BEARER)).json()
    assert {x["action"] for x in by_actor["items"]} == {"account.created"}
    since = (start + timedelta(seconds=90)).isoformat()
    later = await client.get("/api/audit", params={"since": since}, headers=BEARER)
    assert [x["target"] for x in (await later.json())["items"]] == ["refund"]
    until = await client.get(
        "/api/audit", params={"until": since, "action": "workflow.disabled"}, headers=BEARER
    )
    assert [x["target"] for x in (await until.json())["items"]] == ["support"]
    first = await (await client.get("/api/audit?limit=1", headers=BEARER)).json()
    assert first["items"][0]["target"] == "refund" and first["next_before"] is not None
    second = await client.get(f"/api/audit?limit=1&before={first['next_before']}", headers=BEARER)
    assert (await second.json())["items"][0]["target"] == "support"
    bad = await client.get("/api/audit?since=yesterday", headers=BEARER)
    assert bad.status == 400
    assert (await bad.json())["error"]["field"] == "since"
    assert (await client.get("/api/audit?limit=0", headers=BEARER)).status == 400


async def test_the_api_without_credentials_is_401(client: Client) -> None:
    for path in ("/api/me", "/api/workflows", "/api/audit"):
        answer = await client.get(path)
        assert answer.status == 401
        assert (await answer.json())["error"]["field"] == "Authorization"


async def test_the_openapi_document_names_the_console_routes(client: Client) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert {
        "/api/me",
        "/api/workflows",
        "/api/audit",
        "/api/workflows/{name}/enable",
        "/api/workflows/{name}/disable",
    } <= set(document["paths"])
