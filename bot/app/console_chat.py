"""``relaybot chat``: talk to the enabled workflows from the terminal, as a customer would.

The chat process fires its conversations' timers itself (waits, question time-outs)
while you type, on its own clock: ``--speed 60`` lets a minute pass every second. A
server on the same database leaves the console conversations' work to it
(:mod:`bot.storage.claim_scope`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from bot.app.commands import run_async
from bot.app.engine_component import build_runner, import_workflow_dir
from bot.core.clock import Clock, SpeedClock, SystemClock
from bot.core.config import Settings
from bot.core.messages import InboundMessage, OutboundMessage, SenderProfile, SendResult
from bot.pipeline.delivery import ChannelSender
from bot.pipeline.journal import message_payload, read_message_payload
from bot.pipeline.services import Services, build_services
from bot.pipeline.settle import settle
from bot.storage.app.console_chat_queries import rename_contact_of
from bot.storage.claim_scope import CONSOLE_CHANNEL, ClaimScope
from integrations.component import install_integrations, subscribe_ai_agent

logger = logging.getLogger(__name__)

CHANNEL = CONSOLE_CHANNEL
DEFAULT_NAME = "Console customer"

Write = Callable[[str], None]
Read = Callable[[], Awaitable[str | None]]


class ConsoleChannel:
    """Prints what the bot says; choices as numbered options."""

    name = CHANNEL

    def __init__(self, write: Write = print) -> None:
        self.write = write
        self.last_choices: list[str] = []
        self._ids = itertools.count(1)

    def routes(self) -> list[web.AbstractRouteDef]:
        return []

    async def send(self, message: OutboundMessage) -> SendResult:
        self.write(f"bot> {message.text}")
        for number, choice in enumerate(message.choices, start=1):
            self.write(f"      {number}. {choice.label}")
        if message.media_url:
            self.write(f"      [media] {message.media_url}")
        return SendResult(external_message_ids=[f"console-{next(self._ids)}"])

    def can_send_freeform(self, last_customer_message_at: datetime | None, now: datetime) -> bool:
        return True

    async def close(self) -> None:
        return None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = sub.add_parser("chat", help="chat with the enabled workflows from the terminal")
    chat.add_argument(
        "--name",
        default=None,
        help=f"the customer's name (default {DEFAULT_NAME!r}; renames a returning customer)",
    )
    chat.add_argument("--conversation", default="terminal", help="conversation id to continue")
    chat.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help="let time pass this many times faster for waits and time-outs (60: a minute a second)",
    )
    chat.set_defaults(command=_chat)


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if speed <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return speed


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.migrate import upgrade

    if settings.is_sqlite:
        upgrade(settings.database_url)
    clock: Clock = SystemClock() if args.speed == 1 else SpeedClock(args.speed)
    return run_async(_main(settings, clock, args))


async def _main(settings: Settings, clock: Clock, args: argparse.Namespace) -> int:
    chat = await ChatSession.open(settings, clock, args.conversation, args.name, speed=args.speed)
    try:
        return await chat.converse(_read_line)
    finally:
        await chat.close()


async def _read_line() -> str | None:
    return await asyncio.get_running_loop().run_in_executor(None, _input)


def _input() -> str | None:
    try:
        return input("you> ")
    except EOFError:
        return None


def pause(due: datetime | None, now: datetime, speed: float, poll: float) -> float:
    """Real seconds to wait for the timer ``due`` when the clock runs ``speed`` times
    faster: at most ``poll``, and the whole poll when none is pending or the one due
    already is held by another claim."""
    ahead = (due - now).total_seconds() if due is not None else 0.0
    return min(poll, ahead / speed) if ahead > 0 else poll


class ChatSession:
    """One customer at the terminal: what they type goes in, and due timers fire meanwhile."""

    def __init__(
        self, services: Services, conversation: str, name: str | None, speed: float
    ) -> None:
        self.services = services
        self.conversation = conversation
        self.name = name or DEFAULT_NAME
        self.speed = speed
        self._busy = asyncio.Lock()
        self._typed = asyncio.Event()
        self._leaving = False
        self._ids = itertools.count(time.time_ns())  # unique across sessions, whatever the clock

    @classmethod
    async def open(
        cls,
        settings: Settings,
        clock: Clock,
        conversation: str,
        name: str | None = None,
        *,
        speed: float = 1.0,
        write: Write = print,
    ) -> ChatSession:
        """Wire a process that claims only console work, import the workflows, greet."""
        services = build_services(settings, clock)
        services.events.scope = ClaimScope.TERMINAL
        services.outbox.scope = ClaimScope.TERMINAL
        services.scheduler.scope = ClaimScope.TERMINAL
        services.add_channel(ConsoleChannel(write))
        services.journal_processor.register(CHANNEL, read_message_payload)
        ChannelSender(services).register()
        subscribe_ai_agent(services)
        runner = build_runner(services)
        install_integrations(services)
        await import_workflow_dir(services, settings.workflows_dir)
        await runner.catalog.refresh()
        chat = cls(services, conversation, name, speed)
        if name is not None:
            await chat.rename(name)
        write("relaybot chat: you are the customer. Type a message; /quit to leave.")
        return chat

    async def rename(self, name: str) -> None:
        """Give a returning customer of this conversation id the name ``name``."""
        async with self.services.uow() as tx:
            await rename_contact_of(tx, CHANNEL, self.conversation, name)

    async def say(self, text: str) -> None:
        """The customer writes ``text``; everything it causes now runs."""
        async with self._busy:
            message = InboundMessage(
                channel=CHANNEL,
                external_conversation_id=self.conversation,
                external_message_id=f"console-{next(self._ids)}",
                sender=SenderProfile(external_id=self.conversation, name=self.name),
                text=text,
                received_at=self.services.clock.now(),
            )
            await self.services.journal.append(
                CHANNEL, message.external_message_id, message_payload(message)
            )
            await settle(self.services)
        self._typed.set()

    async def fire_due(self) -> None:
        """Run what is due now: timers, outbound items, the events they cause."""
        async with self._busy:
            await settle(self.services)

    async def run_timers(self) -> None:
        """Fire timers as they fall due until the customer leaves: sleep until the next one
        is due (on the session's clock, ``speed`` times faster), a message is typed, or the
        poll interval ends (work another process queued for this conversation)."""
        poll = self.services.settings.poll_interval_s
        while not self._leaving:
            self._typed.clear()
            try:
                await self.fire_due()
                due = await self.services.scheduler.next_due()
            except Exception:
                logger.exception("firing the chat's timers failed")
                due = None
            wait = pause(due, self.services.clock.now(), self.speed, poll)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._typed.wait(), wait)

    async def converse(self, read: Read) -> int:
        """Read lines until ``/quit`` or the end of input, firing timers meanwhile."""
        timers = asyncio.create_task(self.run_timers(), name="chat-timers")
        try:
            while True:
                line = await read()
                if line is None or line.strip() in {"/quit", "/exit"}:
                    return 0
                if line.strip():
                    await self.say(line.strip())
        finally:
            self._leaving = True  # the loop ends by itself: a cancel could cut a settle short
            self._typed.set()
            await timers

    async def close(self) -> None:
        await self.services.close()
