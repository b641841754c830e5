"""Which thread messages count as an agent's reply; note detection; the keys of Slack requests."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.slack.events import is_human_thread_reply, split_note
from integrations.slack.ports import ConsoleBackend
from integrations.slack.receipts import request_key
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


def test_request_keys_name_the_request_not_the_delivery() -> None:
    event = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}
    assert request_key(event, "{}") == "event:Ev1"
    assert request_key({"command": "/relay", "trigger_id": "t.1"}, "") == "command:t.1"
    assert request_key({"type": "block_actions", "trigger_id": "t.2"}, "") == "block_actions:t.2"
    bare = {"type": "block_actions", "actions": [{"action_ts": "1.5"}]}
    assert request_key(bare, "payload=a") == request_key(bare, "payload=a")
    assert request_key(bare, "payload=a") != request_key(bare, "payload=b")


def test_memory_backend_satisfies_the_protocol() -> None:
    backend: ConsoleBackend = InMemoryConsoleBackend()
    assert backend is not None
