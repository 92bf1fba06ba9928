"""Settings, read once from the environment and ``.env``; the only place that reads them."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.knowledge.llm import LlmConfig

_PACKAGE = Path(__file__).resolve().parent
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _data_dir(name: str) -> Path:
    """Where ``flows/`` or ``content/`` is: inside the installed package, else the checkout."""
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


class Settings(BaseSettings):
    """Everything an operator can configure. Environment variables win over ``.env``."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather; without it the console coach runs."
    )
    telegram_api_base_url: str | None = Field(
        default=None,
        description="Bot API server, e.g. a self-hosted one (http://127.0.0.1:8081); "
        "default: Telegram's.",
    )
    telegram_admin_ids: str = Field(
        default="", description="Comma-separated Telegram user ids allowed to run /stats."
    )
    telegram_max_rate: float = Field(
        default=25, gt=0, le=30, description="Messages per second to Telegram (its limit is 30)."
    )
    telegram_webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS URL Telegram posts updates to; unset means long polling.",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends with every webhook request."
    )
    telegram_webhook_listen: str = Field(
        default="0.0.0.0",  # noqa: S104 - a webhook must be reachable from the proxy in front
        description="Address the webhook server listens on.",
    )
    telegram_webhook_port: int = Field(default=8443, description="Port of the webhook server.")
    telegram_webhook_path: str = Field(
        default="telegram", description="URL path of the webhook (never the token)."
    )
    telegram_webhook_max_connections: int = Field(
        default=40,
        ge=1,
        le=100,
        description="Requests Telegram may have open to the webhook at once (its default: 40).",
    )
    telegram_webhook_register: bool | None = Field(
        default=None,
        description="Whether `founder-coach run` registers the webhook at Telegram when it "
        "starts. Unset: yes on SQLite (one process), never on PostgreSQL (several workers: "
        "`founder-coach webhook set` registers it once per deploy).",
    )
    founder_coach_db: Path = Field(
        default=Path("data/founder-coach.db"), description="SQLite database file."
    )
    founder_coach_database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL server (postgresql://user:password@host:5432/db) for several "
        "workers; unset: the SQLite file FOUNDER_COACH_DB.",
    )
    founder_coach_exports: Path = Field(
        default=Path("exports"),
        description="Folder where the console and JSON lines write /export files.",
    )
    founder_coach_locale: Literal["en", "zh"] = Field(
        default="en", description="Language when the founder has chosen none."
    )
    founder_coach_flows_dir: Path = Field(
        default_factory=lambda: _data_dir("flows"), description="Folder of flow definitions."
    )
    founder_coach_content_dir: Path = Field(
        default_factory=lambda: _data_dir("content"), description="Folder of templates per locale."
    )
    founder_coach_quiet_hours: str = Field(
        default="22:00-08:00", description="Local hours when no check-in is sent (HH:MM-HH:MM)."
    )
    founder_coach_catchup_hours: float = Field(
        default=12, ge=0, description="A check-in missed by less than this is sent at start-up."
    )
    founder_coach_checkin_lease_seconds: float = Field(
        default=120,
        gt=0,
        description="A check-in still being sent this long after it was claimed was cut off "
        "(a crash) and is sent again.",
    )
    founder_coach_checkin_retry_seconds: float = Field(
        default=60,
        gt=0,
        description="A check-in Telegram did not take is tried again after this times "
        "2, 4, 8... (five attempts).",
    )
    founder_coach_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level."
    )
    founder_coach_log_text: bool = Field(
        default=False,
        description="At DEBUG, also log what founders write (updates, API parameters). "
        "Off by default: a log cannot be erased by /delete_my_data.",
    )

    founder_coach_llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible API for short /ask answers grounded in the passages "
        "(e.g. https://api.openai.com/v1); unset: /ask shows the passages only.",
    )
    founder_coach_llm_api_key: SecretStr | None = Field(
        default=None, description="API key of that endpoint (never logged)."
    )
    founder_coach_llm_model: str | None = Field(
        default=None, description="Model name to ask, e.g. gpt-4o-mini."
    )
    founder_coach_llm_timeout_seconds: float = Field(
        default=8, gt=0, le=60, description="After this, /ask shows the passages instead."
    )
    founder_coach_llm_daily_cap: int = Field(
        default=20, ge=0, description="Model answers per founder per day; then passages only."
    )

    @field_validator(
        "telegram_bot_token",
        "telegram_api_base_url",
        "founder_coach_llm_base_url",
        "founder_coach_llm_api_key",
        "founder_coach_llm_model",
        "telegram_webhook_url",
        "telegram_webhook_secret",
        "founder_coach_database_url",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_base_url", "telegram_webhook_url", "founder_coach_llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        name = (info.field_name or "").upper()
        value = value.strip()
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError as exc:
            raise ValueError(f"{name} is not a URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            raise ValueError(f"{name} must be an http:// or https:// URL with a host")
        return value

    @field_validator("founder_coach_database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(POSTGRES_SCHEMES):
            raise ValueError(
                "FOUNDER_COACH_DATABASE_URL must be a PostgreSQL URL "
                "(postgresql://user:password@host:5432/database)"
            )
        return value

    @field_validator("telegram_admin_ids")
    @classmethod
    def _admin_ids(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not part.lstrip("-").isdigit():
                raise ValueError(f"TELEGRAM_ADMIN_IDS: {part!r} is not a Telegram user id")
        return value

    @field_validator("founder_coach_quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("FOUNDER_COACH_QUIET_HOURS must look like 22:00-08:00")
        return value.strip()

    @property
    def secrets(self) -> list[str]:
        """Every secret a log line or an error message must never show."""
        found = [
            secret.get_secret_value()
            for secret in (
                self.telegram_bot_token,
                self.telegram_webhook_secret,
                self.founder_coach_llm_api_key,
            )
            if secret is not None
        ]
        password = self.database_password
        return [*found, *([password] if password else [])]

    @property
    def shared_database(self) -> bool:
        """Whether the database is PostgreSQL, shared by several workers (else SQLite)."""
        return self.founder_coach_database_url is not None

    @property
    def registers_webhook(self) -> bool:
        """Whether ``run`` calls setWebhook and sets the command menus when it starts."""
        if self.telegram_webhook_register is None:
            return not self.shared_database
        return self.telegram_webhook_register

    @property
    def quiet_hours(self) -> tuple[time, time]:
        """The quiet window as local (start, end)."""
        start, end = self.founder_coach_quiet_hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def llm(self) -> LlmConfig | None:
        """The language model for /ask, when all three of its settings are given."""
        url, key = self.founder_coach_llm_base_url, self.founder_coach_llm_api_key
        model = self.founder_coach_llm_model
        if not (url and key and model):
            return None
        return LlmConfig(
            base_url=url,
            api_key=key,
            model=model,
            timeout=self.founder_coach_llm_timeout_seconds,
            daily_cap=self.founder_coach_llm_daily_cap,
        )

    @property
    def database(self) -> str | Path:
        """What to open: the PostgreSQL URL if one is set, else the SQLite file."""
        if self.founder_coach_database_url is not None:
            return self.founder_coach_database_url.get_secret_value()
        return self.founder_coach_db

    @property
    def database_password(self) -> str | None:
        """The PostgreSQL URL's password, a secret kept out of logs and errors."""
        if self.founder_coach_database_url is None:
            return None
        return urlsplit(self.founder_coach_database_url.get_secret_value()).password

    @property
    def database_folder(self) -> Path | None:
        """The SQLite file's folder (where start-up checks are remembered); None otherwise."""
        database = self.database
        if isinstance(database, str) or str(database) == ":memory:":
            return None
        return database.parent

    @property
    def admin_ids(self) -> tuple[int, ...]:
        """The Telegram user ids allowed to run /stats."""
        return tuple(int(p) for p in self.telegram_admin_ids.split(",") if p.strip())


def default_content_dir() -> Path:
    """The content shipped with the coach (used when nothing else is configured)."""
    return _data_dir("content")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; keyword overrides (from the command line) win."""
    values = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**values)  # type: ignore[arg-type]
