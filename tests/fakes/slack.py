"""A fake Slack: the Web API methods relaybot uses, response URLs, and Slack-signed requests in.

``FakeSlack`` answers ``/api/<method>`` like Slack does (``{"ok": true, ...}`` or
``{"ok": false, "error": ...}``; 429 with ``Retry-After``) and keeps what was
posted. ``SlackSender`` sends events, slash commands and interactivity payloads
into our app, signed with the signing secret exactly as Slack signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakes.base import FakeServer, Fault, Recorded

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"


class FakeSlack(FakeServer):
    """Slack's Web API on ``{url}/api/`` and response URLs on ``{url}/response/<key>``."""

    def __init__(self, token: str = "xoxb-test") -> None:
        super().__init__()
        self.token = token
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        self._channel_limits: dict[str, tuple[int, int]] = {}
        """Channel -> (posts still refused, their Retry-After)."""
        self.route("POST", "/api/{method}", self._api)
        self.route("GET", "/api/{method}", self._api)
        self.route("POST", "/response/{key}", self._response)

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.url}/response/{key}"

    def add_user(self, user_id: str, name: str, email: str | None = None) -> None:
        profile = {"real_name": name, "display_name": name}
        if email:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "name": name.lower(),
            "real_name": name,
            "profile": profile,
        }

    def fail_api(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``method`` calls with HTTP 200 and ``{"ok": false, "error": error}``."""
        self.fail_next(
            200, times=times, body={"ok": False, "error": error}, path_contains=f"/api/{method}"
        )

    def rate_limit(self, method: str, retry_after: int = 2, *, times: int = 1) -> None:
        """Answer the next ``method`` calls with 429, ``ratelimited`` and ``Retry-After``."""
        self.fail_next(
            429,
            times=times,
            headers={"Retry-After": str(retry_after)},
            path_contains=f"/api/{method}",
        )

    def rate_limit_channel(self, channel: str, retry_after: int = 2, *, times: int = 1) -> None:
        """Answer the next ``times`` posts into ``channel`` (only) with 429 and ``Retry-After``."""
        self._channel_limits[channel] = (times, retry_after)

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        body = fault.body
        if body is None:
            error = "ratelimited" if fault.status == 429 else "internal_error"
            body = {"ok": False, "error": error}
        return web.json_response(body, status=fault.status, headers=fault.headers)

    # what tests read

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every ``method`` call, in arrival order."""
        return [params(r) for r in self.received(f"/api/{method}")]

    async def wait_calls(self, method: str, count: int = 1) -> list[dict[str, Any]]:
        await self.wait_for(f"/api/{method}", count)
        return self.calls(method)

    def posts(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted (and not refused) into ``channel``, in order."""
        return [m for m in self.messages if m["channel"] == channel]

    def responses(self) -> list[dict[str, Any]]:
        """Everything posted to response URLs (ephemeral replies, replaced messages)."""
        return [r.json() for r in self.received("/response/")]

    async def wait_responses(self, count: int = 1) -> list[dict[str, Any]]:
        await self.wait_for("/response/", count)
        return self.responses()

    # handlers

    async def _response(self, request: web.Request, recorded: Recorded) -> web.Response:
        return web.Response(text="ok")

    async def _api(self, request: web.Request, recorded: Recorded) -> web.Response:
        method = request.match_info["method"]
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if recorded.headers.get("Authorization", "") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        if method == "chat.postMessage":
            refused = self._refused(str(params(recorded).get("channel")))
            if refused is not None:
                return refused
        result: dict[str, Any] = handler(params(recorded))
        return web.json_response(result)

    def _refused(self, channel: str) -> web.Response | None:
        times, retry_after = self._channel_limits.get(channel, (0, 0))
        if times <= 0:
            return None
        self._channel_limits[channel] = (times - 1, retry_after)
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "user": "relaybot",
        }

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        message = {
            "channel": p.get("channel"),
            "ts": ts,
            "text": p.get("text"),
            "blocks": p.get("blocks"),
            "thread_ts": p.get("thread_ts"),
        }
        self.messages.append(message)
        return {"ok": True, "channel": p.get("channel"), "ts": ts, "message": message}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts"), "text": p.get("text")}

    def _chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = p.get("channel"), str(p.get("message_ts", ""))
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = str(p.get("users", ""))
        return {"ok": True, "channel": {"id": "D" + users.replace(",", "")}}

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(p.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = p.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": "V1", **(view or {})}}


def params(recorded: Recorded) -> dict[str, Any]:
    """A Web API call's arguments, whether sent as query, form or JSON."""
    merged: dict[str, Any] = dict(recorded.query)
    merged.update(recorded.form)
    if recorded.headers.get("Content-Type", "").startswith("application/json") and recorded.body:
        merged.update(recorded.json())
    for key in ("blocks", "view"):
        if isinstance(merged.get(key), str):
            merged[key] = json.loads(merged[key])
    return merged


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class SlackSender:
    """Sends Slack's requests to our ``/slack/events``, signed (or deliberately not)."""

    def __init__(
        self, http: aiohttp.ClientSession, url: str, secret: str, response_url: str
    ) -> None:
        self.http = http
        self.url = url
        self.secret = secret
        self.response_url = response_url
        self._ids = itertools.count(1)
        self.last_response_headers: dict[str, str] = {}
        """The headers of relaybot's answer to the last request sent."""

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        headers = {"Content-Type": content_type, **sign(secret or self.secret, body, timestamp)}
        headers.update(extra_headers or {})
        async with self.http.post(self.url, data=body, headers=headers) as resp:
            self.last_response_headers = dict(resp.headers)
            return resp.status, await resp.text()

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kw: Any,
    ) -> tuple[int, str]:
        body = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):04d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": event,
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
            if retry_num
            else {}
        )
        return await self.post(
            json.dumps(body).encode(), "application/json", extra_headers=headers, **kw
        )

    async def command(self, text: str, user_id: str = "UAGENT", **kw: Any) -> tuple[int, str]:
        form = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": "CINBOX",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/relay",
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.response_url,
            "trigger_id": f"trig.{next(self._ids)}",
        }
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", **kw)

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        payload = {"team": {"id": TEAM_ID}, "api_app_id": "A0001", **payload}
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def click(
        self,
        action_id: str,
        user_id: str = "UAGENT",
        *,
        value: str | None = None,
        block_id: str = "b",
        **extra: Any,
    ) -> tuple[int, str]:
        """A ``block_actions`` payload for one button (``value``) or picker (``extra``)."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            **extra,
        }
        if value is not None:
            action["value"] = value
        payload = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
            "trigger_id": f"trig.{next(self._ids)}",
            "channel": {"id": "CINBOX"},
            "container": {
                "type": "message",
                "channel_id": "CINBOX",
                "message_ts": "1700000000.000001",
            },
            "response_url": self.response_url,
            "actions": [action],
        }
        return await self.interaction(payload)
