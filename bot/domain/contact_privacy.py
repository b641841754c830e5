"""A person's right to their data: export everything stored about one contact, or erase it.

An export is a JSON document of every row :mod:`bot.storage.app.contact_privacy_records`
finds for the contact. An erasure overwrites the personal values in those rows in one
transaction and keeps the rest: the contact row (as a tombstone with ``erased_at``), the
conversations and their message counts, the messages (direction, kind, status, times),
the runs and their log lines, statuses and timestamps. Texts, payloads and media become
:data:`MARKER`; JSON values (event data, run state, outbox payloads, log data) keep their
keys and lose their values, except the few keys that never hold personal data
(:data:`SAFE_KEYS`); free texts (log lines, errors) have the person's known values
replaced. Both are audited, without the personal data.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import audit
from bot.domain.audit import Actor
from bot.storage.app import contact_privacy_records as records
from bot.storage.app.contact_privacy_records import Erased, PersonRows
from bot.storage.uow import UnitOfWork

__all__ = ["MARKER", "Erased", "erase", "export"]

MARKER = "[erased]"
"""What replaces a personal text."""
FORMAT = "relaybot.contact-export/1"
CONFIRM_WORD = "ERASE"
RESUME_KEYS = frozenset({"pending_call", "hold", "grants", "last_approval"})
"""What a run's stored state keeps to resume a call it waits on (see
:func:`bot.pipeline.run_store.envelope`): dropped when the run is cancelled by an erasure."""
SAFE_KEYS = frozenset(
    {
        "answer_type",
        "asked_after",
        "attempts",
        "channel",
        "contact_id",
        "conversation_id",
        "cursor",
        "depth",
        "direction",
        "exit",
        "field",
        "from_stage",
        "jumps",
        "kind",
        "lead_id",
        "message_id",
        "op",
        "result",
        "run_id",
        "stage",
        "status",
        "step_id",
        "steps_this_activation",
        "steps_total",
        "timer_due_at",
        "timer_token",
        "to_stage",
        "type",
        "waiting_for",
        "workflow",
    }
)
"""JSON keys whose values describe the workflow, never the person: kept on erasure."""
SHORTEST = 3
"""Known values shorter than this are not searched for in free texts (a "2" answering a
menu would otherwise blank every 2 in the run's log lines)."""
TABLES = {
    "contact": "contacts: name, e-mail, phone, locale, attributes",
    "identities": "contact_identities: the person's id and profile on each channel",
    "conversations": "conversations, with their tags (conversation_tags) and messages",
    "leads": "leads of the contact or of its conversations",
    "workflow_runs": "workflow_runs of its conversations (variables, state)",
    "run_logs": "run_logs of those runs and of runs not started on its events",
    "timers": "timers of those runs",
    "events": "events naming the contact, its conversations, leads or messages",
    "outbox": "outbox items of its conversations or runs, or to its chats",
    "inbound_journal": "inbound_journal: the raw payloads its messages came in (kept 7 days)",
    "slack_receipts": "slack_receipts: Slack requests received in its conversations' threads",
}
"""Where a person's data is stored, as the export names it."""


class Scrub:
    """The erasure's rules for one person: ``known`` are the person's values, found in
    free texts and replaced by :data:`MARKER`."""

    marker = MARKER

    def __init__(self, known: set[str]) -> None:
        values = sorted((v for v in known if len(v) >= SHORTEST), key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def text(self, value: str) -> str:
        return value if self._pattern is None else self._pattern.sub(MARKER, value)

    def json(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.json(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v, key) for v in value]
        if value is None or isinstance(value, bool):
            return value
        if key in SAFE_KEYS:
            return self.text(value) if isinstance(value, str) else value
        return MARKER if isinstance(value, str) else None

    def run_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """A run's stored state: scrubbed as JSON, its counters kept (``jumps``: step id to
        a count), without what a waiting run resumes with (the run is over: a call, a hold,
        approvals), so it still reads as a run's state."""
        engine = state.get("engine")
        jumps = engine.get("jumps") if isinstance(engine, dict) else None
        scrubbed = self.json({k: None if k in RESUME_KEYS else v for k, v in state.items()})
        if isinstance(jumps, dict) and all(isinstance(n, int) for n in jumps.values()):
            scrubbed["engine"]["jumps"] = jumps
        return dict(scrubbed)


def _strings(value: Any) -> set[str]:
    """Every text and number inside a JSON value, as text."""
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    if isinstance(value, bool) or value is None:
        return set()
    return {str(value)}


def known_values(rows: PersonRows) -> set[str]:
    """The person's own values: what they told us and what the channels said about them."""
    contact = rows.contact
    known = {str(contact[k]) for k in ("name", "email", "phone") if contact.get(k)}
    known |= _strings(contact.get("attributes") or {})
    for identity in rows.identities:
        known |= {identity["external_id"]} | _strings(identity["profile"] or {})
    for conversation in rows.conversations:
        known.add(conversation["external_id"])
    for message in rows.messages:
        if message["direction"] == "in":
            known |= {v for v in (message["text"], message["payload"]) if v}
            known |= _strings(message["media"] or [])
    for lead in rows.leads:
        known.add(lead["name"])
        known |= _strings(lead["attributes"] or {})
    return {v.strip() for v in known if v and v.strip()}


def document(rows: PersonRows, exported_at: str) -> dict[str, Any]:
    """The export: every row about the person, messages under their conversations."""
    messages: dict[int, list[dict[str, Any]]] = {}
    for message in rows.messages:
        messages.setdefault(message["conversation_id"], []).append(message)
    return {
        "format": FORMAT,
        "exported_at": exported_at,
        "tables": TABLES,
        "contact": rows.contact,
        "identities": rows.identities,
        "conversations": [c | {"messages": messages.get(c["id"], [])} for c in rows.conversations],
        "leads": rows.leads,
        "workflow_runs": rows.runs,
        "run_logs": rows.run_logs,
        "timers": rows.timers,
        "events": rows.events,
        "outbox": rows.outbox,
        "inbound_journal": rows.inbound_journal,
        "slack_receipts": rows.slack_receipts,
    }


def _counts(rows: PersonRows) -> dict[str, int]:
    return {
        name: len(value)
        for name, value in vars(rows).items()
        if isinstance(value, list) and name != "contact"
    }


async def export(uow: UnitOfWork, contact_id: int, actor: Actor) -> dict[str, Any]:
    """Everything stored about the contact, audited as ``contact.exported`` (with the
    number of rows of each kind). An erased contact has nothing left to export."""
    async with uow() as tx:
        rows = await records.person(tx, contact_id)
        if rows is None:
            raise NotFoundError(f"contact {contact_id} not found")
        if rows.contact.get("erased_at"):
            raise ValidationFailed("id", "this contact's personal data was erased")
        await audit.record(tx, actor, audit.CONTACT_EXPORTED, str(contact_id), _counts(rows))
        return document(rows, tx.now.isoformat())


def confirmed(contact_id: int, given: str) -> bool:
    """Whether ``given`` confirms erasing the contact: its id or the word ERASE."""
    return given.strip() in (CONFIRM_WORD, str(contact_id))


async def erase(uow: UnitOfWork, contact_id: int, actor: Actor, confirm: str) -> Erased:
    """Erase the contact's personal data (see the module's description) in one
    transaction, audited as ``contact.erased`` with the number of rows changed."""
    if not confirmed(contact_id, confirm):
        raise ValidationFailed("confirm", f'type "{CONFIRM_WORD}" or the contact id to confirm')
    async with uow() as tx:
        rows = await records.person(tx, contact_id)
        if rows is None:
            raise NotFoundError(f"contact {contact_id} not found")
        if rows.contact.get("erased_at"):
            raise ValidationFailed("id", "this contact was erased already")
        erased = await records.erase(tx, contact_id, Scrub(known_values(rows)))
        assert erased is not None
        await audit.record(tx, actor, audit.CONTACT_ERASED, str(contact_id), asdict(erased))
    return erased
