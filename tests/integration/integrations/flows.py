"""A harness with the integrations installed, the way the app factory wires them."""

from __future__ import annotations

from pathlib import Path

from bot.core.clock import FakeClock
from bot.pipeline.services import Services, build_services
from integrations.component import install_integrations, subscribe_ai_agent
from tests.conftest import make_settings
from tests.harness import Harness


async def start(url: str, clock: FakeClock, *paths: Path, **settings: object) -> Harness:
    """Services on ``url`` with ``settings``; the AI agent is subscribed before the runner."""
    services: Services = build_services(
        make_settings(url, RELAYBOT_WEBHOOK_ALLOWED_HOSTS="127.0.0.1", **settings), clock
    )
    subscribe_ai_agent(services)
    bot = await Harness.start(services, *paths)
    install_integrations(services)
    return bot


async def tags(bot: Harness, conversation_id: int | None = None) -> list[str]:
    from sqlalchemy import select

    from bot.domain.conversations import tags_of
    from bot.storage.models import Conversation

    async with bot.services.uow() as tx:
        cid = conversation_id or await tx.session.scalar(select(Conversation.id).limit(1))
        assert cid is not None
        return await tags_of(tx, cid)
