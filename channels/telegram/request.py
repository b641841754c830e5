"""python-telegram-bot transport on the application's shared aiohttp session."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.core.channel import SessionSource, session_of


class FloodWait(TelegramError):
    """Telegram answered with ``retry_after``: wait that many seconds before sending again."""

    def __init__(self, description: str, retry_after: float) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` that shares one aiohttp connection pool with the rest of the app.

    The session belongs to the caller: ``shutdown`` leaves it open. Flood-control
    answers are raised here as :class:`FloodWait`, carrying the seconds to wait.
    """

    def __init__(self, session: SessionSource, *, timeout: float = 20.0) -> None:
        self._session = session
        self._timeout = timeout

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        """Nothing to open: the session is shared."""

    async def shutdown(self) -> None:
        """Nothing to close: the session is shared."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=_seconds(connect_timeout, self._timeout),
            sock_read=_seconds(read_timeout, self._timeout),
        )
        try:
            async with session_of(self._session).request(
                method,
                url,
                data=_body(request_data),
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
            ) as response:
                payload = await response.read()
                status = response.status
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc
        if status >= 400:
            _raise_flood_wait(payload)
        return status, payload


def _seconds(value: Any, default: float) -> float | None:
    if isinstance(value, (int, float)) or value is None:
        return value
    return default


def _body(request_data: RequestData | None) -> Any:
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, content_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=content_type)
    return form


def _raise_flood_wait(payload: bytes) -> None:
    try:
        data = json.loads(payload)
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    parameters = data.get("parameters") or {}
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(retry_after, (int, float)) and retry_after > 0:
        description = str(data.get("description") or "Too Many Requests")
        raise FloodWait(description, float(retry_after))
