"""How many inbound messages per second ``Inbox.receive`` stores (SQLite, one process).

    .venv/bin/python bench/receive.py --messages 3000 --concurrency 50

Prints JSON. Each receive is one durable transaction (dedupe key, contact, conversation,
message, events); the figure is what a webhook endpoint can acknowledge at most.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot.app.migrate import upgrade
from bot.core.clock import SystemClock
from bot.core.config import Settings
from bot.core.messages import InboundMessage, SenderProfile
from bot.pipeline.services import build_services


async def run(messages: int, concurrency: int, conversations: int, url: str) -> dict[str, object]:
    services = build_services(Settings(_env_file=None, DATABASE_URL=url), SystemClock())  # type: ignore[call-arg]
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(messages):
        queue.put_nowait(i)

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            chat = f"chat-{i % conversations}"
            started = time.perf_counter()
            await services.inbox.receive(
                InboundMessage(
                    channel="telegram",
                    external_conversation_id=chat,
                    external_message_id=f"m{i}",
                    sender=SenderProfile(external_id=chat, name="Bench"),
                    text=f"message {i}",
                )
            )
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await services.close()
    latencies.sort()
    return {
        "benchmark": "inbox.receive",
        "database": "sqlite",
        "messages": messages,
        "concurrency": concurrency,
        "conversations": conversations,
        "seconds": round(elapsed, 3),
        "messages_per_second": round(messages / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--conversations", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        result = asyncio.run(run(args.messages, args.concurrency, args.conversations, url))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
