"""/metrics after real traffic: signed Telegram updates in, the fake Bot API out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app.app import create_app
from bot.app.engine_component import setup_engine
from bot.core.clock import FakeClock
from bot.core.metrics import Metrics
from bot.pipeline.services import SERVICES
from bot.pipeline.settle import settle
from channels.component import setup_channels
from tests.conftest import make_settings
from tests.fakes.telegram import TelegramFake, message_update, signed_headers

SECRET = "metrics-secret_1"
FLOW = """
name: metered
trigger: {event: conversation.created}
steps:
  - {type: send_message, text: "Hello"}
  - {type: wait, duration: 1m}
  - {type: send_message, text: "Still there?"}
"""

Client = TestClient[Any, Any]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def fake() -> AsyncIterator[TelegramFake]:
    server = TelegramFake()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(
    database_url: str, clock: FakeClock, fake: TelegramFake, tmp_path: Path
) -> AsyncIterator[Client]:
    (tmp_path / "metered.yaml").write_text(FLOW)
    settings = make_settings(
        database_url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake.base_url,
        RELAYBOT_PUBLIC_URL="https://relay.example.com",
        RELAYBOT_WORKFLOWS_DIR=str(tmp_path),
    )
    app = create_app(
        settings, clock=clock, components=[setup_engine, setup_channels], background=False
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def scrape(client: Client) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def post(client: Client, update: dict[str, Any]) -> None:
    response = await client.post("/webhooks/telegram", json=update, headers=signed_headers(SECRET))
    assert response.status == 200


async def drain(client: Client) -> None:
    server = client.server
    assert isinstance(server, TestServer)
    await settle(server.app[SERVICES])


def families() -> set[str]:
    """Every relaybot_* family bot/core/metrics.py defines."""
    return {
        family.name
        for family in Metrics().registry.collect()
        if family.name.startswith("relaybot_")
    }


async def test_every_metric_family_moves_with_traffic(
    client: Client, fake: TelegramFake, clock: FakeClock
) -> None:
    before = await scrape(client)
    fake.fail_next(429, headers={"Retry-After": "30"}, path_contains="sendMessage")
    await post(client, message_update(1, text="hi"))
    await drain(client)
    clock.advance(timedelta(seconds=31))
    await drain(client)  # the retry of "Hello" goes out
    clock.advance(timedelta(minutes=1))
    await drain(client)  # the wait's timer fires: "Still there?"
    fake.fail_next(403, path_contains="sendMessage")
    await post(client, message_update(2, chat_id=43, text="hi"))
    await drain(client)  # a blocked customer: "Hello" is given up on
    await post(client, message_update(1, text="hi"))  # a redelivery
    forged = await client.post(
        "/webhooks/telegram", json=message_update(3), headers=signed_headers("wrong")
    )
    assert forged.status == 401
    await drain(client)
    after = await scrape(client)
    assert [call["text"] for call in fake.calls("sendMessage")] == [
        "Hello",
        "Hello",
        "Still there?",
        "Hello",
    ]

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    def moved_all(name: str) -> float:
        return sum(value for (sample, _), value in after.items() if sample == name) - sum(
            value for (sample, _), value in before.items() if sample == name
        )

    expected = {
        "relaybot_inbound_messages": [
            moved("relaybot_inbound_messages_total", channel="telegram", result="stored") == 2,
            moved("relaybot_inbound_messages_total", channel="telegram", result="duplicate") == 1,
        ],
        "relaybot_receive_seconds": [
            moved("relaybot_receive_seconds_count") == 3,
            moved("relaybot_receive_seconds_sum") > 0,
        ],
        "relaybot_outbound_sends": [
            moved("relaybot_outbound_sends_total", kind="channel.send", result="ok") == 2,
            moved("relaybot_outbound_sends_total", kind="channel.send", result="retry") == 1,
            moved("relaybot_outbound_sends_total", kind="channel.send", result="dead") == 1,
        ],
        "relaybot_outbox_retries": [
            moved("relaybot_outbox_retries_total", kind="channel.send") == 1
        ],
        "relaybot_outbox_dead": [moved("relaybot_outbox_dead_total", kind="channel.send") == 1],
        "relaybot_delivery_seconds": [
            moved("relaybot_delivery_seconds_count", kind="channel.send") == 2
        ],
        "relaybot_workflow_runs": [
            moved("relaybot_workflow_runs_total", status="started") == 2,
            moved("relaybot_workflow_runs_total", status="completed") == 1,
        ],
        "relaybot_workflow_steps": [
            moved("relaybot_workflow_steps_total", type="send_message") == 3,
            moved("relaybot_workflow_steps_total", type="wait") == 3,  # two entered, one resumed
        ],
        "relaybot_step_seconds": [moved("relaybot_step_seconds_count") >= 3],
        "relaybot_timers_fired": [moved_all("relaybot_timers_fired_total") == 1],
    }
    if "relaybot_inbound_refused" in families():
        expected["relaybot_inbound_refused"] = [
            moved("relaybot_inbound_refused_total", channel="telegram", reason="bad_secret") == 1,
        ]
    unchecked = families() - set(expected)
    assert not unchecked, f"metric families this test does not check: {sorted(unchecked)}"
    failing = {name: checks for name, checks in expected.items() if not all(checks)}
    assert not failing, f"{failing}\n" + "\n".join(
        f"{k}: {v - before.get(k, 0.0)}"
        for k, v in sorted(after.items())
        if k[0].startswith("relaybot_")
    )
