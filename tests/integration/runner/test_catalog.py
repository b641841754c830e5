"""The catalog: this process's workflow changes at once, another process's within RECHECK_S."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from bot.domain.catalog import RECHECK_S, Catalog
from bot.domain.workflow_store import import_files, set_enabled
from bot.pipeline.services import Services
from bot.storage.models import Workflow as WorkflowRow
from tests.integration.runner.flows import write_flows

FLOW = """
name: greeter
trigger: {event: conversation.created}
steps:
  - {id: hello, type: send_message, text: Hi}
"""


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_changes_made_here_are_seen_at_once(services: Services, tmp_path: Path) -> None:
    catalog = Catalog(services.db, Ticks())
    await import_files(services.uow, write_flows(tmp_path, FLOW))
    await catalog.refresh()
    assert catalog.by_name["greeter"].definition.enabled
    await set_enabled(services.uow, "greeter", False)
    await catalog.refresh()
    assert not catalog.by_name["greeter"].definition.enabled


async def test_changes_made_elsewhere_are_seen_after_the_recheck_interval(
    services: Services, tmp_path: Path
) -> None:
    ticks = Ticks()
    catalog = Catalog(services.db, ticks)
    await import_files(services.uow, write_flows(tmp_path, FLOW))
    await catalog.refresh()
    async with services.uow() as tx:  # as another process would: straight to the table
        await tx.session.execute(
            update(WorkflowRow).values(
                enabled=False, updated_at=services.clock.now().replace(year=2099)
            )
        )
    ticks.now += RECHECK_S / 2
    await catalog.refresh()
    assert catalog.by_name["greeter"].definition.enabled  # the last look still holds
    ticks.now += RECHECK_S
    await catalog.refresh()
    assert not catalog.by_name["greeter"].definition.enabled
