"""Settings, read once from the environment and ``.env``; the only place that reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PACKAGE = Path(__file__).resolve().parent


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
    founder_coach_db: Path = Field(
        default=Path("data/founder-coach.db"), description="SQLite database file."
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
    founder_coach_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level."
    )

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def load_settings(**overrides: object) -> Settings:
    """Read the settings; keyword overrides (from the command line) win."""
    values = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**values)  # type: ignore[arg-type]
