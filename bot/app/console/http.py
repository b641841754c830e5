"""What every console page shares: the security headers, HTML and redirect answers, the
refusal page, reading a form, and :func:`page`, the guard that lets only signed-in
accounts through (admins only where a page says so), each form with its CSRF token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.app.console import views
from bot.app.console.auth import CALLER, CSRF_FIELD, Caller, caller_of, session_caller
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain.console_sessions import Principal, csrf_matches
from bot.pipeline.services import SERVICES, Services

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


class PageRoute(NamedTuple):
    """One console page: its method, its path and its handler."""

    method: str
    path: str
    handler: Page


Form = MultiDictProxy[str | bytes | bytearray | FileField]


def services_of(request: web.Request) -> Services:
    return request.config_dict[SERVICES]


def signed_in(request: web.Request) -> Principal:
    """The signed-in account of a request :func:`page` let through."""
    session = caller_of(request).session
    assert session is not None
    return session


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


def refuse(
    request: web.Request, caller: Caller | None, status: int, title: str, text: str
) -> web.Response:
    """A refusal page (counted in the refusal metrics)."""
    services_of(request).refusals.refuse("console", title.lower().replace(" ", "_"), request.remote)
    who = None if caller is None else caller.session
    return html_response(views.refusal_page(who, status, title, text), status)


async def read_form(request: web.Request) -> Form | None:
    """The request's form fields; None when the body is not a readable form (not UTF-8,
    say)."""
    try:
        return await request.post()
    except (UnicodeDecodeError, ValueError):
        return None


def form_text(form: Form, name: str, limit: int = 10_000) -> str:
    """A text field of a form ("" when missing or a file), cut to ``limit`` characters."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def page(handler: Page, *, admins_only: bool = False) -> Page:
    """``handler`` for signed-in accounts: others go to the sign-in page; a form without
    the session's CSRF token, or an agent on an admin page, gets a 403."""

    async def guard(request: web.Request) -> web.StreamResponse:
        caller = await session_caller(request)
        if caller is None or caller.session is None:
            if request.method == "GET":
                return redirect(f"/console/sign-in?next={request.path}")
            return refuse(request, None, 401, "Signed out", "Sign in again, then retry.")
        if request.method == "POST":
            form = await read_form(request)
            if form is None:
                return refuse(
                    request, caller, 400, "Unreadable form", "The form could not be read."
                )
            given = form.get(CSRF_FIELD)
            if not csrf_matches(caller.session, given if isinstance(given, str) else None):
                return refuse(
                    request,
                    caller,
                    403,
                    "Refused",
                    "The form's CSRF token is missing or wrong; reload the page and try again.",
                )
        if admins_only and not caller.is_admin:
            return refuse(request, caller, 403, "Admins only", "This page is for admins.")
        request[CALLER] = caller
        try:
            return await handler(request)
        except ValidationFailed as exc:
            return refuse(request, caller, 400, "Not done", f"{exc.field}: {exc.reason}")
        except NotFoundError as exc:
            return refuse(request, caller, 404, "Not found", str(exc))

    return guard
