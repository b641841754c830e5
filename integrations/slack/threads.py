"""One Slack thread per conversation: the header message and everything mirrored under it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import ConfigError, NotFoundError
from integrations.slack import senders
from integrations.slack.blocks import conversation_header, header_text, mirrored
from integrations.slack.ports import ConsoleBackend, ConversationSummary, ThreadRef, ThreadRegistry

logger = logging.getLogger(__name__)


def route_keys(channel: str, team: str | None) -> list[str]:
    """The ``SLACK_INBOX_ROUTES`` keys that may route a conversation, first match wins:
    its team (``team:billing``), then its customer channel (``telegram`` or
    ``channel:telegram``)."""
    keys = [f"team:{team}"] if team else []
    return [*keys, f"channel:{channel}", channel]


def routes_by_team(routes: Mapping[str, str]) -> bool:
    """Whether any route names a team (picking one then needs the conversation's team)."""
    return any(key.startswith("team:") for key in routes)


def route(
    channel: str, team: str | None, routes: Mapping[str, str], inbox_channel: str | None
) -> str:
    """The Slack channel of a thread: its team's route, its customer channel's route,
    else the inbox (``SLACK_INBOX_CHANNEL``)."""
    for key in route_keys(channel, team):
        if key in routes:
            return routes[key]
    if not inbox_channel:
        raise ConfigError("SLACK_INBOX_CHANNEL is not set")
    return inbox_channel


def pick_channel(
    conversation: ConversationSummary, routes: Mapping[str, str], inbox_channel: str | None
) -> str:
    """The Slack channel of a conversation's thread (:func:`route`)."""
    return route(conversation.channel, conversation.team, routes, inbox_channel)


class SlackThreads:
    """Opens, updates and writes into conversation threads.

    ``routes`` sends conversations of a team or a customer channel to their own Slack
    channel (:func:`pick_channel`); everything else goes to ``inbox_channel``.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        registry: ThreadRegistry,
        backend: ConsoleBackend,
        inbox_channel: str | None,
        routes: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.registry = registry
        self.backend = backend
        self.inbox_channel = inbox_channel
        self.routes = dict(routes or {})
        self._opening = asyncio.Lock()

    def channel_for(self, conversation: ConversationSummary) -> str:
        return pick_channel(conversation, self.routes, self.inbox_channel)

    async def open_thread(
        self, conversation: ConversationSummary, channel: str | None = None
    ) -> ThreadRef:
        """Post the header (``chat.postMessage``) in ``channel`` (by default the one its
        routes pick) unless the thread exists; then just refresh it."""
        async with self._opening:
            existing = await self.registry.get(conversation.id)
            if existing is None:
                channel = channel or self.channel_for(conversation)
                ts = await senders.post_message(
                    self.client,
                    channel,
                    header_text(conversation),
                    conversation_header(conversation),
                )
                ref = ThreadRef(channel, ts)
                await self.registry.save(conversation.id, ref)
                logger.info("slack thread opened", extra={"conversation_id": conversation.id})
                return ref
        await self._update(existing, conversation)
        return existing

    async def update_header(self, conversation: ConversationSummary) -> bool:
        """``chat.update`` the header; False when the conversation has no thread yet."""
        ref = await self.registry.get(conversation.id)
        if ref is None:
            return False
        await self._update(ref, conversation)
        return True

    async def _update(self, ref: ThreadRef, conversation: ConversationSummary) -> None:
        await senders.update_message(
            self.client,
            ref.channel,
            ref.thread_ts,
            header_text(conversation),
            conversation_header(conversation),
        )

    async def post_to_thread(self, conversation_id: str, sender: str, text: str) -> str:
        """Mirror a customer or bot message into the thread (opening it first if needed)."""
        return await self.post_lines(conversation_id, [(sender, text)])

    async def post_lines(self, conversation_id: str, lines: Sequence[tuple[str, str]]) -> str:
        """Mirror messages (sender, text) into the thread in one post, in order (opening
        the thread first if needed); returns the post's ``ts``."""
        ref = await self.registry.get(conversation_id)
        if ref is None:
            conversation = await self.backend.conversation(conversation_id)
            if conversation is None:
                raise NotFoundError(f"conversation {conversation_id} not found")
            ref = await self.open_thread(conversation)
        return await senders.post_message(
            self.client,
            ref.channel,
            "\n".join(f"{sender}: {text}" for sender, text in lines),
            [
                {"type": "section", "text": {"type": "mrkdwn", "text": mirrored(sender, text)}}
                for sender, text in lines
            ],
            thread_ts=ref.thread_ts,
        )

    async def thread_url(self, conversation_id: str) -> str | None:
        """A permalink to the thread, or None when there is none."""
        ref = await self.registry.get(conversation_id)
        if ref is None:
            return None
        return await senders.permalink(self.client, ref.channel, ref.thread_ts)
