from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.config import Settings
from channels.widget.errors import RateLimited
from channels.widget.limits import Cooldown, RateLimiter
from channels.widget.origins import OriginPolicy


def test_the_bucket_empties_then_refills_with_the_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, capacity=2, per_second=0.5)
    limiter.take("v1")
    limiter.take("v1")
    with pytest.raises(RateLimited) as refused:
        limiter.take("v1")
    assert refused.value.retry_after == pytest.approx(2.0)
    limiter.take("v2")  # other visitors have their own bucket
    clock.advance(timedelta(seconds=2))
    limiter.take("v1")
    with pytest.raises(RateLimited):
        limiter.take("v1")


def test_a_cooldown_lets_one_through_per_period() -> None:
    clock = FakeClock()
    cooldown = Cooldown(clock, timedelta(minutes=5))
    assert cooldown.ready("a")
    assert not cooldown.ready("a")
    assert cooldown.ready("b")
    clock.advance(timedelta(minutes=4, seconds=59))
    assert not cooldown.ready("a")
    clock.advance(timedelta(seconds=1))
    assert cooldown.ready("a")


def _policy(
    origins: list[str], public_url: str = "https://chat.example.com", demo: bool = False
) -> OriginPolicy:
    return OriginPolicy(
        Settings(
            _env_file=None,
            RELAYBOT_WIDGET_ALLOWED_ORIGINS=origins,
            RELAYBOT_PUBLIC_URL=public_url,
            RELAYBOT_DEMO=demo,
        )
    )


def test_no_configured_origins_means_the_public_url_only() -> None:
    policy = _policy([])
    assert policy.allows("https://chat.example.com")
    assert not policy.allows("http://127.0.0.1:8080")
    assert not policy.allows("http://localhost:8080")
    assert not policy.allows("https://evil.example")
    assert policy.allows(None)


def test_the_demo_also_allows_the_local_demo_addresses() -> None:
    policy = _policy([], demo=True)
    assert policy.allows("https://chat.example.com")
    assert policy.allows("http://127.0.0.1:8080")
    assert policy.allows("http://localhost:8080")
    assert not policy.allows("http://127.0.0.1:9999")
    assert not _policy(["https://shop.example"], demo=True).allows("http://localhost:8080")


def test_configured_origins_and_star() -> None:
    policy = _policy(["https://Shop.example/", "https://www.shop.example"])
    assert policy.allows("https://shop.example")
    assert policy.allows("https://www.shop.example")
    assert not policy.allows("https://chat.example.com")
    assert not policy.allows("http://shop.example")
    assert _policy(["*"]).allows("https://anything.example")
