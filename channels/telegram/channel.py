"""The Telegram channel: a secret-checked webhook in, python-telegram-bot's ``Bot`` out."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.core.channel import SessionSource
from bot.core.clean import TooDeep, clean_inbound, clean_json
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.errors import BadRequestError, ConfigError, StorageTimeout
from bot.core.messages import InboundMessage, OutboundMessage, SendResult
from bot.core.metrics import Metrics
from bot.core.refusals import Refusals
from bot.pipeline.journal import Intake
from channels.telegram.errors import map_telegram_error
from channels.telegram.parse import CHANNEL, plain_text_to_inbound, shape_problem, update_to_inbound
from channels.telegram.render import MAX_CAPTION, inline_keyboard, is_photo, split_text
from channels.telegram.request import AiohttpRequest

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ANSWER_TIMEOUT = 5.0  # seconds to wait for answerCallbackQuery
MAX_TEXT = 4096
"""Telegram's own limit on a message's text (captions: 1024); longer texts are cut."""


class TelegramChannel:
    """Customers on Telegram.

    The webhook hands each update to ``intake`` (the inbound journal) and answers once
    it is durable; :meth:`normalize` turns an update
    into a message.
    """

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        session: SessionSource,
        clock: Clock,
        intake: Intake,
        refusals: Refusals | None = None,
    ) -> None:
        if settings.telegram_bot_token is None or settings.telegram_webhook_secret is None:
            raise ConfigError("Telegram needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET")
        self._token = settings.telegram_bot_token.get_secret_value()
        self._secret = settings.telegram_webhook_secret.get_secret_value().encode("utf-8")
        self._clock = clock
        self.intake = intake
        self._refusals = refusals or Refusals(Metrics(), clock)
        self.bot = build_bot(settings, session)
        self._ready = asyncio.Lock()

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post(WEBHOOK_PATH, self.handle_webhook)]

    async def handle_webhook(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self._secret):
            return self._refuse(request, 401, "bad_secret", "bad secret token")
        raw = await request.read()
        try:
            data = json.loads(raw)
        except RecursionError:
            return self._refuse(request, 400, "too_deep", "unreadable update")
        except ValueError:
            return self._refuse(request, 400, "unreadable", "unreadable update")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return self._refuse(request, 400, "unreadable", "unreadable update")
        problem = shape_problem(data)
        if problem is not None:
            return self._refuse(
                request, 400, "unreadable", "unreadable update", f"{update_id}: {problem}"
            )
        try:
            data, changed = clean_json(data)
        except TooDeep:
            return self._refuse(request, 400, "too_deep", "unreadable update")
        try:
            await self.intake(CHANNEL, f"update:{update_id}", data, None if changed else _text(raw))
        except StorageTimeout as exc:
            logger.warning(
                "telegram update %s not stored in time; Telegram will redeliver", update_id
            )
            return web.Response(
                status=503, text="not stored", headers={"Retry-After": str(exc.retry_after)}
            )
        except Exception:
            logger.exception("telegram update %s not stored; Telegram will redeliver", update_id)
            return web.Response(status=500, text="not stored")
        return web.Response(status=200)

    def _refuse(
        self, request: web.Request, status: int, reason: str, text: str, detail: str = ""
    ) -> web.Response:
        self._refusals.refuse(CHANNEL, reason, request.remote, detail)
        return web.Response(status=status, text=text)

    def normalize(self, payload: dict[str, Any], received_at: datetime) -> InboundMessage | None:
        """A journaled update as a message, its text cleaned and cut at :data:`MAX_TEXT`;
        ``None`` for updates the product does not use."""
        message = plain_text_to_inbound(payload, self.bot, received_at)
        if message is None:
            update = Update.de_json(payload, self.bot)
            if update is None:
                raise ValueError("empty update")
            message = update_to_inbound(update, received_at)
        return clean_inbound(message, MAX_TEXT) if message is not None else None

    async def after_stored(self, payload: dict[str, Any]) -> None:
        """A stored button press: stop the button's spinner."""
        query = payload.get("callback_query")
        if isinstance(query, dict) and query.get("id"):
            await self._answer_callback(str(query["id"]))

    async def _answer_callback(self, query_id: str) -> None:
        """Stop the button's spinner; the press is already stored, so failing here is harmless."""
        try:
            await self._ensure_ready()
            await self.bot.answer_callback_query(
                query_id, connect_timeout=ANSWER_TIMEOUT, read_timeout=ANSWER_TIMEOUT
            )
        except TelegramError as exc:
            logger.warning(
                "telegram answerCallbackQuery failed: %s", map_telegram_error(exc, self._token)
            )

    async def send(self, message: OutboundMessage) -> SendResult:
        try:
            await self._ensure_ready()
            sent = await self._send(message)
        except TelegramError as exc:
            raise map_telegram_error(exc, self._token) from exc
        return SendResult(external_message_ids=[str(message_id) for message_id in sent])

    async def _send(self, message: OutboundMessage) -> list[int]:
        """Send the message's media and text chunks in order; the ids Telegram gave them."""
        chat_id = message.external_conversation_id
        keyboard = inline_keyboard(message.choices)
        chunks = split_text(message.text) if message.text else []
        if not chunks and not message.media_url:
            raise BadRequestError("telegram: the message has neither text nor media")
        sent: list[int] = []
        if message.media_url:
            caption = chunks.pop(0) if chunks and len(chunks[0]) <= MAX_CAPTION else None
            markup = keyboard if not chunks else None
            if is_photo(message.media_url):
                media = await self.bot.send_photo(
                    chat_id, message.media_url, caption=caption, reply_markup=markup
                )
            else:
                media = await self.bot.send_document(
                    chat_id, message.media_url, caption=caption, reply_markup=markup
                )
            sent.append(media.message_id)
        for index, chunk in enumerate(chunks):
            markup = keyboard if index == len(chunks) - 1 else None
            sent.append(await self.bot.send_text(chat_id, chunk, reply_markup=markup))
        return sent

    def can_send_freeform(self, last_customer_message_at: datetime | None, now: datetime) -> bool:
        """Telegram has no messaging window: a bot may write to anyone who has not blocked it."""
        return True

    async def close(self) -> None:
        await self.bot.shutdown()

    async def _ensure_ready(self) -> None:
        async with self._ready:
            await self.bot.initialize()


class RelayBot(Bot):
    """python-telegram-bot's ``Bot``, with a text send that keeps only the new message's id.

    ``send_message`` builds a ``Message`` (with its chat, sender and entities) from every
    answer; the outbox needs only the id, and building the objects cost as much as
    encoding the request. The request, the answer's envelope and its errors are the
    library's own (``_post``, as its ``ExtBot`` uses it).
    """

    async def send_text(
        self, chat_id: int | str, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
    ) -> int:
        """``sendMessage``; the id Telegram gave the message."""
        result = await self._post(
            "sendMessage", {"chat_id": chat_id, "text": text, "reply_markup": reply_markup}
        )
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message_id, int):
            raise TelegramError(f"sendMessage answered without a message id: {result!r:.200}")
        return message_id


def build_bot(settings: Settings, session: SessionSource) -> RelayBot:
    """A ``Bot`` on the shared session, talking to ``TELEGRAM_API_BASE_URL``."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    return RelayBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        request=AiohttpRequest(session),
        get_updates_request=AiohttpRequest(session),
    )


def _text(raw: bytes) -> str | None:
    """The body as text to store as is; None (encode the parsed payload again) if not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
