"""Deployment-wide values kept in ``instance_settings`` (the generated secret key)."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import InstanceSetting
from bot.storage.sql import upsert_ignore


async def store_once_and_read(db: Database, name: str, candidate: str) -> tuple[str | None, bool]:
    """Store ``candidate`` under ``name`` unless a value is there already, then read the
    stored value back (one transaction): processes racing agree on the first insert.
    True when this call stored it."""
    async with db.session() as session:
        values = {"name": name, "value": candidate}
        created = await upsert_ignore(session, InstanceSetting, values, ["name"])
        stored = await session.scalar(
            select(InstanceSetting.value).where(InstanceSetting.name == name)
        )
    return stored, created
