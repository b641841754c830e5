"""Auth, error mapping and parsing shared by the admin API handlers."""

from __future__ import annotations

import hmac
import json
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, ValidationError

from bot.errors import NotFoundError, ValidationFailed
from bot.services import SERVICES, Services

M = TypeVar("M", bound=BaseModel)


def error(status: int, field: str, reason: str) -> web.Response:
    return web.json_response({"error": {"field": field, "reason": reason}}, status=status)


def _authorized(request: web.Request, services: Services) -> bool:
    token = services.settings.admin_token
    if token is None:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    expected = token.get_secret_value()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.encode())


def guarded(handler: Handler) -> Handler:
    """``handler`` behind the bearer check, with our errors as JSON 4xx naming the field."""

    async def guard(request: web.Request) -> web.StreamResponse:
        services = request.config_dict[SERVICES]
        if not _authorized(request, services):
            if services.settings.admin_token is None:
                return error(401, "Authorization", "the admin API is off: set RELAYBOT_ADMIN_TOKEN")
            return error(401, "Authorization", "missing or wrong bearer token")
        try:
            return await handler(request)
        except ValidationFailed as exc:
            return error(400, exc.field, exc.reason)
        except NotFoundError as exc:
            return error(404, "id", str(exc))

    return guard


async def parse(request: web.Request, model: type[M]) -> M:
    """The JSON body as ``model``; a bad body raises ValidationFailed naming the field."""
    try:
        body: Any = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
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
        return int(raw)
    except ValueError as exc:
        raise ValidationFailed(name, "must be a whole number") from exc


def services_of(request: web.Request) -> Services:
    return request.config_dict[SERVICES]
