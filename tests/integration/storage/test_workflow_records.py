"""Stored workflows, the catalog's reads, run logs and validation reads, on every backend:
plain values out, and the statements the callers relied on before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.domain.workflow_store import checksum
from bot.pipeline.services import Services
from bot.storage.app.workflow_check_records import role_lists, sqlite_file_exists
from bot.storage.domain import catalog_records, run_log_records, workflow_records
from bot.storage.domain.catalog_records import CurrentVersion
from bot.storage.domain.workflow_records import SavedVersion, WorkflowListing
from tests.engine_events import statements

DEFINITION: dict[str, Any] = {"name": "greeter", "description": "says hi", "steps": []}


async def save(services: Services, definition: dict[str, Any]) -> SavedVersion:
    async with services.uow() as tx:
        return await workflow_records.save_version(
            tx,
            name="greeter",
            enabled=True,
            trigger_event="conversation.created",
            definition=definition,
            source="name: greeter",
            checksum=checksum(definition),
        )


async def test_a_definition_is_saved_as_a_new_version_only_when_it_changed(
    services: Services,
) -> None:
    assert await save(services, DEFINITION) == SavedVersion("created", 1)
    assert await save(services, DEFINITION) == SavedVersion("unchanged", 1)
    changed = {**DEFINITION, "description": "says hello"}
    assert await save(services, changed) == SavedVersion("updated", 2)
    async with services.uow() as tx:
        assert await workflow_records.workflow_listings(tx) == [
            WorkflowListing("greeter", True, "conversation.created", 2, changed, 0)
        ]
        assert await workflow_records.set_workflow_enabled(tx, "greeter", False)
        assert not await workflow_records.set_workflow_enabled(tx, "greeter", False)
        assert await run_log_records.workflow_exists(tx, "greeter")
        assert not await run_log_records.workflow_exists(tx, "nobody")
        assert await run_log_records.count_runs(tx, "greeter") == 0
        assert await run_log_records.newest_runs(tx, workflow="greeter") == []
        assert await run_log_records.newest_skips(tx, "greeter", 10) == []
        assert await run_log_records.workflow_of_run(tx, 12345) is None
        assert await run_log_records.event_types(tx, [12345]) == {}


async def test_the_catalog_reads_all_only_when_the_stamp_moved(services: Services) -> None:
    await save(services, DEFINITION)
    with statements(services) as seen:
        stamp, rows = await catalog_records.current_versions_if_changed(services.db, None)
    assert len(seen) == 2
    assert rows is not None
    (row,) = rows
    assert row == CurrentVersion(row.workflow_id, "greeter", True, row.version_id, DEFINITION)
    with statements(services) as seen:
        assert await catalog_records.current_versions_if_changed(services.db, stamp) == (
            stamp,
            None,
        )
    assert len(seen) == 1
    assert await catalog_records.version_definition(services.db, row.version_id) == DEFINITION
    assert await catalog_records.version_definition(services.db, row.version_id + 99) is None


async def test_validation_reads(services: Services, tmp_path: Path) -> None:
    async with services.uow() as tx:
        assert await role_lists(tx) == []
    assert not sqlite_file_exists("sqlite+aiosqlite:///:memory:")
    assert not sqlite_file_exists(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    (tmp_path / "there.db").touch()
    assert sqlite_file_exists(f"sqlite+aiosqlite:///{tmp_path / 'there.db'}")
