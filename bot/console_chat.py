"""``relaybot chat``: talk to the enabled workflows from the terminal, as a customer would."""

from __future__ import annotations

import argparse
import asyncio
import itertools
from datetime import datetime

from aiohttp import web

from bot.config import Settings
from bot.delivery import ChannelSender
from bot.engine_component import build_runner, import_workflow_dir
from bot.messages import InboundMessage, OutboundMessage, SenderProfile, SendResult
from bot.services import build_services
from bot.settle import settle
from integrations.component import install_integrations, subscribe_ai_agent

CHANNEL = "console"


class ConsoleChannel:
    """Prints what the bot says; choices as numbered options."""

    name = CHANNEL

    def __init__(self) -> None:
        self.last_choices: list[str] = []
        self._ids = itertools.count(1)

    def routes(self) -> list[web.AbstractRouteDef]:
        return []

    async def send(self, message: OutboundMessage) -> SendResult:
        print(f"bot> {message.text}")
        for number, choice in enumerate(message.choices, start=1):
            print(f"      {number}. {choice.label}")
        if message.media_url:
            print(f"      [media] {message.media_url}")
        return SendResult(external_message_ids=[f"console-{next(self._ids)}"])

    def can_send_freeform(self, last_customer_message_at: datetime | None, now: datetime) -> bool:
        return True

    async def close(self) -> None:
        return None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = sub.add_parser("chat", help="chat with the enabled workflows from the terminal")
    chat.add_argument("--name", default="Console customer", help="the customer's name")
    chat.add_argument("--conversation", default="terminal", help="conversation id to continue")
    chat.set_defaults(command=_chat)


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import run_async
    from bot.migrate import upgrade

    if settings.is_sqlite:
        upgrade(settings.database_url)
    return run_async(_session(settings, args.name, args.conversation))


async def _session(settings: Settings, name: str, conversation: str) -> int:
    services = build_services(settings)
    services.add_channel(ConsoleChannel())
    ChannelSender(services).register()
    subscribe_ai_agent(services)
    runner = build_runner(services)
    install_integrations(services)
    await import_workflow_dir(services, settings.workflows_dir)
    await runner.catalog.refresh()
    print("relaybot chat: you are the customer. Type a message; /quit to leave.")
    loop = asyncio.get_running_loop()
    counter = itertools.count(int(loop.time() * 1000))
    try:
        while True:
            line = await loop.run_in_executor(None, _read_line)
            if line is None or line.strip() in {"/quit", "/exit"}:
                return 0
            if not line.strip():
                continue
            await services.inbox.receive(
                InboundMessage(
                    channel=CHANNEL, external_conversation_id=conversation,
                    external_message_id=f"console-{next(counter)}",
                    sender=SenderProfile(external_id=conversation, name=name), text=line.strip(),
                )
            )
            await settle(services)
    finally:
        await services.close()


def _read_line() -> str | None:
    try:
        return input("you> ")
    except EOFError:
        return None

