"""The services one relaybot process runs, built once from Settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.events import EventDispatcher
from bot.inbox import Inbox
from bot.journal import InboundJournal
from bot.journal_processor import JournalProcessor
from bot.leads import Pipeline
from bot.metrics import Metrics
from bot.outbox import Outbox
from bot.scheduler import Scheduler
from bot.signals import Signals
from bot.uow import UnitOfWork
from channels.base import Channel

DeliveryFailedHook = Callable[[int, int | None, str], Awaitable[None]]
"""Called as hook(message_id, conversation_id, reason) when a customer message fails for good."""


@dataclass
class Services:
    """Everything the app, the channels, the engine and the integrations share."""

    settings: Settings
    clock: Clock
    db: Database
    signals: Signals
    uow: UnitOfWork
    metrics: Metrics
    events: EventDispatcher
    outbox: Outbox
    scheduler: Scheduler
    inbox: Inbox
    journal: InboundJournal
    journal_processor: JournalProcessor
    pipeline: Pipeline
    channels: dict[str, Channel] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    delivery_failed_hooks: list[DeliveryFailedHook] = field(default_factory=list)
    _http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        """The shared outbound HTTP session (created on first use, inside the event loop)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30),
                connector=aiohttp.TCPConnector(limit=200),
            )
        return self._http

    def add_channel(self, channel: Channel) -> None:
        if channel.name in self.channels:
            raise ValueError(f"channel {channel.name!r} registered twice")
        self.channels[channel.name] = channel

    async def delivery_failed(self, message_id: int, conversation_id: int | None, reason: str) -> None:
        """Tell every listener (the workflow runner) that a customer message failed for good."""
        for hook in self.delivery_failed_hooks:
            await hook(message_id, conversation_id, reason)

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        if self._http is not None:
            await self._http.close()
        await self.db.close()


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Wire the core services for ``settings``."""
    clock = clock or SystemClock()
    db = Database(settings)
    signals = Signals()
    metrics = Metrics()
    uow = UnitOfWork(db, clock, signals)
    inbox = Inbox(uow, metrics)
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        signals=signals,
        uow=uow,
        metrics=metrics,
        events=EventDispatcher(db, clock, signals),
        outbox=Outbox(db, clock, signals, metrics, settings),
        scheduler=Scheduler(db, clock, signals, metrics),
        inbox=inbox,
        journal=InboundJournal(db, clock, signals, metrics),
        journal_processor=JournalProcessor(uow, inbox),
        pipeline=Pipeline(settings.lead_stages),
    )


SERVICES = web.AppKey("services", Services)
"""Where the app (and its sub-apps) keep the Services."""
