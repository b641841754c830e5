"""A lean fake Slack Web API for the benchmarks: the methods the Slack console calls, with
Slack's pace per channel (more than ``per_second`` posts a second into one channel is
answered with HTTP 429 and ``Retry-After``), and a record of what was posted when."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from typing import Any

from aiohttp import web
from serving import LocalApp

TOKEN = "xoxb-bench"
SIGNING_SECRET = "bench-signing-secret"
INBOX = "CINBOX"


class FakeSlack(LocalApp):
    """``/api/<method>`` as Slack answers it; keeps the thread headers and the mirror lines."""

    def __init__(self, per_second: float = 1.0) -> None:
        super().__init__()
        self.per_second = per_second
        self.headers: dict[str, float] = {}
        """Top-level posts (thread headers) by ``ts``: when each was posted."""
        self.lines: dict[tuple[str, str], float] = {}
        """Mirror lines by (thread ts, line): when each was first posted."""
        self.thread_posts = 0
        self.duplicate_lines = 0
        self.rate_limited = 0
        self.posted = asyncio.Event()
        self._last_post: dict[str, float] = {}
        self._ts = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._handle)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def env(self) -> dict[str, str]:
        """The settings that point relaybot's console here, with one inbox channel."""
        return {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_INBOX_CHANNEL": INBOX,
            "SLACK_API_BASE_URL": self.api_url,
        }

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _answer({"ok": False, "error": "invalid_auth"})
        args = await _arguments(request)
        if method == "chat.postMessage":
            return self._post(args)
        if method == "chat.update":
            return _answer({"ok": True, "channel": args.get("channel"), "ts": args.get("ts")})
        if method == "chat.getPermalink":
            return _answer({"ok": True, "permalink": "https://fake.slack.test/p1"})
        if method == "conversations.open":
            return _answer({"ok": True, "channel": {"id": "D" + str(args.get("users", ""))}})
        if method == "auth.test":
            return _answer({"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"})
        if method == "users.info":
            return _answer({"ok": False, "error": "user_not_found"})
        return _answer({"ok": False, "error": "unknown_method"})

    def _post(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel", ""))
        now = time.perf_counter()
        wait = self._last_post.get(channel, -math.inf) + 1.0 / self.per_second - now
        if wait > 0:
            self.rate_limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        self._last_post[channel] = now
        ts = f"1700000000.{next(self._ts):06d}"
        thread = args.get("thread_ts")
        if thread:
            self.thread_posts += 1
            for line in _lines(args):
                if (str(thread), line) in self.lines:
                    self.duplicate_lines += 1
                else:
                    self.lines[(str(thread), line)] = now
        else:
            self.headers[ts] = now
        self.posted.set()
        return _answer({"ok": True, "channel": channel, "ts": ts})


async def _arguments(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body: dict[str, Any] = await request.json()
        return body
    return {key: value for key, value in (await request.post()).items()}


def _lines(args: dict[str, Any]) -> list[str]:
    """One line per section block of a thread post (else its text)."""
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return [str(args.get("text", ""))]
    return [str(block.get("text", {}).get("text", "")) for block in blocks]


def _answer(body: dict[str, Any]) -> web.Response:
    return web.json_response(body)
