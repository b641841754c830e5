"""Turns on the customer channels whose credentials are set: routes in, senders out."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.domain.delivery_status import StatusReport, record_status
from bot.pipeline.services import Services
from channels.telegram import TelegramChannel
from channels.twilio_whatsapp import TwilioWhatsAppChannel
from channels.twilio_whatsapp.errors import REFUSED_CODES, UNREACHABLE_CODES

logger = logging.getLogger(__name__)


def setup_channels(app: web.Application, services: Services) -> None:
    """Register Telegram and WhatsApp when configured.

    Channels send through ``services.http``, which is opened on first use inside
    the running loop, so building them here opens no connection.
    """
    settings = services.settings
    if settings.telegram_enabled:
        telegram = TelegramChannel(
            settings,
            lambda: services.http,
            services.clock,
            services.journal.append,
            services.refusals,
        )
        services.journal_processor.register(
            telegram.name, telegram.normalize, telegram.after_stored
        )
        services.add_channel(telegram)
        app.router.add_routes(telegram.routes())
        logger.info("telegram channel on")
    if settings.twilio_enabled:
        whatsapp = TwilioWhatsAppChannel(
            settings,
            lambda: services.http,
            services.clock,
            services.journal.append,
            StatusTracker(services).on_status,
            services.refusals,
        )
        services.journal_processor.register(whatsapp.name, whatsapp.normalize)
        services.add_channel(whatsapp)
        app.router.add_routes(whatsapp.routes())
        logger.info("whatsapp channel on")


class StatusTracker:
    """Twilio's delivery receipts: the error code read as reachable or not, and why."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def on_status(self, sid: str, status: str, error_code: str | None) -> None:
        code = _int(error_code)
        reason = f"whatsapp: {status}" + (f" (error {error_code}" if error_code else "")
        explanation = UNREACHABLE_CODES.get(code or 0) or REFUSED_CODES.get(code or 0)
        if error_code:
            reason += f": {explanation})" if explanation else ")"
        report = StatusReport(sid, status, error_code, code in UNREACHABLE_CODES, reason)
        await record_status(self.services.uow, report, self.services.delivery_failed)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
