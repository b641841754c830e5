"""Three ``relaybot serve`` processes on one PostgreSQL database, loaded like production."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fakes.telegram import TelegramFake, message_update
from tests.scaleout.cluster import Cluster, Server, cluster

PROCESSES = 3
CONVERSATIONS = 500
PER_CONVERSATION = 10
KILL_CONVERSATIONS = 100
TWICE_EVERY = 10  # about one message in ten is delivered to two processes at once
IN_FLIGHT = 60  # conversations being written in at once
FIRST_CHAT = 700_000
LIMIT = 300.0  # seconds: a safety net for the waits on a loaded machine, never a measure


def text_of(chat: int, seq: int) -> str:
    return f"m{chat}-{seq}"


def echoes_by_chat(fake: TelegramFake) -> dict[int, list[str]]:
    replies: dict[int, list[str]] = defaultdict(list)
    for call in fake.calls("sendMessage"):
        text = str(call["text"])
        if text.startswith("echo "):
            replies[int(call["chat_id"])].append(text.removeprefix("echo "))
    return replies


async def send_conversation(
    lab: Cluster, chat: int, rng: random.Random, update_ids: dict[tuple[int, int], int]
) -> int:
    """Send a chat's messages in order, each acknowledged before the next, as Telegram does.

    Returns how many updates were sent twice. A refused or failed request is retried
    on another process, as a load balancer would.
    """
    twice = 0
    for seq in range(PER_CONVERSATION):
        update = message_update(update_ids[(chat, seq)], chat_id=chat, text=text_of(chat, seq))
        targets = rng.sample(lab.servers, 2 if rng.randrange(TWICE_EVERY) == 0 else 1)
        twice += len(targets) - 1
        while True:
            statuses = await asyncio.gather(*(lab.post_update(s, update) for s in targets))
            if 200 in statuses:
                break
            targets = [rng.choice([s for s in lab.servers if s.alive])]
    return twice


async def load(lab: Cluster, chats: list[int], seed: int) -> int:
    rng = random.Random(seed)
    ids = iter(range(1, len(chats) * PER_CONVERSATION + 1))
    update_ids = {(chat, seq): next(ids) for chat in chats for seq in range(PER_CONVERSATION)}
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(chat: int) -> int:
        async with gate:
            return await send_conversation(lab, chat, random.Random(rng.random()), update_ids)

    return sum(await asyncio.gather(*(one(chat) for chat in chats)))


async def wait_until(lab: Cluster, query: str, check: Callable[[Any], bool]) -> None:
    """Poll ``query`` until ``check`` holds for its value (LIMIT is the safety net)."""

    async def poll() -> None:
        while True:
            if check(await lab.scalar(query)):
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), LIMIT)


async def quiet(lab: Cluster) -> None:
    """Wait until every acknowledged payload is read, every event delivered and every
    outbound item done (an acknowledged payload may still be in the journal)."""

    async def poll() -> None:
        while True:
            busy = await lab.scalar(
                "SELECT (SELECT count(*) FROM inbound_journal WHERE processed_at IS NULL)"
                " + (SELECT count(*) FROM events WHERE delivered_at IS NULL)"
                " + (SELECT count(*) FROM outbox WHERE status = 'pending')"
            )
            if busy == 0:
                return
            await asyncio.sleep(0.2)

    await asyncio.wait_for(poll(), LIMIT)


async def test_messages_and_timers_spread_over_three_processes(
    base_url: str, workflows: Path, telegram: TelegramFake, tmp_path: Path
) -> None:
    chats = list(range(FIRST_CHAT, FIRST_CHAT + CONVERSATIONS))
    async with cluster(
        base_url, PROCESSES, telegram.base_url, telegram.token, workflows, tmp_path
    ) as lab:
        twice = await load(lab, chats, seed=9)
        assert twice > 0
        total = CONVERSATIONS * PER_CONVERSATION
        await telegram.wait_for("sendMessage", total, limit=LIMIT)
        await quiet(lab)

        # every message stored once
        stored = await lab.sql(
            "SELECT c.external_id, m.text FROM messages m JOIN conversations c"
            " ON c.id = m.conversation_id WHERE m.direction = 'in' ORDER BY m.id"
        )
        assert len(stored) == total
        assert await lab.scalar("SELECT count(*) FROM conversations") == CONVERSATIONS
        # answered once each, in order within each conversation
        expected = {chat: [text_of(chat, seq) for seq in range(PER_CONVERSATION)] for chat in chats}
        assert echoes_by_chat(telegram) == expected

        # 1,000 timers (two reminders per chat, an hour away) all come due at once
        pending = await lab.scalar("SELECT count(*) FROM timers WHERE status = 'pending'")
        assert pending == 2 * CONVERSATIONS
        # the clock of the timers moves two hours on (the update NOTIFYs the processes)
        await lab.sql(
            "UPDATE timers SET due_at = due_at - interval '2 hours' WHERE status = 'pending'"
        )
        await telegram.wait_for("sendMessage", total + 2 * CONVERSATIONS, limit=LIMIT)
        await quiet(lab)
        reminders: dict[int, list[str]] = defaultdict(list)
        for call in telegram.calls("sendMessage"):
            if str(call["text"]).startswith("reminder "):
                reminders[int(call["chat_id"])].append(str(call["text"]))
        assert {chat: sorted(texts) for chat, texts in reminders.items()} == {
            chat: ["reminder a", "reminder b"] for chat in chats
        }
        assert (
            await lab.scalar("SELECT count(*) FROM timers WHERE status = 'fired'")
            == 2 * CONVERSATIONS
        )
        fired = [await lab.metric(s, "relaybot_timers_fired_total") for s in lab.servers]
        assert sum(fired) == 2 * CONVERSATIONS
        assert len(telegram.calls("sendMessage")) == total + 2 * CONVERSATIONS


async def test_killing_a_process_mid_load_loses_nothing(
    base_url: str, workflows: Path, telegram: TelegramFake, tmp_path: Path
) -> None:
    chats = list(range(FIRST_CHAT, FIRST_CHAT + KILL_CONVERSATIONS))
    total = KILL_CONVERSATIONS * PER_CONVERSATION
    async with cluster(
        base_url,
        PROCESSES,
        telegram.base_url,
        telegram.token,
        workflows,
        tmp_path,
        RELAYBOT_OUTBOX_LEASE="3",
        RELAYBOT_TIMER_LEASE="3",
    ) as lab:
        victim = lab.servers[0]

        async def kill_mid_load() -> None:
            # once a third of the messages are stored, SIGKILL one process
            await wait_until(
                lab,
                "SELECT count(*) FROM messages WHERE direction = 'in'",
                lambda n: n >= total // 3,
            )
            victim.kill()
            await victim.proc.wait()

        killer = asyncio.create_task(kill_mid_load())
        await load(lab, chats, seed=11)
        await killer
        assert not victim.alive
        await quiet(lab)

        # nothing acknowledged was set aside: a process dying is no reason to give up on
        # a payload
        assert (
            await lab.sql("SELECT external_id, error FROM inbound_journal WHERE error IS NOT NULL")
            == []
        )
        # every acknowledged message is stored once and answered (at least once: the
        # killed process may have sent a reply it had no time to mark as sent)
        stored = await lab.sql(
            "SELECT c.external_id, m.text FROM messages m JOIN conversations c"
            " ON c.id = m.conversation_id WHERE m.direction = 'in'"
        )
        assert sorted(str(r["text"]) for r in stored) == sorted(
            text_of(chat, seq) for chat in chats for seq in range(PER_CONVERSATION)
        )
        await telegram.wait_for("sendMessage", total, limit=LIMIT)
        answered = echoes_by_chat(telegram)
        for chat in chats:
            assert set(answered[chat]) == {text_of(chat, seq) for seq in range(PER_CONVERSATION)}
        assert await lab.scalar("SELECT count(*) FROM events WHERE delivered_at IS NULL") == 0
        assert await lab.scalar("SELECT count(*) FROM outbox WHERE status <> 'done'") == 0


async def pause_quietly(lab: Cluster, servers: list[Server]) -> None:
    """SIGSTOP ``servers`` at a moment none of them is inside a database transaction."""
    while True:
        for server in servers:
            server.pause()
        busy = await lab.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            " AND application_name NOT LIKE 'relaybot-%'"
        )
        if busy == 0:
            return
        for server in servers:
            server.resume()
        await asyncio.sleep(0.05)


async def test_a_widget_visitor_on_one_process_sees_a_reply_made_on_another(
    base_url: str, workflows: Path, telegram: TelegramFake, tmp_path: Path
) -> None:
    async with cluster(
        base_url, PROCESSES, telegram.base_url, telegram.token, workflows, tmp_path
    ) as lab:
        a, b, c = lab.servers
        async with lab.http.ws_connect(f"{a.base}/widget/ws") as ws:
            await ws.send_json(
                {"type": "hello", "token": None, "user": None, "page": "http://shop.test/"}
            )
            welcome = await ws.receive_json(timeout=LIMIT)
            assert welcome["type"] == "welcome"
            # only B runs while the visitor's message is stored, answered and sent
            await pause_quietly(lab, [a, c])
            try:
                async with lab.http.post(
                    f"{b.base}/widget/messages",
                    json={"type": "message", "client_id": "c_1", "text": "hello from B"},
                    headers={"Authorization": f"Bearer {welcome['token']}"},
                ) as response:
                    assert response.status == 200
                    assert (await response.json())["frames"][0]["type"] == "ack"
                await wait_until(
                    lab,
                    "SELECT count(*) FROM outbox WHERE status = 'done' AND destination LIKE 'widget%'",
                    lambda n: n > 0,
                )
            finally:
                a.resume()
                c.resume()
            # A pushes B's reply to the socket it holds
            while True:
                frame = await ws.receive_json(timeout=LIMIT)
                if frame["type"] == "message":
                    break
            assert frame["message"]["text"] == "echo hello from B"
            assert frame["message"]["sender_kind"] == "bot"
