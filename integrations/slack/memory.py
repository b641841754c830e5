"""In-memory :class:`~integrations.slack.ports.ThreadRegistry`: for tests and single-process demos."""

from __future__ import annotations

from integrations.slack.ports import ThreadRef


class InMemoryThreadRegistry:
    """Keeps both directions of the conversation <-> thread mapping in dictionaries."""

    def __init__(self) -> None:
        self._by_conversation: dict[str, ThreadRef] = {}
        self._by_thread: dict[ThreadRef, str] = {}

    async def get(self, conversation_id: str) -> ThreadRef | None:
        return self._by_conversation.get(conversation_id)

    async def find(self, channel: str, thread_ts: str) -> str | None:
        return self._by_thread.get(ThreadRef(channel, thread_ts))

    async def save(self, conversation_id: str, ref: ThreadRef) -> None:
        old = self._by_conversation.get(conversation_id)
        if old is not None:
            self._by_thread.pop(old, None)
        self._by_conversation[conversation_id] = ref
        self._by_thread[ref] = conversation_id
