"""Auth, error mapping and parsing shared by the admin API handlers."""

from __future__ import annotations

import json
from typing import Annotated, Literal, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, Field, ValidationError

from bot.app.console.auth import (
    CALLER,
    CSRF_HEADER,
    SAFE_METHODS,
    Caller,
    bearer_caller,
    bearer_given,
    bearer_matches,
    session_caller,
)
from bot.core.clean import TooDeep, clean_json, clean_text
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain.console_sessions import csrf_matches
from bot.pipeline.services import SERVICES, Services

M = TypeVar("M", bound=BaseModel)
MAX_ID = 2**63 - 1
"""Ids are 64-bit signed integers in the database."""
Id = Annotated[int, Field(ge=0, le=MAX_ID)]


def error(status: int, field: str, reason: str) -> web.Response:
    return web.json_response({"error": {"field": field, "reason": reason}}, status=status)


Access = Literal["admin", "agent"]
"""Who may call a route: admins only (the bearer token is an admin), or agents too."""


async def _identify(request: web.Request, services: Services) -> Caller | web.Response:
    """The bearer token when one is given, else the console session; a 401 otherwise."""
    if bearer_given(request):
        if bearer_matches(request, services):
            return bearer_caller(request, services)
    else:
        caller = await session_caller(request)
        if caller is not None:
            return caller
    services.refusals.refuse("api", "unauthorized", request.remote)
    if services.settings.admin_token is None and bearer_given(request):
        return error(401, "Authorization", "the admin API is off: set RELAYBOT_ADMIN_TOKEN")
    return error(401, "Authorization", "missing or wrong bearer token or console session")


def guarded(handler: Handler, access: Access = "admin") -> Handler:
    """``handler`` behind the bearer or session check (and, for a session changing
    something, the CSRF token), with our errors as JSON 4xx naming the field."""

    async def guard(request: web.Request) -> web.StreamResponse:
        services = request.config_dict[SERVICES]
        caller = await _identify(request, services)
        if isinstance(caller, web.Response):
            return caller
        if (
            caller.session is not None
            and request.method not in SAFE_METHODS
            and not csrf_matches(caller.session, request.headers.get(CSRF_HEADER))
        ):
            services.refusals.refuse("api", "csrf", request.remote)
            return error(403, CSRF_HEADER, "missing or wrong CSRF token")
        if access == "admin" and not caller.is_admin:
            services.refusals.refuse("api", "forbidden", request.remote)
            return error(403, "role", "admins only")
        request[CALLER] = caller
        try:
            _check_params(request)
            return await handler(request)
        except ValidationFailed as exc:
            services.refusals.refuse(
                "api", "bad_request", request.remote, f"{exc.field}: {exc.reason}"
            )
            return error(400, exc.field, exc.reason)
        except NotFoundError as exc:
            return error(404, "id", str(exc))

    return guard


def _check_params(request: web.Request) -> None:
    """Path and query values may not carry NUL or unpaired surrogates (no column takes them)."""
    for name, value in [*request.match_info.items(), *request.query.items()]:
        if clean_text(value) != value:
            raise ValidationFailed(name, "contains characters that cannot be stored")


async def parse(request: web.Request, model: type[M]) -> M:
    """The JSON body, its strings cleaned, as ``model``; a bad body raises ValidationFailed
    naming the field."""
    try:
        body, _ = clean_json(await request.json())
    except TooDeep as exc:
        raise ValidationFailed("body", "nested too deeply") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationFailed("body", "not valid JSON") from exc
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ValidationFailed(field, first["msg"]) from exc


def int_param(request: web.Request, name: str, *, default: int | None = None) -> int:
    raw = request.match_info.get(name) or request.query.get(name)
    if raw is None:
        if default is None:
            raise ValidationFailed(name, "is required")
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationFailed(name, "must be a whole number") from exc
    if not 0 <= value <= MAX_ID:
        raise ValidationFailed(name, f"must be between 0 and {MAX_ID}")
    return value


MAX_PAGE = 200
"""The most items one page of a list may ask for."""


def page_size(request: web.Request, default: int = 50) -> int:
    """The ``limit`` query parameter of a paged list: 1 to :data:`MAX_PAGE`."""
    limit = int_param(request, "limit", default=default)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed("limit", f"must be between 1 and {MAX_PAGE}")
    return limit


def services_of(request: web.Request) -> Services:
    return request.config_dict[SERVICES]
