"""Plugs the workflow engine into the app: catalog, runner, actions, notifications."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from bot.domain.catalog import Catalog
from bot.domain.demo import open_around_the_clock
from bot.domain.workflow_store import import_files, workflow_files
from bot.pipeline.notify import Notifier
from bot.pipeline.run_store import NOTIFY, add_log
from bot.pipeline.runner import WorkflowRunner
from bot.pipeline.services import Services
from bot.storage.domain.run_log_records import workflow_of_run
from bot.storage.pipeline.outbox_items import Delivery
from workflows.problems import WorkflowLoadError

logger = logging.getLogger(__name__)

RUNNER = web.AppKey("workflow_runner", WorkflowRunner)


def build_runner(services: Services) -> WorkflowRunner:
    """The runner with its catalog and the registered actions (outside any app)."""
    adapt = open_around_the_clock if services.settings.demo else None
    runner = WorkflowRunner(services, Catalog(services.db, adapt=adapt), services.actions)
    runner.install()
    services.outbox.register(NOTIFY, Notifier(services))

    async def log_dead(delivery: Delivery, reason: str) -> None:
        if delivery.run_id is None:
            return
        async with services.uow() as tx:
            workflow_id = await workflow_of_run(tx, delivery.run_id)
            if workflow_id is not None:
                add_log(
                    tx,
                    run_id=delivery.run_id,
                    workflow_id=workflow_id,
                    kind="error",
                    step_id=delivery.step_id,
                    message=f"{delivery.kind} failed for good: {reason}",
                )

    services.outbox.dead_listeners.append(log_dead)
    return runner


async def import_workflow_dir(services: Services, directory: str) -> None:
    """Import the workflow folder named by settings; bad files are logged, not fatal."""
    paths = await asyncio.to_thread(_yaml_files, directory)
    if paths is None:
        logger.info("no workflow folder at %s", directory)
        return
    problems = ""
    try:
        results = await import_files(services.uow, paths)
    except WorkflowLoadError as exc:
        problems = str(exc)
        results = []
    if problems:
        logger.error("workflows in %s not imported:\n%s", directory, problems)
    for result in results:
        if result.action != "unchanged":
            logger.info("workflow %s %s (version %d)", result.name, result.action, result.version)


def _yaml_files(directory: str) -> list[Path] | None:
    return workflow_files([directory]) if Path(directory).is_dir() else None


def setup_engine(app: web.Application, services: Services) -> None:
    runner = build_runner(services)
    app[RUNNER] = runner

    async def on_startup(app: web.Application) -> None:
        async with services.locks.hold("workflows:import"):  # processes starting together
            await import_workflow_dir(services, services.settings.workflows_dir)
        await runner.catalog.refresh()
        await runner.recover()

    app.on_startup.append(on_startup)
