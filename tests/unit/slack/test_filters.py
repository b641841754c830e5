"""Which thread messages count as an agent's reply; note detection; the retry seen-set."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.slack.dedupe import SeenEvents
from integrations.slack.events import is_human_thread_reply, split_note
from integrations.slack.ports import ConsoleBackend
from tests.unit.slack.backend import InMemoryConsoleBackend

BASE: dict[str, Any] = {
    "type": "message",
    "user": "U1",
    "text": "hi",
    "ts": "2.0",
    "thread_ts": "1.0",
}


def test_human_reply() -> None:
    assert is_human_thread_reply(BASE, "UBOT")
    assert is_human_thread_reply({**BASE, "subtype": "thread_broadcast"}, "UBOT")


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": "B1"},
        {"subtype": "bot_message"},
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"user": "UBOT"},
        {"thread_ts": None},
        {"ts": "1.0"},
        {"text": ""},
        {"bot_profile": {"id": "B2"}},
    ],
)
def test_not_a_human_reply(change: dict[str, Any]) -> None:
    assert not is_human_thread_reply({**BASE, **change}, "UBOT")


def test_split_note() -> None:
    assert split_note("note: internal") == (True, "internal")
    assert split_note("  NOTE:internal") == (True, "internal")
    assert split_note("notes: relayed") == (False, "notes: relayed")
    assert split_note("a note: relayed") == (False, "a note: relayed")


def test_seen_events_is_bounded() -> None:
    seen = SeenEvents(capacity=2)
    assert seen.first_time("a")
    assert not seen.first_time("a")
    assert seen.first_time("b")
    assert seen.first_time("c")  # forgets "a"
    assert seen.first_time("a")


def test_memory_backend_satisfies_the_protocol() -> None:
    backend: ConsoleBackend = InMemoryConsoleBackend()
    assert backend is not None
