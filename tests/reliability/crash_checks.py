"""The crash run's outcome: waiting for the server to settle, then every promise checked.

Read-only queries against the SQLite file the killed and restarted server used, and the
fake Telegram API's record of what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.telegram import TelegramFake

WAITING_STEP = {"answer": "ask_question", "timer": "wait", "assignment": "assign_to"}


@dataclass
class CrashResult:
    """What happened and what the checks found (``problems`` is empty when all held)."""

    messages: int = 0
    chats: int = 0
    kills: int = 0
    acknowledged: int = 0
    retried_requests: int = 0
    stored_messages: int = 0
    outbox_items: int = 0
    sends: int = 0
    duplicate_sends: int = 0
    duplicate_bound: int = 0
    runs: dict[str, int] = field(default_factory=dict)
    waiting_at: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0
    settle_seconds: float = 0.0
    restart_seconds_p50: float = 0.0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def _query(database: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return list(connection.execute(sql, args))
    finally:
        connection.close()


def _busy(database: Path) -> tuple[int, int, int, int]:
    """Unread journal entries, undelivered events, pending outbox items, runs in the
    middle of a step."""
    ((unread,),) = _query(
        database, "SELECT count(*) FROM inbound_journal WHERE processed_at IS NULL"
    )
    ((events,),) = _query(database, "SELECT count(*) FROM events WHERE delivered_at IS NULL")
    ((pending,),) = _query(database, "SELECT count(*) FROM outbox WHERE status = 'pending'")
    ((moving,),) = _query(
        database, "SELECT count(*) FROM workflow_runs WHERE status IN ('running', 'calling')"
    )
    return int(unread), int(events), int(pending), int(moving)


async def settle(database: Path, fake: TelegramFake, limit: float) -> bool:
    """Poll until nothing is left to do and the fake heard nothing new for a moment."""
    deadline = time.monotonic() + limit
    quiet_since: float | None = None
    seen = -1
    while time.monotonic() < deadline:
        busy = await asyncio.to_thread(_busy, database)
        heard = len(fake.requests)
        if busy == (0, 0, 0, 0) and heard == seen:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 1.0:
                return True
        else:
            quiet_since = None
        seen = heard
        await asyncio.sleep(0.2)
    return False


def check(database: Path, fake: TelegramFake, acknowledged: set[int], result: CrashResult) -> None:
    """Fill ``result`` with counts and every broken promise as a problem."""
    problems = result.problems
    missing = set(range(1, result.messages + 1)) - acknowledged
    if missing:
        problems.append(f"{len(missing)} updates never acknowledged, e.g. {sorted(missing)[:5]}")
    stored = Counter(
        row[0]
        for row in _query(database, "SELECT external_id FROM messages WHERE direction = 'in'")
    )
    result.stored_messages = sum(stored.values())
    lost = [u for u in sorted(acknowledged) if stored[f"update:{u}"] == 0]
    twice = [u for u in sorted(acknowledged) if stored[f"update:{u}"] > 1]
    if lost:
        problems.append(f"{len(lost)} acknowledged updates not stored, e.g. {lost[:5]}")
    if twice:
        problems.append(f"{len(twice)} updates stored more than once, e.g. {twice[:5]}")
    _check_runs(database, result)
    _check_outbox(database, fake, result)


def _check_runs(database: Path, result: CrashResult) -> None:
    steps: dict[int, dict[str, str]] = {}
    for version_id, definition in _query(database, "SELECT id, definition FROM workflow_versions"):
        steps[version_id] = {
            s.get("id", ""): s["type"] for s in json.loads(definition)["steps"] if s.get("id")
        }
    timers = {
        json.loads(payload)["run_id"]
        for (payload,) in _query(
            database, "SELECT payload FROM timers WHERE status = 'pending' AND kind = 'run.timer'"
        )
    }
    statuses: Counter[str] = Counter()
    waiting_at: Counter[str] = Counter()
    for run_id, version_id, status, waiting_for, state in _query(
        database, "SELECT id, version_id, status, waiting_for, state FROM workflow_runs"
    ):
        statuses[status] += 1
        if status in ("running", "calling"):
            result.problems.append(f"run {run_id} stuck in {status}")
        if status != "waiting":
            continue
        cursor = json.loads(state)["engine"]["cursor"]
        waiting_at[f"{cursor} ({waiting_for})"] += 1
        if steps[version_id].get(cursor) != WAITING_STEP.get(waiting_for):
            result.problems.append(f"run {run_id} waits for {waiting_for} at step {cursor}")
        if run_id not in timers:
            result.problems.append(f"run {run_id} waits at {cursor} with no pending timer")
    result.runs = dict(statuses)
    result.waiting_at = dict(waiting_at)
    conversations = _query(
        database,
        "SELECT c.id, count(r.id), count(DISTINCT r.trigger_event_id) FROM conversations c "
        "LEFT JOIN workflow_runs r ON r.conversation_id = c.id AND r.parent_run_id IS NULL "
        "GROUP BY c.id",
    )
    chats = _query(database, "SELECT count(DISTINCT external_id) FROM conversations")
    if chats != [(result.chats,)]:
        result.problems.append(f"conversations in {chats[0][0]} chats, not {result.chats}")
    # Support starts on a message no run took (message.unmatched): a customer who writes
    # again after the flow ended starts it again, but one event never starts two runs.
    for conversation_id, runs, events in conversations:
        if runs == 0:
            result.problems.append(f"conversation {conversation_id} has no support run")
        if runs != events:
            result.problems.append(
                f"conversation {conversation_id} has {runs} support runs from {events} events"
            )


def _check_outbox(database: Path, fake: TelegramFake, result: CrashResult) -> None:
    items = _query(database, "SELECT id, kind, status, payload FROM outbox")
    result.outbox_items = len(items)
    queued: Counter[tuple[str, str]] = Counter()
    for item_id, kind, status, payload in items:
        if status != "done":
            result.problems.append(f"outbox item {item_id} ({kind}) is {status}")
        if kind == "channel.send":
            message = json.loads(payload)
            queued[(str(message["external_conversation_id"]), message["text"])] += 1
    sent = Counter((str(c["chat_id"]), str(c["text"])) for c in fake.calls("sendMessage"))
    result.sends = sum(sent.values())
    never = queued - sent
    if never:
        result.problems.append(
            f"{sum(never.values())} queued messages never reached the fake, e.g. {list(never)[:3]}"
        )
    extra = sent - queued
    result.duplicate_sends = sum(extra.values())
    if result.duplicate_sends > result.duplicate_bound:
        result.problems.append(
            f"{result.duplicate_sends} duplicate sends, more than {result.duplicate_bound} "
            f"({result.kills} kills x {result.duplicate_bound // max(result.kills, 1)} workers): "
            f"{list(extra)[:3]}"
        )
