"""A flood of forged webhooks against ``relaybot serve`` leaves a few log lines, not one
per request: each is refused with 401, counted in ``/metrics``, and sampled in the log."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes import telegram as tg
from tests.fakes.telegram import TelegramFake
from tests.served import served

FORGED = 300


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramFake]:
    fake = TelegramFake()
    await fake.start()
    yield fake
    await fake.stop()


async def test_forged_webhooks_leave_a_few_lines_a_minute(
    tmp_path: Path, telegram: TelegramFake
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAYBOT_", "TELEGRAM_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'flood.db'}",
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_WEBHOOK_SECRET="the-real-secret",
        TELEGRAM_API_BASE_URL=telegram.base_url,
        RELAYBOT_LOG_LEVEL="INFO",
    )
    body = json.dumps(tg.message_update(1, text="hi")).encode()
    headers = {**tg.signed_headers("forged"), "Content-Type": "application/json"}
    started = time.monotonic()
    async with served(env) as server, aiohttp.ClientSession() as http:
        for _ in range(FORGED):
            async with http.post(
                f"{server.url}/webhooks/telegram", data=body, headers=headers
            ) as r:
                assert r.status == 401
        async with http.get(f"{server.url}/metrics") as r:
            metrics = await r.text()
    minutes = math.ceil((time.monotonic() - started) / 60) + 1

    refused = 'relaybot_inbound_refused_total{channel="telegram",reason="bad_secret"}'
    assert f"{refused} {float(FORGED)}" in metrics
    about_webhook = [
        line for line in server.output if "webhooks/telegram" in line or "refused" in line
    ]
    # Per minute: three access lines and three refusal warnings at most.
    assert 1 <= len(about_webhook) <= 6 * minutes, "\n".join(about_webhook[:20])
