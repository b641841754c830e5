"""Signing in and out of the console, and its home."""

from __future__ import annotations

import secrets
from datetime import timedelta

from aiohttp import web

from bot.app.console import views
from bot.app.console.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    caller_of,
    client_address,
    is_https,
    session_caller,
)
from bot.app.console.http import (
    PageRoute,
    html_response,
    read_form,
    redirect,
    refuse,
    services_of,
)
from bot.domain.console_sessions import sign_in_token, sign_in_token_matches, sign_out
from bot.domain.sign_in import sign_in

PRE_COOKIE = "relaybot_console_pre"
"""A random value the sign-in form's CSRF token is bound to, before there is a session."""
HOME = "/console/workflows"


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
        secure=is_https(request, services_of(request).settings),
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
    token = sign_in_token(services_of(request).secret_key.value(), nonce)
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
    services = services_of(request)
    key = services.secret_key.value()
    form = await read_form(request)
    if form is None:
        return refuse(request, None, 400, "Unreadable form", "The form could not be read.")
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
        demo_mode=services.settings.demo,
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
    await sign_out(services_of(request).uow, caller.session, caller.actor("console"))
    response = redirect("/console/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def home(request: web.Request) -> web.StreamResponse:
    return redirect(HOME)


SIGNED_IN_PAGES: tuple[PageRoute, ...] = (PageRoute("POST", "/console/sign-out", sign_out_submit),)
