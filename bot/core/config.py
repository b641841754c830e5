"""Settings: one object, read from the environment and ``.env``, built once."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.errors import ConfigError

CommaList = Annotated[list[str], NoDecode]
CommaPairs = Annotated[dict[str, str], NoDecode]
PUBLIC_SECRET_KEYS = frozenset({"", "change-me-in-production", "change-me"})
"""Values of ``RELAYBOT_SECRET_KEY`` that were published as defaults or examples."""


class Settings(BaseSettings):
    """Every setting relaybot reads. Each one is documented in ``.env.example``."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    # core
    database_url: str = Field("sqlite+aiosqlite:///./relaybot.db", alias="DATABASE_URL")
    public_url: str = Field("http://127.0.0.1:8080", alias="RELAYBOT_PUBLIC_URL")
    admin_token: SecretStr | None = Field(None, alias="RELAYBOT_ADMIN_TOKEN")
    secret_key: SecretStr | None = Field(None, alias="RELAYBOT_SECRET_KEY")
    demo: bool = Field(False, alias="RELAYBOT_DEMO")
    trust_proxy: bool = Field(False, alias="RELAYBOT_TRUST_PROXY")
    workflows_dir: str = Field("examples/workflows", alias="RELAYBOT_WORKFLOWS_DIR")
    log_level: str = Field("INFO", alias="RELAYBOT_LOG_LEVEL")
    log_message_text: bool = Field(False, alias="RELAYBOT_LOG_MESSAGE_TEXT")
    lead_stages: CommaList = Field(
        default=["new", "contacted", "qualified", "proposal", "won", "lost"],
        alias="RELAYBOT_LEAD_STAGES",
    )
    default_currency: str = Field("USD", alias="RELAYBOT_DEFAULT_CURRENCY")
    db_pool_size: int = Field(10, alias="RELAYBOT_DB_POOL_SIZE", ge=1)
    db_pool_pre_ping: bool = Field(False, alias="RELAYBOT_DB_POOL_PRE_PING")
    db_statement_timeout_ms: int = Field(30000, alias="RELAYBOT_DB_STATEMENT_TIMEOUT_MS", ge=0)
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", alias="RELAYBOT_SQLITE_SYNCHRONOUS"
    )
    store_timeout_s: float = Field(5.0, alias="RELAYBOT_STORE_TIMEOUT", gt=0)
    dispatcher_workers: int = Field(64, alias="RELAYBOT_DISPATCHER_WORKERS", ge=1)
    event_workers: int = Field(32, alias="RELAYBOT_EVENT_WORKERS", ge=1)
    journal_lanes: int = Field(64, alias="RELAYBOT_JOURNAL_LANES", ge=1)
    outbox_max_attempts: int = Field(8, alias="RELAYBOT_OUTBOX_MAX_ATTEMPTS", ge=1)
    outbox_base_backoff_s: float = Field(1.0, alias="RELAYBOT_OUTBOX_BASE_BACKOFF", gt=0)
    outbox_max_backoff_s: float = Field(600.0, alias="RELAYBOT_OUTBOX_MAX_BACKOFF", gt=0)
    outbox_lease_s: float = Field(120.0, alias="RELAYBOT_OUTBOX_LEASE", gt=0)
    timer_lease_s: float = Field(120.0, alias="RELAYBOT_TIMER_LEASE", gt=0)
    poll_interval_s: float = Field(1.0, alias="RELAYBOT_POLL_INTERVAL", gt=0)
    webhook_allowed_hosts: CommaList = Field(default=[], alias="RELAYBOT_WEBHOOK_ALLOWED_HOSTS")
    webhook_timeout_s: float = Field(10.0, alias="RELAYBOT_WEBHOOK_TIMEOUT", gt=0)
    console_session_hours: float = Field(12.0, alias="RELAYBOT_CONSOLE_SESSION_HOURS", gt=0)

    # telegram
    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str = Field(
        "https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL"
    )

    # twilio / whatsapp
    twilio_account_sid: str | None = Field(None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(None, alias="TWILIO_AUTH_TOKEN")
    twilio_whatsapp_from: str | None = Field(None, alias="TWILIO_WHATSAPP_FROM")
    twilio_messaging_service_sid: str | None = Field(None, alias="TWILIO_MESSAGING_SERVICE_SID")
    twilio_api_base_url: str = Field("https://api.twilio.com", alias="TWILIO_API_BASE_URL")

    # slack
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_inbox_channel: str | None = Field(None, alias="SLACK_INBOX_CHANNEL")
    slack_inbox_routes: CommaPairs = Field(default={}, alias="SLACK_INBOX_ROUTES")
    slack_admin_user_ids: CommaList = Field(default=[], alias="SLACK_ADMIN_USER_IDS")
    slack_api_base_url: str = Field("https://slack.com/api/", alias="SLACK_API_BASE_URL")

    # widget
    widget_allowed_origins: CommaList = Field(default=[], alias="RELAYBOT_WIDGET_ALLOWED_ORIGINS")
    widget_identity_secret: SecretStr | None = Field(None, alias="RELAYBOT_WIDGET_IDENTITY_SECRET")

    # integrations
    shopify_shop: str | None = Field(None, alias="SHOPIFY_SHOP")
    shopify_access_token: SecretStr | None = Field(None, alias="SHOPIFY_ACCESS_TOKEN")
    shopify_api_base_url: str | None = Field(None, alias="SHOPIFY_API_BASE_URL")
    stripe_api_key: SecretStr | None = Field(None, alias="STRIPE_API_KEY")
    stripe_api_base_url: str = Field("https://api.stripe.com", alias="STRIPE_API_BASE_URL")
    refund_approval_above: Decimal | None = Field(None, alias="RELAYBOT_REFUND_APPROVAL_ABOVE")
    refund_confirm_timeout_s: float = Field(1800.0, alias="RELAYBOT_REFUND_CONFIRM_TIMEOUT", gt=0)
    refund_approval_timeout_s: float = Field(1800.0, alias="RELAYBOT_REFUND_APPROVAL_TIMEOUT", gt=0)
    smtp_host: str | None = Field(None, alias="SMTP_HOST")
    smtp_port: int = Field(587, alias="SMTP_PORT")
    smtp_username: str | None = Field(None, alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, alias="SMTP_PASSWORD")
    smtp_from: str | None = Field(None, alias="SMTP_FROM")
    smtp_starttls: bool = Field(True, alias="SMTP_STARTTLS")
    ai_api_base_url: str | None = Field(None, alias="AI_API_BASE_URL")
    ai_api_key: SecretStr | None = Field(None, alias="AI_API_KEY")
    ai_model: str = Field("gpt-4o-mini", alias="AI_MODEL")
    ai_timeout_s: float = Field(20.0, alias="AI_TIMEOUT", gt=0)

    @field_validator(
        "lead_stages",
        "slack_admin_user_ids",
        "widget_allowed_origins",
        "webhook_allowed_hosts",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.startswith("["):
                return json.loads(stripped)
            return [part.strip() for part in stripped.split(",") if part.strip()]
        return value

    @field_validator("slack_inbox_routes", mode="before")
    @classmethod
    def _split_pairs(cls, value: object) -> object:
        """``telegram=C1,team:billing=C3`` (or a JSON object) into a mapping."""
        if not isinstance(value, str):
            return value
        stripped = value.strip()
        if stripped.startswith("{"):
            return json.loads(stripped)
        pairs: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in stripped.split(","))):
            key, sep, channel = part.partition("=")
            if not sep or not key.strip() or not channel.strip():
                raise ValueError(f"{part!r} is not key=CHANNEL_ID")
            pairs[key.strip()] = channel.strip()
        return pairs

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _not_public(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip() in PUBLIC_SECRET_KEYS:
            raise ValueError(
                "this is a published example value; leave it unset (a random key is generated"
                " and kept in the database) or set your own, e.g. from: openssl rand -base64 48"
            )
        return value

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; a bad value stops with the variable's name."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from exc
