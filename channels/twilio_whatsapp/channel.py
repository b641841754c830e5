"""WhatsApp through Twilio: signed webhooks in, twilio's ``Client`` out."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.core.channel import SessionSource
from bot.core.clean import clean_text
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.errors import BadRequestError, ConfigError, StorageTimeout, UnavailableError
from bot.core.messages import InboundMessage, OutboundMessage, SendResult
from bot.core.metrics import Metrics
from bot.core.refusals import Refusals
from bot.pipeline.journal import Intake
from channels.telegram.render import split_text
from channels.twilio_whatsapp.errors import map_twilio_error
from channels.twilio_whatsapp.http import SessionTwilioHttpClient, last_response_headers
from channels.twilio_whatsapp.parse import CHANNEL, PREFIX, form_to_inbound
from channels.twilio_whatsapp.render import freeform_body, window_open
from channels.twilio_whatsapp.signature import (
    SHARED_KEY_HEADER,
    SIGNATURE_HEADER,
    candidate_urls,
    is_signed,
)

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/twilio"
STATUS_PATH = "/webhooks/twilio/status"
WINDOW = timedelta(hours=24)
MAX_BODY = 1600
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

OnStatus = Callable[[str, str, str | None], Awaitable[None]]


class TwilioWhatsAppChannel:
    """Customers on WhatsApp.

    The webhook hands each message's form to ``intake`` (the inbound journal) and
    answers Twilio once it is durable; :meth:`normalize` turns a journaled form into a
    message. ``on_status`` records Twilio's delivery receipts.
    """

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        session: SessionSource,
        clock: Clock,
        intake: Intake,
        on_status: OnStatus,
        refusals: Refusals | None = None,
    ) -> None:
        sid, token = settings.twilio_account_sid, settings.twilio_auth_token
        if not sid or token is None:
            raise ConfigError("WhatsApp needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not settings.twilio_whatsapp_from and not settings.twilio_messaging_service_sid:
            raise ConfigError("WhatsApp needs TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID")
        self._settings = settings
        self._clock = clock
        self.intake = intake
        self._on_status = on_status
        self._refusals = refusals or Refusals(Metrics(), clock)
        self._validator = RequestValidator(token.get_secret_value())
        self.client = Client(
            sid, token.get_secret_value(), http_client=SessionTwilioHttpClient(session)
        )
        self.client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        self._status_callback = settings.public_url.rstrip("/") + STATUS_PATH

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.post(WEBHOOK_PATH, self.handle_message),
            web.post(STATUS_PATH, self.handle_status),
        ]

    async def handle_message(self, request: web.Request) -> web.StreamResponse:
        form = await self._verified_form(request)
        if form is None:
            return web.Response(status=401, text="bad signature")
        sid = form.get("MessageSid") or form.get("SmsMessageSid")
        if sid and form.get("From"):
            try:
                await self.intake(CHANNEL, f"message:{sid}", form, None)
            except StorageTimeout as exc:
                logger.warning("twilio message %s not stored in time; Twilio will retry", sid)
                return _not_stored_in_time(exc)
            except Exception:
                logger.exception("twilio message %s not stored; Twilio will retry", sid)
                return web.Response(status=500, text="not stored")
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    def normalize(self, payload: dict[str, Any], received_at: datetime) -> InboundMessage | None:
        """A journaled webhook form as a message (``None`` when it carries none)."""
        return form_to_inbound(payload, received_at)

    async def handle_status(self, request: web.Request) -> web.StreamResponse:
        form = await self._verified_form(request)
        if form is None:
            return web.Response(status=401, text="bad signature")
        sid = form.get("MessageSid") or form.get("SmsSid")
        status = form.get("MessageStatus") or form.get("SmsStatus")
        if not sid or not status:
            self._refusals.refuse(CHANNEL, "unreadable", request.remote, "status without sid")
            return web.Response(status=400, text="MessageSid and MessageStatus are required")
        try:
            await self._on_status(sid, status, form.get("ErrorCode") or None)
        except StorageTimeout as exc:
            logger.warning("twilio status %s for %s not stored in time", status, sid)
            return _not_stored_in_time(exc)
        except Exception:
            logger.exception("twilio status %s for %s not stored", status, sid)
            return web.Response(status=500, text="not stored")
        return web.Response(status=204)

    async def _verified_form(self, request: web.Request) -> dict[str, str] | None:
        """The POSTed form if Twilio signed it; ``None`` (and a log line saying why) otherwise."""
        post = await request.post()
        form = {key: clean_text(value) for key, value in post.items() if isinstance(value, str)}
        urls = candidate_urls(request, self._settings)
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if is_signed(self._validator, urls, post, signature):  # type: ignore[arg-type]
            return form
        hint = ""
        if SHARED_KEY_HEADER in request.headers:
            hint = "; Twilio signed it with a SharedKey, relaybot checks the auth token"
        problem = "signature does not match" if signature else "no signature"
        self._refusals.refuse(
            CHANNEL, "bad_signature", request.remote, f"{problem} for {' or '.join(urls)}{hint}"
        )
        return None

    async def send(self, message: OutboundMessage) -> SendResult:
        open_ = window_open(message, self._clock.now(), self.can_send_freeform)
        use_template = message.template is not None and (open_ is not True or not message.text)
        if open_ is False and not use_template:
            raise BadRequestError("outside WhatsApp's 24-hour window and no template named")
        base = self._addressing(message)
        if use_template:
            assert message.template is not None
            payloads = [
                {
                    **base,
                    "content_sid": message.template.content_sid,
                    "content_variables": json.dumps(message.template.variables),
                }
            ]
        else:
            payloads = self._freeform(message, base)
        sids: list[str] = []
        status = "queued"
        for payload in payloads:
            created = await self._create(payload)
            sids.append(created.sid)
            status = created.status or status
        return SendResult(external_message_ids=sids, status=_status(status))

    def _addressing(self, message: OutboundMessage) -> dict[str, Any]:
        to = message.external_conversation_id
        base: dict[str, Any] = {
            "to": to if to.startswith(PREFIX) else PREFIX + to,
            "status_callback": self._status_callback,
        }
        if self._settings.twilio_messaging_service_sid:
            base["messaging_service_sid"] = self._settings.twilio_messaging_service_sid
        else:
            sender = self._settings.twilio_whatsapp_from or ""
            base["from_"] = sender if sender.startswith(PREFIX) else PREFIX + sender
        return base

    def _freeform(self, message: OutboundMessage, base: dict[str, Any]) -> list[dict[str, Any]]:
        chunks = split_text(freeform_body(message), MAX_BODY)
        if not message.media_url and chunks == [""]:
            raise BadRequestError("whatsapp: the message has neither text nor media")
        payloads = [{**base, "body": chunk} for chunk in chunks if chunk]
        if message.media_url:
            if payloads:
                payloads[0]["media_url"] = [message.media_url]
            else:
                payloads = [{**base, "media_url": [message.media_url]}]
        return payloads

    async def _create(self, payload: dict[str, Any]) -> Any:
        last_response_headers.set(None)
        try:
            return await self.client.messages.create_async(**payload)
        except TwilioRestException as exc:
            code = exc.code if isinstance(exc.code, int) and exc.code != exc.status else None
            raise map_twilio_error(exc.status, code, exc.msg, last_response_headers.get()) from exc
        except TwilioServiceException as exc:
            message = exc.detail or exc.title
            raise map_twilio_error(
                exc.status, exc.code, message, last_response_headers.get()
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UnavailableError(f"twilio unreachable: {type(exc).__name__}") from exc

    def can_send_freeform(self, last_customer_message_at: datetime | None, now: datetime) -> bool:
        """WhatsApp allows free-form messages for 24 hours after the customer last wrote."""
        if last_customer_message_at is None:
            return False
        return now - last_customer_message_at < WINDOW

    async def close(self) -> None:
        """The HTTP session is the application's; nothing else to release."""


def _not_stored_in_time(exc: StorageTimeout) -> web.Response:
    return web.Response(
        status=503, text="not stored", headers={"Retry-After": str(exc.retry_after)}
    )


def _status(twilio_status: str) -> str:
    return "queued" if twilio_status in ("accepted", "queued", "scheduled") else twilio_status
