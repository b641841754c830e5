"""The real relaybot app (engine, widget, integrations, background loops) on loopback."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app.app import create_app
from bot.pipeline.services import SERVICES, Services
from tests.conftest import make_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"
WORKFLOWS = ("support.yaml", "support-survey.yaml", "checkout-help.yaml")


@dataclass
class RunningApp:
    url: str
    services: Services

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.services.db.session() as session:
            return list(await session.scalars(select(model).where(*where).order_by(model.id)))


@pytest.fixture
async def real_app(sqlite_url: str, tmp_path: Path) -> AsyncIterator[RunningApp]:
    """``create_app`` with every shipped component, served on 127.0.0.1 port 0.

    No widget origins are configured: the demo page is served by the app itself, so
    its own origin is the one the widget accepts.
    """
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    for name in WORKFLOWS:
        shutil.copy(EXAMPLES / name, workflows / name)
    settings = make_settings(
        sqlite_url,
        RELAYBOT_WORKFLOWS_DIR=str(workflows),
        RELAYBOT_SECRET_KEY="browser-app-key",
        RELAYBOT_POLL_INTERVAL=0.05,
    )
    app = create_app(settings, background=True)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield RunningApp(f"http://{host}:{port}", app[SERVICES])
    finally:
        await runner.cleanup()
