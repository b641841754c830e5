"""twilio's async HTTP client on the application's shared aiohttp session."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import aiohttp
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response

from bot.core.channel import SessionSource, session_of

# Headers of the last Twilio answer in this task: TwilioRestException drops them,
# and the Retry-After of a 429 lives there.
last_response_headers: ContextVar[Mapping[str, str] | None] = ContextVar(
    "twilio_last_response_headers", default=None
)


class SessionTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """``AsyncTwilioHttpClient`` sending through a session the application owns.

    ``close`` leaves the session open. Each request has a timeout, and the
    answer's headers are kept in :data:`last_response_headers`.
    """

    def __init__(self, session: SessionSource, *, timeout: float = 20.0) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self._sessions = session

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio's signature)
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = _basic_auth(*auth)
        seconds = timeout if timeout is not None else self.timeout
        async with session_of(self._sessions).request(
            method.upper(),
            url,
            params=_pairs(params),
            data=_pairs(data),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=seconds),
            allow_redirects=allow_redirects,
        ) as response:
            text = await response.text()
            answer_headers = dict(response.headers)
            last_response_headers.set(answer_headers)
            return Response(response.status, text, answer_headers)

    async def close(self) -> None:
        """The session is shared: nothing to close."""


def _basic_auth(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _pairs(values: dict[str, object] | None) -> list[tuple[str, str]] | None:
    """Form pairs, one per list item (twilio passes repeated fields such as MediaUrl as lists)."""
    if values is None:
        return None
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        items: list[Any] = value if isinstance(value, list) else [value]
        pairs.extend((key, _text(item)) for item in items if item is not None)
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
