"""A small in-test bot behind the widget: stores messages and answers like a workflow."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.core.clock import SystemClock
from bot.core.config import Settings
from bot.core.messages import InboundMessage, OutboundMessage
from channels.widget import WidgetChannel
from workflows.message_parts import Choice

EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]{2,}$")
MENU = [
    Choice(label="Track my order", value="track"),
    Choice(label="Talk to a human", value="human"),
]
CHECKOUT_HELP = [
    Choice(label="Yes, help me pay", value="checkout_help"),
    Choice(label="No thanks", value="dismiss"),
]


class EchoBot:
    """``receive`` stores, then (after the ack, like the real inbox) the bot answers."""

    def __init__(self, origin: str, *, allowed_origins: list[str] | None = None) -> None:
        self.settings = Settings(
            _env_file=None,
            RELAYBOT_SECRET_KEY="browser-test-key",
            RELAYBOT_PUBLIC_URL=origin,
            RELAYBOT_WIDGET_ALLOWED_ORIGINS=allowed_origins or [origin],
        )
        self.channel = WidgetChannel(
            self.settings, SystemClock(), self.receive, self.history, self.visitor_event
        )
        self.server: Any = None
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.received: list[InboundMessage] = []
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.awaiting_email: set[str] = set()
        self.hold: asyncio.Event | None = None
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_id = 0
        self.extra_routes: list[web.AbstractRouteDef] = []
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, check: Callable[[], bool]) -> None:
        """Wait until ``check()`` holds for what the browser caused on the server."""
        async with asyncio.timeout(15), self._changed:
            await self._changed.wait_for(check)

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes(self.channel.routes())
        app.add_routes(self.channel.demo_routes())
        app.add_routes(self.extra_routes)
        app.on_shutdown.append(lambda _app: self.channel.close())
        return app

    def _store(self, visitor: str, direction: str, text: str, **extra: Any) -> int:
        self._next_id += 1
        self.messages.setdefault(visitor, []).append(
            {
                "id": self._next_id,
                "direction": direction,
                "sender_kind": "customer" if direction == "in" else "bot",
                "text": text,
                "choices": [],
                "input_type": None,
                "created_at": "2026-01-05T09:00:00+00:00",
                **extra,
            }
        )
        return self._next_id

    async def receive(self, message: InboundMessage) -> object:
        self.received.append(message)
        await self._notify()
        if message.external_message_id in self._seen:
            return None
        self._seen.add(message.external_message_id)
        visitor = message.external_conversation_id
        self._store(
            visitor, "in", message.text or "", external_message_id=message.external_message_id
        )
        task = asyncio.get_running_loop().create_task(self._answer(visitor, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def history(self, visitor: str) -> list[dict[str, Any]]:
        return list(self.messages.get(visitor, []))

    async def visitor_event(self, visitor: str, event_type: str, data: dict[str, Any]) -> None:
        self.events.append((visitor, event_type, data))
        await self._notify()
        if event_type == "visitor.form_frustration":
            await self.say(
                visitor,
                "Having trouble with checkout? I can help you finish your order.",
                choices=CHECKOUT_HELP,
                proactive=True,
            )

    async def say(
        self,
        visitor: str,
        text: str,
        *,
        choices: list[Choice] | None = None,
        input_type: str | None = None,
        proactive: bool = False,
    ) -> None:
        choices = choices or []
        message_id = self._store(
            visitor,
            "out",
            text,
            choices=[c.model_dump() for c in choices],
            input_type=input_type,
        )
        await self.channel.send(
            OutboundMessage(
                channel="widget",
                external_conversation_id=visitor,
                text=text,
                choices=choices,
                input_type=input_type,
                message_id=message_id,
                metadata={"proactive": proactive},
            )
        )

    async def _answer(self, visitor: str, message: InboundMessage) -> None:
        await self.channel.typing(visitor)
        if self.hold is not None:
            await self.hold.wait()
        answer = message.payload or (message.text or "")
        if visitor in self.awaiting_email:
            if EMAIL.match(answer.strip()):
                self.awaiting_email.discard(visitor)
                await self.say(visitor, f"Thanks! Order updates will go to {answer.strip()}.")
            else:
                await self.say(
                    visitor, "That doesn't look like an email address.", input_type="email"
                )
        elif answer == "track":
            self.awaiting_email.add(visitor)
            await self.say(visitor, "Sure. What's the email on your order?", input_type="email")
        elif answer == "checkout_help":
            await self.say(visitor, "Card numbers have 16 digits; try 4242 4242 4242 4242.")
        else:
            await self.say(visitor, f"You wrote “{answer}”. How can we help?", choices=MENU)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
