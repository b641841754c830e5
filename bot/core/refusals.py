"""Refused inbound requests: counted in ``/metrics``, logged a few lines a minute."""

from __future__ import annotations

import logging

from bot.core.clock import Clock
from bot.core.log_limit import LimitedLog
from bot.core.metrics import Metrics

logger = logging.getLogger(__name__)


class Refusals:
    """Where a channel or the admin API reports a request it answered with a 4xx.

    Each refusal counts in ``relaybot_inbound_refused{channel, reason}``; the log gets
    at most a few lines a minute per channel and reason, so a flood of forged or broken
    requests cannot flood the log too.
    """

    def __init__(self, metrics: Metrics, clock: Clock) -> None:
        self._counter = metrics.inbound_refused
        self._log = LimitedLog(logger, clock)

    def refuse(self, channel: str, reason: str, source: str | None, detail: str = "") -> None:
        """Count and (maybe) log one refused request from ``source`` (the peer address)."""
        self._counter.labels(channel, reason).inc()
        self._log.warning(
            (channel, reason),
            "%s request refused (%s) from %s%s",
            channel,
            reason,
            source or "unknown",
            f": {detail}" if detail else "",
        )
