"""The console's routes: sign-in and sign-out, the workflows page (admins switch workflows
on and off, agents read), the audit log (admins). Each page checks the session itself,
each form its CSRF token; each change goes through the domain function the CLI and the
API use, and is audited with ``source="console"``."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.app.api.audit import audit_filter
from bot.app.console import views
from bot.app.console.auth import (
    CALLER,
    CSRF_FIELD,
    SESSION_COOKIE,
    Caller,
    caller_of,
    client_address,
    is_https,
    session_caller,
)
from bot.app.console.style import CSS
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit
from bot.domain.console_sessions import (
    csrf_matches,
    sign_in_token,
    sign_in_token_matches,
    sign_out,
)
from bot.domain.sign_in import sign_in
from bot.domain.workflow_store import list_workflows, set_enabled
from bot.pipeline.services import SERVICES, Services

PRE_COOKIE = "relaybot_console_pre"
"""A random value the sign-in form's CSRF token is bound to, before there is a session."""
HOME = "/console/workflows"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _services(request: web.Request) -> Services:
    return request.config_dict[SERVICES]


def html_response(
    text: str, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(SECURITY_HEADERS)
    if headers:
        response.headers.update(headers)
    return response


def redirect(location: str) -> web.Response:
    response = web.Response(status=303, headers={"Location": location})
    response.headers.update(SECURITY_HEADERS)
    return response


def _refuse(
    request: web.Request, caller: Caller | None, status: int, title: str, text: str
) -> web.Response:
    _services(request).refusals.refuse("console", title.lower().replace(" ", "_"), request.remote)
    who = None if caller is None else caller.session
    return html_response(views.refusal_page(who, status, title, text), status)


async def _form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | FileField] | None:
    """The request's form fields; None when the body is not a readable form (not UTF-8,
    say)."""
    try:
        return await request.post()
    except (UnicodeDecodeError, ValueError):
        return None


def page(handler: Page, *, admins_only: bool = False) -> Page:
    """``handler`` for signed-in accounts: others go to the sign-in page; a form without
    the session's CSRF token, or an agent on an admin page, gets a 403."""

    async def guard(request: web.Request) -> web.StreamResponse:
        caller = await session_caller(request)
        if caller is None or caller.session is None:
            if request.method == "GET":
                return redirect(f"/console/sign-in?next={request.path}")
            return _refuse(request, None, 401, "Signed out", "Sign in again, then retry.")
        if request.method == "POST":
            form = await _form(request)
            if form is None:
                return _refuse(
                    request, caller, 400, "Unreadable form", "The form could not be read."
                )
            given = form.get(CSRF_FIELD)
            if not csrf_matches(caller.session, given if isinstance(given, str) else None):
                return _refuse(
                    request,
                    caller,
                    403,
                    "Refused",
                    "The form's CSRF token is missing or wrong; reload the page and try again.",
                )
        if admins_only and not caller.is_admin:
            return _refuse(request, caller, 403, "Admins only", "This page is for admins.")
        request[CALLER] = caller
        try:
            return await handler(request)
        except ValidationFailed as exc:
            return _refuse(request, caller, 400, "Not done", f"{exc.field}: {exc.reason}")
        except NotFoundError as exc:
            return _refuse(request, caller, 404, "Not found", str(exc))

    return guard


def _safe_next(value: object) -> str:
    """Only a path of the console itself: never another site."""
    if (
        isinstance(value, str)
        and value.startswith("/console/")
        and "//" not in value
        and "\\" not in value
    ):
        return value
    return HOME


def _set_pre_cookie(request: web.Request, response: web.Response, nonce: str) -> None:
    response.set_cookie(
        PRE_COOKIE,
        nonce,
        path="/console/sign-in",
        httponly=True,
        samesite="Strict",
        secure=is_https(request, _services(request).settings),
        max_age=3600,
    )


def _sign_in_form(
    request: web.Request,
    *,
    email: str = "",
    next_path: str = "",
    problem: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    nonce = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    token = sign_in_token(_services(request).secret_key.value(), nonce)
    response = html_response(
        views.sign_in_page(token, email=email, next_path=next_path, problem=problem),
        status,
        headers,
    )
    _set_pre_cookie(request, response, nonce)
    return response


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    if await session_caller(request) is not None:
        return redirect(_safe_next(request.query.get("next")))
    return _sign_in_form(request, next_path=_safe_next(request.query.get("next")))


async def sign_in_submit(request: web.Request) -> web.StreamResponse:
    services = _services(request)
    key = services.secret_key.value()
    form = await _form(request)
    if form is None:
        return _refuse(request, None, 400, "Unreadable form", "The form could not be read.")
    email = str(form.get("email") or "")[:320]
    password = str(form.get("password") or "")
    next_path = _safe_next(form.get("next"))
    given = form.get(CSRF_FIELD)
    if not sign_in_token_matches(
        key, request.cookies.get(PRE_COOKIE), given if isinstance(given, str) else None
    ):
        services.refusals.refuse("console", "csrf", request.remote)
        return _sign_in_form(
            request,
            email=email,
            next_path=next_path,
            problem="The form expired; please sign in again.",
            status=403,
        )
    result = await sign_in(
        services.uow,
        key,
        email,
        password,
        client_address(request, services.settings),
        lifetime=timedelta(hours=services.settings.console_session_hours),
    )
    if result.outcome == "locked":
        wait = result.retry_after_s or 60
        minutes = max(1, -(-wait // 60))
        return _sign_in_form(
            request,
            email=email,
            next_path=next_path,
            problem=f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            status=429,
            headers={"Retry-After": str(wait)},
        )
    if result.outcome == "failed" or result.cookie is None:
        return _sign_in_form(
            request,
            email=email,
            next_path=next_path,
            problem="The e-mail or password is wrong.",
            status=401,
        )
    response = redirect(next_path)
    response.set_cookie(
        SESSION_COOKIE,
        result.cookie,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request, services.settings),
        max_age=int(services.settings.console_session_hours * 3600),
    )
    response.del_cookie(PRE_COOKIE, path="/console/sign-in")
    return response


async def sign_out_submit(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    assert caller.session is not None
    await sign_out(_services(request).uow, caller.session, caller.actor("console"))
    response = redirect("/console/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def home(request: web.Request) -> web.StreamResponse:
    return redirect(HOME)


async def workflows_page(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    assert caller.session is not None
    items = await list_workflows(_services(request).uow)
    done = request.query.get("done", "")
    notice = ""
    name, _, word = done.rpartition(":")
    if name and word in {"enabled", "disabled"} and any(w.name == name for w in items):
        notice = f"{name} {word}."
    return html_response(views.workflows_page(caller.session, items, notice))


def toggle(enabled: bool) -> Page:
    async def submit(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        actor = caller_of(request).actor("console")
        await set_enabled(_services(request).uow, name, enabled, actor)
        word = "enabled" if enabled else "disabled"
        return redirect(f"{HOME}?{urlencode({'done': f'{name}:{word}'})}")

    return submit


async def audit_page(request: web.Request) -> web.StreamResponse:
    caller = caller_of(request)
    assert caller.session is not None
    where = audit_filter(request)
    result = await audit.read(_services(request).uow, where, 50)
    return html_response(views.audit_page(caller.session, where, result))


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(
        text=CSS,
        content_type="text/css",
        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


ADMIN_PAGES: tuple[tuple[str, str, Page], ...] = (
    ("POST", "/console/workflows/{name}/enable", toggle(True)),
    ("POST", "/console/workflows/{name}/disable", toggle(False)),
    ("GET", "/console/audit", audit_page),
)
"""The pages only admins may open or post to."""
SIGNED_IN_PAGES: tuple[tuple[str, str, Page], ...] = (
    ("POST", "/console/sign-out", sign_out_submit),
    ("GET", "/console/workflows", workflows_page),
)
"""The pages every signed-in account may open or post to."""


def setup_console(app: web.Application, services: Services) -> None:
    """Serve the console under ``/console``."""
    del services
    app.router.add_get("/console", home)
    app.router.add_get("/console/", home)
    app.router.add_get("/console/console.css", stylesheet)
    app.router.add_get("/console/sign-in", sign_in_form)
    app.router.add_post("/console/sign-in", sign_in_submit)
    for method, path, handler in SIGNED_IN_PAGES:
        app.router.add_route(method, path, page(handler))
    for method, path, handler in ADMIN_PAGES:
        app.router.add_route(method, path, page(handler, admins_only=True))
