"""``founder-coach webhook set | info | delete`` against the fake Bot API on 127.0.0.1.

The command line runs as an operator runs it (``main``, settings from the environment),
in a thread beside the fake's event loop.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.adapters.telegram.application import ALLOWED_UPDATES
from bot.adapters.telegram.menus import COMMANDS
from bot.cli import main
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN

URL = "https://coach.example.com/telegram"
SECRET = "the-webhook-secret_42"


@pytest.fixture
def operator(fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):  # type: ignore[no-untyped-def]
    """Run ``founder-coach webhook ...`` with the deploy's settings; (exit code, out, err)."""
    for name in ("TELEGRAM_WEBHOOK_MAX_CONNECTIONS", "TELEGRAM_WEBHOOK_REGISTER",
                 "FOUNDER_COACH_DATABASE_URL", "FOUNDER_COACH_LOG_LEVEL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", URL)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)

    async def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(main, ["webhook", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def test_set_twice_calls_set_webhook_once(fake: FakeBotApi, operator) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = await operator("set")
    assert code == 0
    assert "webhook set" in out
    code, out, _ = await operator("set")
    assert code == 0
    assert "webhook unchanged" in out
    [call] = fake.calls_of("setWebhook")
    assert call.params["url"] == URL
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == list(ALLOWED_UPDATES)
    assert call.params["max_connections"] == 40
    assert call.params["drop_pending_updates"] is False  # pending updates are never dropped
    assert fake.webhook_secret == SECRET


async def test_set_registers_the_command_menus_in_every_language(
    fake: FakeBotApi,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    code, out, _ = await operator("set")
    assert code == 0
    assert "command menus set: en, zh" in out
    zh = fake.my_commands(language_code="zh")
    assert [c["command"] for c in zh] == list(COMMANDS)
    assert all(not c["description"].isascii() for c in zh)  # in Chinese
    assert [c["command"] for c in fake.my_commands()] == list(COMMANDS)


async def test_set_calls_again_when_a_setting_changed(
    fake: FakeBotApi, operator, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    await operator("set")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_MAX_CONNECTIONS", "80")
    code, out, _ = await operator("set")
    assert code == 0
    assert "max_connections" in out
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", URL + "2")
    code, out, _ = await operator("set")
    assert "(url)" in out
    assert [c.params["max_connections"] for c in fake.calls_of("setWebhook")] == [40, 80, 80]
    assert fake.webhook_url == URL + "2"


async def test_a_new_secret_is_sent_with_force_or_after_a_403(
    fake: FakeBotApi, operator, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Telegram never shows the secret: --force sends it, and so does a refused delivery."""
    await operator("set")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "rotated-secret")
    await operator("set")
    assert fake.webhook_secret == SECRET  # nothing could tell it changed
    code, out, _ = await operator("set", "--force")
    assert code == 0
    assert "forced" in out
    assert fake.webhook_secret == "rotated-secret"
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "rotated-again")
    fake.webhook_last_error = (int(time.time()), "Wrong response from the webhook: 403 Forbidden")
    code, out, _ = await operator("set")
    assert "secret" in out
    assert fake.webhook_secret == "rotated-again"
    assert len(fake.calls_of("setWebhook")) == 3


async def test_info_shows_the_state_but_never_the_token_or_the_secret(
    fake: FakeBotApi,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    code, out, err = await operator("info")
    assert code == 0
    assert "webhook: none" in out
    assert "differ" in out
    await operator("set")
    fake.user_sends(77, "hello")  # waits at Telegram: nobody polls
    fake.webhook_last_error = (
        int(time.time()),
        "Wrong response from the webhook: 502 Bad Gateway",
    )
    code, out, err = await operator("info")
    assert code == 0
    assert f"webhook: {URL}" in out
    assert "pending updates: 1" in out
    assert "502 Bad Gateway" in out
    assert "allowed updates: message, callback_query" in out
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET):
        assert secret not in out + err
    assert fake.calls_of("setWebhook", url=URL)  # info changed nothing
    assert len(fake.calls_of("setWebhook")) == 1


async def test_delete_removes_the_webhook_and_keeps_pending_updates(
    fake: FakeBotApi,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    await operator("set")
    fake.user_sends(77, "hello")
    code, out, _ = await operator("delete")
    assert code == 0
    assert "deleted" in out
    assert fake.webhook_url == ""
    assert fake.calls_of("deleteWebhook")[0].params.get("drop_pending_updates") is False
    assert len(fake.pending_updates()) == 1


async def test_set_without_webhook_settings_says_what_is_missing(
    fake: FakeBotApi, operator, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL")
    code, _, err = await operator("set")
    assert code != 0
    assert "TELEGRAM_WEBHOOK_URL" in err
    assert fake.calls_of("setWebhook") == []
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", URL)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    code, _, err = await operator("set")
    assert code != 0
    assert "TELEGRAM_WEBHOOK_SECRET" in err
    assert fake.calls_of("setWebhook") == []
