"""Pure AI helpers: message shaping and the hand-over detector."""

from __future__ import annotations

import pytest

from integrations.ai import chat_messages
from integrations.ai_agent import should_hand_over


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a human?",
        "I want a real person",
        "agent please",
        "AGENT",
        "let me speak with someone",
        "connect me to support",
        "I'm not sure, can I talk to someone?",
        "I don't want a bot, give me a human",
        "customer service!!",
        "Humano por favor",
    ],
)
def test_asks_for_a_person(text: str) -> None:
    assert should_hand_over(text)


@pytest.mark.parametrize(
    "text",
    [
        "where is my order",
        "I don't need an agent, thanks",
        "no human needed",
        "",
        None,
        "humanitarian aid",
        "agents",
    ],
)
def test_does_not_ask_for_a_person(text: str | None) -> None:
    assert not should_hand_over(text)


def test_chat_messages_limit_and_roles() -> None:
    history = [{"role": "customer", "text": f"m{i}"} for i in range(5)] + [
        {"role": "system", "text": "joined"},
        {"role": "agent", "text": "hello"},
        {"role": "customer", "text": "  "},
    ]
    messages = chat_messages("Be nice.", history, limit=2)
    assert messages == [
        {"role": "system", "content": "Be nice."},
        {"role": "user", "content": "m4"},
        {"role": "assistant", "content": "hello"},
    ]
    assert chat_messages("", history, limit=0) == []
