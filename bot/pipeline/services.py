"""The services one relaybot process runs, built once from Settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bot.core.channel import Channel
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.event_interest import EventInterest
from bot.core.keyed_lock import KeyedLock
from bot.core.metrics import Metrics
from bot.core.refusals import Refusals
from bot.core.signals import Signals
from bot.domain.leads import Pipeline
from bot.domain.secret_key import SecretKeySlot
from bot.pipeline.event_claims import AdvisoryClaims, EventClaims, InProcessClaims
from bot.pipeline.events import EventDispatcher
from bot.pipeline.inbox import Inbox
from bot.pipeline.journal import InboundJournal
from bot.pipeline.journal_processor import JournalProcessor
from bot.pipeline.outbox import Outbox
from bot.pipeline.scheduler import Scheduler
from bot.storage.advisory_locks import AdvisoryLocks
from bot.storage.db import Database
from bot.storage.pg_notify import PgListener, asyncpg_dsn, wake_signals
from bot.storage.uow import UnitOfWork
from workflows.actions import ActionRegistry

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
    actions: ActionRegistry = field(default_factory=ActionRegistry)
    """The actions ``run_action`` steps call: the integrations register theirs at start-up."""
    delivery_failed_hooks: list[DeliveryFailedHook] = field(default_factory=list)
    locks: KeyedLock | AdvisoryLocks = field(default_factory=KeyedLock)
    """Serializes work per conversation: in this process (SQLite) or across processes."""
    listener: PgListener | None = None
    """Wake-ups from the other processes (PostgreSQL only)."""
    secret_key: SecretKeySlot = field(default_factory=SecretKeySlot)
    """The deployment's secret key, filled in when the app starts."""
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Closed with the services, after the shared session (e.g. the guarded outbound session)."""
    _http: aiohttp.ClientSession | None = None
    _refusals: Refusals | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        """The shared outbound HTTP session (created on first use, inside the event loop)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30),
                connector=aiohttp.TCPConnector(limit=200),
            )
        return self._http

    @property
    def refusals(self) -> Refusals:
        """Where refused inbound requests are counted and logged (one per process)."""
        if self._refusals is None:
            self._refusals = Refusals(self.metrics, self.clock)
        return self._refusals

    def add_channel(self, channel: Channel) -> None:
        if channel.name in self.channels:
            raise ValueError(f"channel {channel.name!r} registered twice")
        self.channels[channel.name] = channel

    async def delivery_failed(
        self, message_id: int, conversation_id: int | None, reason: str
    ) -> None:
        """Tell every listener (the workflow runner) that a customer message failed for good."""
        for hook in self.delivery_failed_hooks:
            await hook(message_id, conversation_id, reason)

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        if self._http is not None:
            await self._http.close()
        for close in self.closers:
            await close()
        if isinstance(self.locks, AdvisoryLocks):
            await self.locks.close()
        await self.db.close()


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Wire the core services for ``settings``, on either database.

    On PostgreSQL several processes may share the database: conversations are locked
    across processes (advisory locks), the event dispatcher claims a conversation's events
    with its lock, the journal's door records each payload's lane (the processes store
    different lanes at once), and the database's triggers NOTIFY the other processes,
    whose listener wakes them.
    """
    clock = clock or SystemClock()
    db = Database(settings)
    signals = Signals()
    metrics = Metrics()
    interest = EventInterest()
    uow = UnitOfWork(db, clock, signals, interest)
    inbox = Inbox(uow, metrics)
    journal = InboundJournal(db, clock, signals, metrics)
    locks: KeyedLock | AdvisoryLocks = KeyedLock()
    listener: PgListener | None = None
    claims: EventClaims = InProcessClaims()
    if db.dialect == "postgresql":
        dsn = asyncpg_dsn(settings.database_url)
        locks = AdvisoryLocks(dsn)
        listener = PgListener(dsn, origin=db.origin)
        wake_signals(listener, signals)
        claims = AdvisoryClaims(locks, workers=settings.event_workers)
    events = EventDispatcher(db, clock, signals, claims=claims, interest=interest)
    uow.hand_off = events
    journal_processor = JournalProcessor(uow, inbox, door=journal, lanes=settings.journal_lanes)
    if db.dialect == "postgresql":  # elsewhere one process holds every lane: no need to read them
        journal.lane_of = journal_processor.lane_of
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        signals=signals,
        uow=uow,
        metrics=metrics,
        events=events,
        outbox=Outbox(db, clock, signals, metrics, settings),
        scheduler=Scheduler(db, clock, signals, metrics, settings.timer_lease_s),
        inbox=inbox,
        journal=journal,
        journal_processor=journal_processor,
        pipeline=Pipeline(settings.lead_stages),
        locks=locks,
        listener=listener,
    )


SERVICES = web.AppKey("services", Services)
"""Where the app (and its sub-apps) keep the Services."""
