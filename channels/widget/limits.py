"""Per-key token buckets and cool-downs, driven by an injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock
from channels.widget.errors import RateLimited


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


class RateLimiter:
    """A token bucket per key: ``capacity`` at once, refilled at ``per_second``."""

    def __init__(self, clock: Clock, capacity: int, per_second: float) -> None:
        self._clock = clock
        self._capacity = float(capacity)
        self._rate = per_second
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> None:
        """Spend one token for ``key`` or raise :class:`RateLimited` with the wait."""
        now = self._clock.now()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            raise RateLimited(retry_after=round((1.0 - bucket.tokens) / self._rate, 3))
        bucket.tokens -= 1.0
        if len(self._buckets) > 50_000:
            self._forget_full(now)

    def _forget_full(self, now: datetime) -> None:
        full_after = timedelta(seconds=self._capacity / self._rate)
        for key in [k for k, b in self._buckets.items() if now - b.updated > full_after]:
            del self._buckets[key]


class Cooldown:
    """Lets one thing per key through, then nothing for ``period``."""

    def __init__(self, clock: Clock, period: timedelta) -> None:
        self._clock = clock
        self._period = period
        self._last: dict[str, datetime] = {}

    def ready(self, key: str) -> bool:
        """True (and starts the cool-down) if ``key`` has been quiet for ``period``."""
        now = self._clock.now()
        last = self._last.get(key)
        if last is not None and now - last < self._period:
            return False
        self._last[key] = now
        if len(self._last) > 50_000:
            self._last = {k: t for k, t in self._last.items() if now - t < self._period}
        return True
