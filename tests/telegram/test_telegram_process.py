"""The real entry point (`python -m bot run`) in a subprocess: restarts, crashes, logs, webhook."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN, Founder, rows
from tests.telegram.processes import START_TIMEOUT, bot_process
from tests.telegram.processes import stop as _stop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")


async def test_sigterm_then_restart_resumes_at_the_same_step(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """A graceful stop mid-flow closes the database; the founder continues after a restart."""
    db = tmp_path / "bot.db"
    ada = Founder(fake, 501)
    async with bot_process(fake, db) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await ada.start()
        await ada.send("Ada", expect="(2/8)")
        await ada.send("Acme", expect="(3/8)")
        code, log = await _stop(proc, signal.SIGTERM)
    assert code == 0
    assert "database closed" in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    async with bot_process(fake, db):
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        reply = await ada.send("/start", expect="(3/8)")
        assert "Welcome back" not in reply.text  # onboarding is not finished
        await ada.send("We review contracts for small law firms.", expect="(4/8)")
    assert [r[0] for r in rows(db, "SELECT step_id FROM answers ORDER BY id")] == [
        "name",
        "startup",
        "pitch",
    ]


async def test_sigkill_before_the_offset_is_confirmed_stores_nothing_twice(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """Killed after committing an answer but before Telegram heard the update was received:
    the update comes again after the restart and is not applied a second time."""
    db = tmp_path / "bot.db"
    ada = Founder(fake, 502)
    async with bot_process(fake, db) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await ada.start()
        await ada.send("Ada", expect="(2/8)")
        await fake.wait_for_poll()
        fake.delay("getUpdates", math.inf)  # the next poll, which would confirm, never returns
        # long enough to pass as the next answer (the pitch) if it were applied twice
        await ada.send("Acme Robotics International", expect="(3/8)")
        confirmed = fake.confirmed_offset
        await _stop(proc, signal.SIGKILL)
    fake.delay("getUpdates", None)
    redelivered = "Acme Robotics International"
    assert any(u.get("message", {}).get("text") == redelivered for u in fake.pending_updates())
    async with bot_process(fake, db):
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await asyncio.sleep(0)  # let the re-delivered update be fetched
        reply = await ada.send("/start", expect="(3/8)")
        assert "(3/8)" in reply.text
    assert fake.confirmed_offset > confirmed
    assert [r[0] for r in rows(db, "SELECT step_id FROM answers ORDER BY id")] == [
        "name",
        "startup",
    ]


async def test_sigkill_mid_flow_loses_no_committed_answer(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    ada = Founder(fake, 503)
    async with bot_process(fake, db) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await ada.start()
        await ada.send("Ada", expect="(2/8)")
        await ada.send("Acme", expect="(3/8)")
        await _stop(proc, signal.SIGKILL)
    async with bot_process(fake, db):
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await ada.send("/start", expect="(3/8)")
    assert rows(db, "SELECT step_id, revision FROM answers ORDER BY id") == [
        ("name", 1),
        ("startup", 1),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _webhook_settings(port: int, secret: str) -> dict[str, str]:
    """The environment of a bot serving a webhook on 127.0.0.1:``port``."""
    return {
        "TELEGRAM_WEBHOOK_URL": "https://coach.example.invalid/telegram",
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
    }


async def _signed(
    client: httpx.AsyncClient, url: str, update: dict[str, Any], secret: str
) -> httpx.Response:
    """POST an update as Telegram does, with the webhook's secret header."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
    return await client.post(url, content=json.dumps(update), headers=headers)


async def test_webhook_mode_checks_the_secret(fake: FakeBotApi, tmp_path: Path) -> None:
    """With a webhook configured the bot registers it and serves updates posted to it."""
    port, secret = _free_port(), "s3cret-webhook-token"
    extra = _webhook_settings(port, secret)
    async with bot_process(fake, tmp_path / "bot.db", **extra) as proc:
        await fake.wait_for_call("setWebhook", timeout=START_TIMEOUT)
        assert fake.webhook_url == "https://coach.example.invalid/telegram"
        update = {
            "update_id": 7001,
            "message": {
                "message_id": 1, "date": 1_700_000_000, "text": "/start",
                "chat": {"id": 504, "type": "private", "first_name": "Ada"},
                "from": {"id": 504, "is_bot": False, "first_name": "Ada", "language_code": "en"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }  # fmt: skip
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # the server may need a moment after setWebhook
                try:
                    refused = await client.post(url, json=update)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            assert refused.status_code == 403
            accepted = await _signed(client, url, update, secret)
            assert accepted.status_code == 200
            # in the ledger before Telegram heard 200
            assert rows(tmp_path / "bot.db", "SELECT update_id FROM update_ledger") == [(7001,)]
            [call] = await fake.wait_for_call("sendMessage", chat_id=504)
            # Telegram retries a webhook it thinks failed
            again = await _signed(client, url, update, secret)
            assert again.status_code == 200
            later = {**update, "update_id": 7002}  # handled after the retry, in order
            await _signed(client, url, later, secret)
            await fake.wait_for_call("sendMessage", n=2, chat_id=504)
        assert "Founder Coach" in call.params["text"]
        ledger = "SELECT update_id FROM update_ledger ORDER BY update_id"
        assert rows(tmp_path / "bot.db", ledger) == [(7001,), (7002,)]
        assert len(fake.calls_of("sendMessage", chat_id=504)) == 2  # the retry was dropped
        _, log = await _stop(proc, signal.SIGTERM)
    assert secret not in log
    assert TOKEN not in log


async def test_a_webhook_flood_is_taken_and_left_out_past_the_backlog(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """Every update of a flood is answered 200 (Telegram must not send it again), those
    past the founder's backlog are neither parsed nor stored, and the founder is told."""
    port, secret = _free_port(), "s3cret-webhook-token"
    extra = _webhook_settings(port, secret)

    def message(update_id: int, text: str) -> dict[str, Any]:
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id, "date": 1_700_000_000, "text": text,
                "chat": {"id": 505, "type": "private", "first_name": "Ada"},
                "from": {"id": 505, "is_bot": False, "first_name": "Ada", "language_code": "en"},
            },
        }  # fmt: skip

    flood = 300
    async with bot_process(fake, tmp_path / "bot.db", **extra):
        await fake.wait_for_call("setWebhook", timeout=START_TIMEOUT)
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # the server may need a moment after setWebhook
                try:
                    await client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            answers = await asyncio.gather(
                *(
                    _signed(client, url, message(8000 + i, f"spam {i} " + "x" * 70), secret)
                    for i in range(flood)
                )
            )
            assert {answer.status_code for answer in answers} == {200}
            await fake.wait_for_call("sendMessage", chat_id=505)
            await asyncio.sleep(1.0)
        stored = rows(tmp_path / "bot.db", "SELECT count(*) FROM update_ledger")[0][0]
        assert 1 <= stored < flood
        notices = [
            call
            for call in fake.calls_of("sendMessage", chat_id=505)
            if "faster than I can answer" in call.params["text"]
        ]
        assert 1 <= len(notices) <= 3
