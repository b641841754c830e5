"""A fake Telegram Bot API (``/bot<token>/<method>``) and builders for signed webhook calls."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, Fault, Recorded

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIXED_DATE = 1767603600  # 2026-01-05 09:00 UTC

_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
}


class TelegramFake(FakeServer):
    """Answers like the Bot API: ``{"ok": true, "result": ...}`` or Telegram-shaped errors."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        super().__init__()
        self.token = token
        self._message_ids = itertools.count(1000)
        self.sent_to: Counter[str] = Counter()
        """Messages answered with success, per chat id (as a string)."""
        self.route("POST", "/bot{token}/{method}", self._dispatch)
        self.route("GET", "/bot{token}/{method}", self._dispatch)

    @property
    def base_url(self) -> str:
        """What ``TELEGRAM_API_BASE_URL`` should be set to (the token is appended)."""
        return f"{self.url}/bot"

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The decoded parameters of every successful-or-failed call to ``method``."""
        return [params(r) for r in self.requests if r.path.endswith(f"/{method}")]

    async def _dispatch(self, request: web.Request, recorded: Recorded) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        args = params(recorded)
        if method == "getMe":
            return _ok(
                {"id": 123456, "is_bot": True, "first_name": "Relay", "username": "relay_bot"}
            )
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            self.sent_to[str(args.get("chat_id"))] += 1
            return _ok(self._message(method, args))
        if method == "editMessageReplyMarkup":
            return _ok(self._message(method, args))
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return _ok(True)
        return _error(404, "Not Found")

    def _message(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": FIXED_DATE,
            "chat": {"id": int(args.get("chat_id", 0)), "type": "private"},
            "from": {"id": 123456, "is_bot": True, "first_name": "Relay"},
        }
        if method == "sendMessage":
            message["text"] = args.get("text", "")
        if method == "sendPhoto":
            message["photo"] = [{"file_id": "p1", "file_unique_id": "u1", "width": 1, "height": 1}]
        if method == "sendDocument":
            message["document"] = {"file_id": "d1", "file_unique_id": "u2"}
        if "caption" in args:
            message["caption"] = args["caption"]
        if "reply_markup" in args:
            message["reply_markup"] = args["reply_markup"]
        return message

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        if isinstance(fault.body, dict):
            return web.json_response(fault.body, status=fault.status)
        retry_after = int(fault.headers.get("Retry-After", "0") or 0)
        description = fault.body or _DESCRIPTIONS.get(fault.status, "Internal Server Error")
        return _error(fault.status, description.format(retry_after=retry_after), retry_after)


def params(recorded: Recorded) -> dict[str, Any]:
    """A Bot API call's parameters, with JSON-encoded fields (keyboards) decoded."""
    raw: dict[str, Any] = dict(recorded.form) if recorded.form else {}
    if (
        not raw
        and recorded.body
        and recorded.headers.get("Content-Type", "").startswith("application/json")
    ):
        raw = recorded.json()
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value.startswith(("[", "{")):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        decoded[key] = value
    return decoded


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, retry_after: int = 0) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


# --- inbound updates, as Telegram sends them -------------------------------------------


def signed_headers(secret: str) -> dict[str, str]:
    """The headers Telegram sends with every webhook call registered with ``secret``."""
    return {SECRET_HEADER: secret, "Content-Type": "application/json"}


def user(user_id: int = 42, first_name: str = "Ada", **extra: Any) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, **extra}


def message_update(update_id: int, chat_id: int = 42, **content: Any) -> dict[str, Any]:
    """An update carrying a private message from user ``chat_id`` with ``content`` fields."""
    sender = content.pop("from_user", None) or user(
        chat_id, last_name="Lovelace", username="ada", language_code="en"
    )
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id + 500,
            "date": FIXED_DATE,
            "chat": {"id": chat_id, "type": "private", "first_name": sender["first_name"]},
            "from": sender,
            **content,
        },
    }


def callback_update(
    update_id: int, data: str, *, chat_id: int = 42, keyboard: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """A button press on a bot message whose inline keyboard was ``keyboard`` (label, data)."""
    message: dict[str, Any] = {
        "message_id": 900,
        "date": FIXED_DATE,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": 123456, "is_bot": True, "first_name": "Relay"},
        "text": "Pick one",
    }
    if keyboard:
        message["reply_markup"] = {
            "inline_keyboard": [
                [{"text": label, "callback_data": value}] for label, value in keyboard
            ]
        }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": user(chat_id),
            "chat_instance": "ci-1",
            "message": message,
            "data": data,
        },
    }
