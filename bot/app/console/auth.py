"""Who is asking: the admin API's bearer token or a console session cookie, the client's
address, and whether the request came over HTTPS (behind a trusted proxy too)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from aiohttp import web

from bot.core.config import Settings
from bot.domain.accounts import Role
from bot.domain.audit import Actor, Source
from bot.domain.console_sessions import Principal, principal
from bot.domain.sign_in import is_demo_account
from bot.pipeline.services import SERVICES, Services

SESSION_COOKIE = "relaybot_console"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    """A checked request's identity: the bearer token (an admin) or a signed-in account."""

    role: Role
    address: str | None
    session: Principal | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def name(self) -> str:
        return "api-token" if self.session is None else self.session.account.email

    def actor(self, source: Source) -> Actor:
        if self.session is None:
            return Actor.api_token(self.address)
        return Actor.account(self.session.account.email, source, self.address)


CALLER = web.RequestKey("relaybot_caller", Caller)
"""The request key under which a checked request carries its :class:`Caller`."""


def client_address(request: web.Request, settings: Settings) -> str | None:
    """The client's address; with ``RELAYBOT_TRUST_PROXY``, the last ``X-Forwarded-For``
    entry (the one our proxy added), as the widget reads it."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if settings.trust_proxy and forwarded.split(",")[-1].strip():
        return forwarded.split(",")[-1].strip()[:64]
    return request.remote


def is_https(request: web.Request, settings: Settings) -> bool:
    """Whether the browser talks HTTPS to us (to our trusted proxy, behind one)."""
    if request.secure:
        return True
    if settings.trust_proxy:
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return proto == "https"
    return False


def bearer_given(request: web.Request) -> bool:
    return "Authorization" in request.headers


def bearer_matches(request: web.Request, services: Services) -> bool:
    token = services.settings.admin_token
    if token is None:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = token.get_secret_value()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.encode())


async def session_of(request: web.Request) -> Principal | None:
    """The signed-in account of the request's session cookie, if it is valid."""
    services: Services = request.config_dict[SERVICES]
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return await principal(services.uow, services.secret_key.value(), cookie)


async def session_caller(request: web.Request) -> Caller | None:
    services: Services = request.config_dict[SERVICES]
    found = await session_of(request)
    if found is None:
        return None
    if is_demo_account(found.account.email) and not services.settings.demo:
        return None  # opened in demo mode; the demo's known password opens nothing now
    return Caller(found.account.role, client_address(request, services.settings), found)


def bearer_caller(request: web.Request, services: Services) -> Caller:
    return Caller("admin", client_address(request, services.settings))


def caller_of(request: web.Request) -> Caller:
    """The identity the guard checked and stored on the request."""
    return request[CALLER]
