"""One conversation's Slack thread work in one transaction, read as plain values.

The thread mirror (:mod:`integrations.slack.mirror`) decides what a domain event means for
the conversation's thread; :class:`ThreadWork` gives it what it reads (the summary, a
message, an agent's Slack id) and queues what it decides (outbox items of kind
``slack.thread``), all in the transaction :class:`ThreadWorkStore` opens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.core.console_views import ConversationSummary
from bot.domain import thread_outbox
from bot.domain.contact_names import display_name, friendly_name
from bot.domain.conversation_summaries import summarize
from bot.domain.message_labels import shown_text
from bot.storage.domain import console_records, thread_records
from bot.storage.domain.console_records import ConsoleConversation
from bot.storage.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class MessageView:
    """A stored message as a thread shows it.

    ``author`` is the customer's name for an inbound message and the agent's name for an
    agent's (None when the agent is unknown); ``source`` is where an agent wrote it.
    """

    direction: str
    sender_kind: str
    source: str | None
    author: str | None
    text: str | None


class ThreadWork:
    """The open transaction of one conversation's thread work.

    ``conversation`` is the conversation as the transaction opened: thread work queues
    outbox items and changes nothing of it but the offer mark.
    """

    def __init__(self, tx: Tx, conversation: ConsoleConversation) -> None:
        self._tx = tx
        self._conversation = conversation

    @property
    def conversation_id(self) -> int:
        return self._conversation.id

    @property
    def channel(self) -> str:
        """The conversation's customer channel (``telegram``, ``whatsapp``, ...)."""
        return self._conversation.channel

    @property
    def has_team(self) -> bool:
        return self._conversation.team_id is not None

    @property
    def thread_channel(self) -> str | None:
        """The Slack channel of the conversation's thread, when it has one."""
        return self._conversation.thread_channel

    async def summary(self) -> ConversationSummary:
        return await summarize(self._tx, self._conversation)

    async def message(self, message_id: int) -> MessageView | None:
        """The conversation's message ``message_id``; None when there is none."""
        message = await console_records.thread_message(self._tx, message_id)
        if message is None:
            return None
        author: str | None = None
        if message.direction == "in":
            contact_id = self._conversation.contact_id
            contact = await console_records.contact_name(self._tx, contact_id)
            author = display_name(contact) if contact else friendly_name(contact_id)
        elif message.sender_kind == "agent" and message.agent_id:
            author = await console_records.agent_name(self._tx, message.agent_id)
        return MessageView(
            direction=message.direction,
            sender_kind=message.sender_kind,
            source=message.source,
            author=author,
            text=await shown_text(self._tx, message),
        )

    async def agent_slack_id(self, agent_id: int) -> str | None:
        return await console_records.agent_slack_id(self._tx, agent_id)

    async def enqueue(
        self, op: thread_outbox.Op, destination: str, *, key: str, **data: Any
    ) -> bool:
        """Queue one thread operation; False when ``key`` was queued before."""
        return await thread_outbox.enqueue(
            self._tx, op, self._conversation.id, destination, key=key, **data
        )

    async def offer_to_notify(self) -> str | None:
        """The Slack user a workflow offered the conversation to (assign_to with a timeout),
        once per offer: the offer is marked as sent in this transaction."""
        offered = self._conversation.offered_to
        if offered is None or self._conversation.assignee_id is not None:
            return None
        return await thread_records.claim_offer_notice(self._tx, self._conversation.id, offered)


class ThreadWorkStore:
    """Opens :class:`ThreadWork` transactions."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @asynccontextmanager
    async def open(self, conversation_id: int) -> AsyncIterator[ThreadWork | None]:
        """One transaction for ``conversation_id``'s thread work; None when it does not exist.

        It commits when the block ends and rolls back when the block raises.
        """
        async with self.open_many([conversation_id]) as works:
            yield works.get(conversation_id)

    @asynccontextmanager
    async def open_many(
        self,
        conversation_ids: Iterable[int],
        *,
        message_ids: Iterable[int] = (),
        keys: Iterable[str] = (),
    ) -> AsyncIterator[dict[int, ThreadWork]]:
        """One transaction for the thread work of several conversations: each one that
        exists, by id. It commits when the block ends and rolls back when the block raises.

        The conversations, their contacts, the ``message_ids`` the work will show and
        which of the idempotency ``keys`` it will queue under were queued already are
        read ahead, one query each, instead of a query per event."""
        conversation_ids = list(conversation_ids)
        async with self.uow() as tx:
            await console_records.read_ahead(tx, conversation_ids, message_ids)
            await thread_records.read_ahead_keys(tx, keys)
            works: dict[int, ThreadWork] = {}
            for conversation_id in dict.fromkeys(conversation_ids):
                conversation = await console_records.conversation(tx, conversation_id)
                if conversation is not None:
                    works[conversation_id] = ThreadWork(tx, conversation)
            yield works
