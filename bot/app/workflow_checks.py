"""What workflow validation checks against beyond the files: the lead stages and the
roles the agents in the database carry."""

from __future__ import annotations

import asyncio
import logging

from bot.core.config import Settings
from bot.pipeline.services import build_services
from bot.storage.app.workflow_check_records import UNREADABLE, role_lists, sqlite_file_exists
from bot.storage.uow import UnitOfWork
from workflows.known import Known

logger = logging.getLogger(__name__)


async def agent_roles(uow: UnitOfWork) -> frozenset[str] | None:
    """Every role some agent carries; None while there are no agents (roles unknown)."""
    async with uow() as tx:
        rows = await role_lists(tx)
    if not rows:
        return None
    return frozenset(role for roles in rows for role in (roles or []))


async def known_from_database(settings: Settings, uow: UnitOfWork) -> Known:
    """The stages from settings and the agents' roles."""
    return Known(tuple(settings.lead_stages), await agent_roles(uow))


def known_for_validation(settings: Settings) -> tuple[Known, str | None]:
    """The stages, and the roles when the database can be read; else a note why not."""
    stages = tuple(settings.lead_stages)
    if settings.is_sqlite and not sqlite_file_exists(settings.database_url):
        return Known(stages), "roles not checked: no database yet"

    async def read() -> frozenset[str] | None:
        services = build_services(settings)
        try:
            return await agent_roles(services.uow)
        finally:
            await services.close()

    try:
        roles = asyncio.run(read())
    except UNREADABLE as exc:
        logger.debug("agents' roles not read: %s", exc)
        return Known(
            stages
        ), f"roles not checked: the database could not be read ({type(exc).__name__})"
    if roles is None:
        return Known(stages), "roles not checked: no agents yet"
    return Known(stages, roles), None
