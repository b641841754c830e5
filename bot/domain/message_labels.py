"""A stored message's text as agents read it in Slack: a pressed button by its label.

Channels store the label of a pressed button as the message text when the platform
tells them; when it does not (a Telegram press on a message without its keyboard, a
WhatsApp reply without ``ButtonText``) the text is the payload value, and the label is
found on the choices of the question that offered the button.
"""

from __future__ import annotations

from typing import Protocol

from bot.storage.domain.message_records import outbound_extras_before
from bot.storage.uow import Tx

LOOK_BACK = 10
"""How many of the conversation's outbound messages before a press are searched for its choice."""


class ShownMessage(Protocol):
    """The parts of a stored message its shown text depends on."""

    @property
    def id(self) -> int: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str | None: ...
    @property
    def payload(self) -> str | None: ...


async def shown_text(tx: Tx, message: ShownMessage) -> str | None:
    """The text to show for ``message``; None when it has neither text nor payload."""
    text = message.text or message.payload
    if message.kind != "button" or not message.payload or text != message.payload:
        return text
    label = await choice_label(tx, message.conversation_id, message.id, message.payload)
    return label or text


async def choice_label(tx: Tx, conversation_id: int, before_id: int, value: str) -> str | None:
    """The label of the choice ``value`` on the newest outbound message before ``before_id``
    that offered it."""
    for extra in await outbound_extras_before(tx, conversation_id, before_id, LOOK_BACK):
        for choice in extra.get("choices") or []:
            if isinstance(choice, dict) and choice.get("value") == value and choice.get("label"):
                return str(choice["label"])
    return None
