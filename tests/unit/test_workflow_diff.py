"""The diff of two workflow versions: line numbers on both sides through several hunks,
additions at the start and the end, equal texts, and the YAML shown for a version stored
without its file."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.workflow_versions import DiffLine, diff, yaml_text
from bot.storage.domain.workflow_records import VersionRecord

BEFORE = "\n".join(f"line {n}" for n in range(1, 21)) + "\n"


def record(source: str | None) -> VersionRecord:
    definition = {"name": "greeter", "trigger": {"event": "conversation.created"}, "steps": []}
    return VersionRecord(1, 1, datetime(2026, 1, 5, tzinfo=UTC), "0" * 64, definition, source, 0)


def test_changed_lines_carry_their_numbers_on_each_side() -> None:
    after = BEFORE.replace("line 3\n", "line three\n").replace("line 18\n", "line 18\nline 18b\n")
    found = diff("greeter", 1, 2, BEFORE, after)
    assert found.text.startswith("--- greeter v1\n+++ greeter v2\n@@ -1,6 +1,6 @@\n")
    changed = [line for line in found.lines if line.kind in ("added", "removed")]
    assert changed == [
        DiffLine("removed", "line 3", 3, None),
        DiffLine("added", "line three", None, 3),
        DiffLine("added", "line 18b", None, 19),
    ]
    assert [line.text for line in found.lines if line.kind == "hunk"] == [
        "@@ -1,6 +1,6 @@",
        "@@ -16,5 +16,6 @@",
    ]
    after_18 = [line for line in found.lines if line.text == "line 19"]
    assert after_18 == [DiffLine("context", "line 19", 19, 20)]


def test_lines_added_at_the_start_of_an_empty_text() -> None:
    found = diff("greeter", 1, 2, "", "a\nb\n")
    assert found.lines[1:] == [DiffLine("added", "a", None, 1), DiffLine("added", "b", None, 2)]


def test_equal_texts_have_no_lines() -> None:
    found = diff("greeter", 2, 2, BEFORE, BEFORE)
    assert (found.text, found.lines) == ("", [])


def test_the_yaml_is_the_imported_file_or_the_definition_dumped() -> None:
    assert yaml_text(record("# as written\nname: greeter\n")) == "# as written\nname: greeter\n"
    dumped = yaml_text(record(None))
    assert dumped.startswith("name: greeter\ntrigger:\n  event: conversation.created\n")
