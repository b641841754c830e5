"""The ``ai_agent`` assignee: the AI keeps answering until a human is wanted.

While a conversation is assigned to ``ai_agent``, the runner calls :func:`ai_agent_turn`
for each customer message. It hands over (the runner then assigns a human team or
agent and sends ``handover_text``) when the customer asks for a person
(:func:`should_hand_over`), or when the AI failed ``max_failures`` turns in a row.
When a human agent answers from Slack, the runner takes the conversation off
``ai_agent`` and stops calling this.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from integrations.ai import AIProvider, generate_reply

PERSON_WORDS = (
    "human",
    "humans",
    "real person",
    "actual person",
    "live agent",
    "live person",
    "live chat",
    "agent",
    "representative",
    "operator",
    "customer service",
    "customer support",
    "customer care",
    "humano",
    "persona real",
    "mensch",
    "humain",
    "vraie personne",
)
VAGUE_PERSON = ("someone", "somebody", "a person", "a real one", "staff", "your team", "support")
CONTACT_VERBS = ("talk", "speak", "chat", "connect", "transfer", "put")

_PERSON = re.compile(rf"\b(?:{'|'.join(PERSON_WORDS)})\b", re.IGNORECASE)
_CONTACT = re.compile(
    rf"\b(?:{'|'.join(CONTACT_VERBS)})\b(?:\W+\w+){{0,3}}?\W+(?:to|with|through)\W+"
    rf"(?:{'|'.join(VAGUE_PERSON)})\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:no|not|don'?t|never|without)\b(?:\W+\w+){0,2}\W*$", re.IGNORECASE)


def should_hand_over(text: str | None) -> bool:
    """True when the customer asks for a person ("human", "agent", "talk to someone", ...).

    A request that is negated just before it ("I don't need an agent") does not count.
    """
    if not text:
        return False
    for pattern in (_PERSON, _CONTACT):
        for match in pattern.finditer(text):
            if not _NEGATED.search(text[: match.start()]):
                return True
    return False


@dataclass(frozen=True)
class AgentTurn:
    """What the runner does with one customer message."""

    action: Literal["reply", "hand_over"]
    text: str
    used_fallback: bool = False
    reason: str | None = None


async def ai_agent_turn(
    provider: AIProvider,
    instructions: str,
    history: Sequence[Mapping[str, Any]],
    *,
    fallback: str,
    handover_text: str,
    failures_in_row: int = 0,
    max_failures: int = 2,
) -> AgentTurn:
    """Reply with the AI, or hand over; ``history`` ends with the customer's new message."""
    last = next(
        (
            m
            for m in reversed(history)
            if str(m.get("role")) in ("user", "customer", "contact", "visitor")
        ),
        None,
    )
    if last is not None and should_hand_over(str(last.get("text") or "")):
        return AgentTurn("hand_over", handover_text, reason="the customer asked for a person")
    reply = await generate_reply(provider, instructions, history, fallback)
    if reply.used_fallback and failures_in_row + 1 >= max_failures:
        return AgentTurn(
            "hand_over", handover_text, True, f"the AI failed {max_failures} times: {reply.reason}"
        )
    return AgentTurn("reply", reply.text, reply.used_fallback, reply.reason)
