"""The erasure's rules: what replaces a person's values in free texts and JSON, what is
kept, and what a run's stored state keeps."""

from __future__ import annotations

from bot.domain.contact_privacy import MARKER, Scrub, confirmed, known_values
from bot.storage.app.contact_privacy_records import PersonRows


def test_free_texts_lose_the_known_values_longest_first() -> None:
    scrub = Scrub({"Zelda", "Zelda Quixotic", "+4915199887766", "2"})
    text = "send_message: sent 'Hi Zelda Quixotic!' to +4915199887766 (Zelda) step 2"
    assert scrub.text(text) == (
        f"send_message: sent 'Hi {MARKER}!' to {MARKER} ({MARKER}) step 2"
    )  # "2" is too short to look for


def test_json_keeps_its_shape_and_only_the_workflow_values() -> None:
    scrub = Scrub({"Zelda"})
    data = {
        "channel": "telegram",
        "kind": "text",
        "exit": "answered",
        "chat_id": 735550101,
        "text": "hello",
        "vars": {"topic": "billing", "answers": ["Zelda", 3], "ok": True, "none": None},
        "field": "contact.name is Zelda",
    }
    assert scrub.json(data) == {
        "channel": "telegram",
        "kind": "text",
        "exit": "answered",
        "chat_id": None,
        "text": MARKER,
        "vars": {"topic": MARKER, "answers": [MARKER, None], "ok": True, "none": None},
        "field": f"contact.name is {MARKER}",
    }


def test_a_run_state_keeps_its_counters_and_drops_what_it_waited_on() -> None:
    state = {
        "engine": {
            "workflow": "support",
            "cursor": "topic",
            "status": "waiting",
            "jumps": {"again": 2},
            "variables": {"email": "zelda@example.com"},
            "steps_total": 7,
        },
        "lead_id": 4,
        "asked_after": 12,
        "hold": {"kind": "approval", "key": "k", "due_at": "2026-12-07T10:00:00+00:00"},
        "pending_call": {"action": "shopify.order_lookup"},
    }
    assert Scrub(set()).run_state(state) == {
        "engine": {
            "workflow": "support",
            "cursor": "topic",
            "status": "waiting",
            "jumps": {"again": 2},
            "variables": {"email": MARKER},
            "steps_total": 7,
        },
        "lead_id": 4,
        "asked_after": 12,
        "hold": None,
        "pending_call": None,
    }


def test_known_values_are_what_the_person_told_and_the_channels_said() -> None:
    rows = PersonRows(
        contact={"name": "Zelda Quixotic", "email": None, "phone": "+49151", "attributes": {}},
        identities=[{"external_id": "735550101", "profile": {"username": "zquix", "id": 7}}],
        conversations=[{"external_id": "735550101"}],
        messages=[
            {"direction": "in", "text": "my parcel", "payload": None, "media": []},
            {"direction": "out", "text": "Hi there", "payload": "topic:1", "media": []},
        ],
        leads=[{"name": "Quixotic order", "attributes": {"city": "Berlin"}}],
    )
    assert known_values(rows) == {
        "Zelda Quixotic",
        "+49151",
        "735550101",
        "zquix",
        "7",
        "my parcel",
        "Quixotic order",
        "Berlin",
    }


def test_an_erasure_is_confirmed_by_the_word_or_the_id() -> None:
    assert confirmed(42, "ERASE") and confirmed(42, " 42 ")
    assert not confirmed(42, "erase") and not confirmed(42, "43") and not confirmed(42, "")
