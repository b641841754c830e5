"""The machine's ceiling for ``e2e.py``: a webhook in, the greeting and the question out, nothing else.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=... TELEGRAM_WEBHOOK_SECRET=... \\
        .venv/bin/python bench/relay_server.py PORT

An aiohttp server that checks the webhook's secret, reads the update, answers 200 and
then sends the support flow's first two messages to the update's chat with the same
Telegram client relaybot uses (``RelayBot.send_text`` on ``AiohttpRequest`` over one
shared session). No database, no journal, no workflow: what is left when everything
relaybot adds is taken away. ``e2e.py --bare`` drives it exactly as it drives
``relaybot serve``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import aiohttp
from aiohttp import web

from channels.telegram.channel import RelayBot
from channels.telegram.request import AiohttpRequest

GREETING = "Hi there! I'm the relaybot assistant."
QUESTION = "What can I help you with?"


class Relay:
    """Answers each webhook at once and sends two messages to its chat, in order."""

    def __init__(self, token: str, base_url: str, secret: str) -> None:
        self.secret = secret
        self.session: aiohttp.ClientSession | None = None
        self.bot = RelayBot(
            token,
            base_url=base_url,
            request=AiohttpRequest(self._session),
            get_updates_request=AiohttpRequest(self._session),
        )
        self.tasks: set[asyncio.Task[None]] = set()

    def _session(self) -> aiohttp.ClientSession:
        assert self.session is not None
        return self.session

    async def start(self, _app: web.Application) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        await self.bot.initialize()

    async def stop(self, _app: web.Application) -> None:
        if self.session is not None:
            await self.session.close()

    async def webhook(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != self.secret:
            return web.Response(status=401)
        update: dict[str, Any] = await request.json()
        chat_id = update["message"]["chat"]["id"]
        task = asyncio.create_task(self._answer(chat_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.Response(text="ok")

    async def _answer(self, chat_id: int) -> None:
        await self.bot.send_text(chat_id, GREETING)
        await self.bot.send_text(chat_id, QUESTION)


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    relay = Relay(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["TELEGRAM_API_BASE_URL"],
        os.environ["TELEGRAM_WEBHOOK_SECRET"],
    )
    app = web.Application()
    app.router.add_post("/webhooks/telegram", relay.webhook)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(relay.start)
    app.on_cleanup.append(relay.stop)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
