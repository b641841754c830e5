"""The aiohttp application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiohttp import web

from bot.app.api import add_api
from bot.app.components import COMPONENTS, Component
from bot.app.migrate import upgrade_async
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.domain.secret_key import resolve_secret_key
from bot.pipeline.delivery import ChannelSender
from bot.pipeline.services import SERVICES, Services, build_services

logger = logging.getLogger(__name__)

"""A part that plugs into the app: adds routes, channels, outbox handlers, subscribers."""

TASKS = web.AppKey("background_tasks", list[asyncio.Task[None]])


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        await services.db.ping()
    except Exception as exc:
        logger.warning("health check failed: %s", exc)
        return web.json_response({"status": "unavailable", "database": "down"}, status=503)
    return web.json_response(
        {"status": "ok", "database": "up", "channels": sorted(services.channels)}
    )


async def metrics(request: web.Request) -> web.Response:
    body = request.app[SERVICES].metrics.render()
    return web.Response(
        body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    )


def default_components() -> list[Component]:
    """Every part relaybot ships; each turns itself on when its settings are present."""
    return list(COMPONENTS)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    services: Services | None = None,
    components: Sequence[Component] | None = None,
    background: bool = True,
    migrate: bool | None = None,
) -> web.Application:
    """Build the app. ``background=False`` leaves the workers to the caller (tests drive them)."""
    services = services or build_services(settings, clock)
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SERVICES] = services
    app[TASKS] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    add_api(app)
    should_migrate = settings.is_sqlite if migrate is None else migrate

    async def migrate_first(app: web.Application) -> None:
        if should_migrate:
            await upgrade_async(settings.database_url)

    async def workers_last(app: web.Application) -> None:
        if background:
            start_workers(app)

    async def secret_key_next(app: web.Application) -> None:
        services.secret_key.key = await resolve_secret_key(services.settings, services.db)

    app.on_startup.append(migrate_first)
    app.on_startup.append(secret_key_next)
    ChannelSender(services).register()
    for component in components if components is not None else default_components():
        component(app, services)
    app.on_startup.append(workers_last)
    app.on_shutdown.append(stop_workers)
    app.on_cleanup.append(_close_services)
    return app


def start_workers(app: web.Application) -> None:
    """Run the journal, event, outbox and timer loops in the background."""
    services = app[SERVICES]
    interval = services.settings.poll_interval_s
    app[TASKS].extend(
        [
            asyncio.create_task(
                services.journal_processor.run(services.signals.journal, interval), name="journal"
            ),
            asyncio.create_task(services.events.run(interval), name="events"),
            asyncio.create_task(services.outbox.run(interval), name="outbox"),
            asyncio.create_task(services.scheduler.run(interval), name="scheduler"),
        ]
    )
    if services.listener is not None:
        app[TASKS].append(asyncio.create_task(services.listener.run(interval), name="listen"))


async def stop_workers(app: web.Application) -> None:
    """Stop the loops, letting event deliveries already under way finish."""
    tasks = app[TASKS]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()
    await app[SERVICES].journal_processor.stop()
    await app[SERVICES].events.stop()


async def _close_services(app: web.Application) -> None:
    await app[SERVICES].close()
