"""The HTTP access log, with refused requests (4xx) written a few lines a minute.

A flood of forged or broken webhooks would otherwise write one access line each; they
are counted in ``relaybot_inbound_refused`` instead, and the log keeps a sample per
status and path, saying how many similar lines it left out.
"""

from __future__ import annotations

import logging

from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from bot.core.clock import SystemClock
from bot.core.log_limit import LimitedLog


class RefusalSamplingAccessLogger(AccessLogger):
    """aiohttp's access logger; answers in the 4xx range pass through a :class:`LimitedLog`."""

    def __init__(self, logger: logging.Logger, log_format: str = AccessLogger.LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._refusals = LimitedLog(logger, SystemClock())

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if 400 <= response.status < 500:
            left_out = self._refusals.allow((response.status, request.method, request.path))
            if left_out is None:
                return
            if left_out:
                self.logger.info(
                    "%d similar %d answers to %s %s left out of the access log",
                    left_out,
                    response.status,
                    request.method,
                    request.path,
                )
        super().log(request, response, time)
