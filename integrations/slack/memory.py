"""In-memory ports (:class:`~integrations.slack.ports.ThreadRegistry`, receipts): for tests and demos."""

from __future__ import annotations

from dataclasses import replace

from integrations.slack.ports import SlackRequest, ThreadRef


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


class InMemoryReceiptStore:
    """A :class:`~integrations.slack.ports.ReceiptStore` in a dictionary (one process, no restarts)."""

    def __init__(self) -> None:
        self.requests: dict[str, SlackRequest] = {}
        self.pending: set[str] = set()
        self.errors: dict[str, str] = {}

    async def store(self, request: SlackRequest) -> bool:
        if request.key in self.requests:
            return False
        self.requests[request.key] = request
        return True

    async def done(self, key: str) -> None:
        self.pending.discard(key)

    async def failed(self, key: str, error: str, *, give_up: bool) -> None:
        request = self.requests[key]
        self.requests[key] = replace(request, attempts=request.attempts + 1)
        if give_up:
            self.pending.discard(key)
            self.errors[key] = error
        else:
            self.pending.add(key)

    async def claim_due(self, limit: int) -> list[SlackRequest]:
        claimed = sorted(self.pending)[:limit]
        self.pending.difference_update(claimed)
        return [self.requests[key] for key in claimed]

    async def prune(self) -> int:
        return 0
