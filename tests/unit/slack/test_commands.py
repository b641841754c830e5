"""``/relay`` text parsing."""

from __future__ import annotations

import pytest

from integrations.slack.commands import Command, UsageError, parse, parse_user


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("HELP", Command("help")),
        ("queue", Command("queue")),
        ("claim #42", Command("claim", conversation_id="42")),
        ("assign 7 <@U123|ana>", Command("assign", conversation_id="7", target_user="U123")),
        ("assign 7 <@W9ZZ>", Command("assign", conversation_id="7", target_user="W9ZZ")),
        ("tag 7 VIP", Command("tag", conversation_id="7", tag="VIP")),
        ("disable welcome", Command("disable", workflow="welcome")),
        ("logs", Command("logs")),
        ("logs --failed", Command("logs", failed_only=True)),
        ("logs --failed welcome", Command("logs", workflow="welcome", failed_only=True)),
    ],
)
def test_parse(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["nope", "claim", "claim 1 2", "assign 1", "assign 1 @ana", "tag 1", "logs -x", "away now"],
)
def test_bad_input_gives_usage(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert caught.value.usage.startswith("/relay ")


def test_admin_only() -> None:
    assert parse("enable x").admin_only
    assert not parse("workflows").admin_only


def test_parse_user() -> None:
    assert parse_user("<@U1AB|x>") == "U1AB"
    assert parse_user("U1AB") == "U1AB"
    assert parse_user("@ana") is None
