"""The enabled workflows in memory: the trigger index and every version a run may need."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.workflow_store import generation, parse_stored
from bot.storage.db import Database
from bot.storage.domain.catalog_records import (
    Stamp,
    current_versions_if_changed,
    version_definition,
)
from workflows.schema import Workflow
from workflows.triggers import TriggerIndex


@dataclass(frozen=True)
class CatalogEntry:
    workflow_id: int
    version_id: int
    definition: Workflow


RECHECK_S = 1.0
"""How long a look at the workflows table holds when this process changed nothing."""


class Catalog:
    """Reloads itself when the workflows table changes (import, enable, disable).

    Changes made by this process are seen at once; changes made by another process
    (``relaybot workflows import`` while the server runs) within ``RECHECK_S``.
    """

    def __init__(
        self,
        db: Database,
        monotonic: Callable[[], float] = time.monotonic,
        adapt: Callable[[Workflow], Workflow] | None = None,
    ) -> None:
        self.db = db
        self._monotonic = monotonic
        self._adapt = adapt or (lambda definition: definition)
        """Applied to each definition as it is read (the demo opens business hours)."""
        self.index = TriggerIndex()
        self.by_name: dict[str, CatalogEntry] = {}
        self._versions: dict[int, Workflow] = {}
        self._stamp: Stamp | None = None
        self._looked: tuple[int, float] | None = None  # (generation, monotonic time)

    async def refresh(self) -> None:
        """Reload when something changed since the last look (one cheap query otherwise)."""
        if self._looked is not None:
            seen, at = self._looked
            if seen == generation() and self._monotonic() - at < RECHECK_S:
                return
        self._looked = (generation(), self._monotonic())
        stamp, rows = await current_versions_if_changed(self.db, self._stamp)
        if rows is None:
            return
        by_name: dict[str, CatalogEntry] = {}
        for row in rows:
            definition = self._versions.get(row.version_id) or self._adapt(
                parse_stored(row.definition, row.name)
            )
            definition = definition.model_copy(update={"enabled": row.enabled})
            self._versions.setdefault(row.version_id, definition)
            by_name[row.name] = CatalogEntry(row.workflow_id, row.version_id, definition)
        self.by_name = by_name
        self.index = TriggerIndex(entry.definition for entry in by_name.values())
        self._stamp = stamp

    async def version(self, version_id: int) -> Workflow:
        """The definition a run started with (kept when the workflow is edited)."""
        cached = self._versions.get(version_id)
        if cached is not None:
            return cached
        stored = await version_definition(self.db, version_id)
        assert stored is not None, f"workflow version {version_id} missing"
        name = str(stored.get("name", version_id))
        definition = self._adapt(parse_stored(stored, name))
        self._versions[version_id] = definition
        return definition
