"""The real entry point in a subprocess (issue #12): the webhook's secret, start-up faults,
poison updates across a restart, and what reaches the log."""

from __future__ import annotations

import asyncio
import hmac
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.telegram.application import ALLOWED_UPDATES, build_application
from bot.engine import Catalog
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN, Founder, bot_settings, rows, until
from tests.telegram.processes import START_TIMEOUT, bot_process, stop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

SECRET = "the-webhook-secret_42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(user_id: int, update_id: int, chat_id: int | None = None) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_700_000_000, "text": "/start",
            "chat": {"id": chat_id or user_id, "type": "private", "first_name": "Ada"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ada", "language_code": "en"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }  # fmt: skip


# ------------------------------------------------------------ the webhook


async def test_webhook_mode_without_a_secret_refuses_to_start(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    extra = {
        "TELEGRAM_WEBHOOK_URL": "https://coach.example.invalid/telegram",
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(_free_port()),
        "FOUNDER_COACH_LOG_LEVEL": "INFO",
    }
    async with bot_process(fake, tmp_path / "bot.db", **extra) as proc:
        _, err = await asyncio.wait_for(proc.communicate(), timeout=START_TIMEOUT)
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert proc.returncode not in (0, None)
    assert len(lines) == 1, lines
    assert "TELEGRAM_WEBHOOK_SECRET" in lines[0]
    assert TOKEN not in lines[0]
    assert fake.calls_of("setWebhook") == []
    assert fake.calls_of("getMe") == []
    assert not (tmp_path / "bot.db").exists()


async def test_the_webhook_secret_is_compared_in_constant_time_in_our_code(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our server checks the header with hmac.compare_digest; wrong or missing is 403,
    and a forged update with a right secret but a foreign chat still reaches nobody."""
    from bot.adapters.telegram import webhook
    from bot.adapters.telegram.startup import serve

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)
    port = _free_port()
    settings = bot_settings(
        fake, tmp_path / "bot.db",
        telegram_webhook_url="https://coach.example.invalid/hook",
        telegram_webhook_secret=SECRET, telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port, telegram_webhook_path="hook",
    )  # fmt: skip
    stopping = asyncio.Event()
    app = build_application(settings, real_catalog)
    serving = asyncio.create_task(serve(app, settings, ALLOWED_UPDATES, stop=stopping))
    try:
        await fake.wait_for_call("setWebhook", timeout=START_TIMEOUT)
        assert fake.calls_of("setWebhook")[0].params["secret_token"] == SECRET
        url = f"http://127.0.0.1:{port}/hook"
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    missing = await client.post(url, json=_start(1401, 1))
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            wrong = await client.post(
                url, json=_start(1401, 2), headers={webhook.SECRET_HEADER: SECRET + "x"}
            )
            forged = await client.post(
                url, json=_start(1401, 3, chat_id=2002), headers={webhook.SECRET_HEADER: SECRET}
            )
            right = await client.post(
                url, json=_start(1401, 4), headers={webhook.SECRET_HEADER: SECRET}
            )
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert (forged.status_code, right.status_code) == (200, 200)
        await fake.wait_for_call("sendMessage", chat_id=1401)
    finally:
        stopping.set()
        await asyncio.wait_for(serving, timeout=30)
    assert (SECRET.encode() + b"x", SECRET.encode()) in compared
    assert (SECRET.encode(), SECRET.encode()) in compared
    assert fake.bot_messages(2002) == []
    assert rows(tmp_path / "bot.db", "SELECT external_id FROM users") == [("1401",)]


# ------------------------------------------------------------ start-up faults


async def test_transient_faults_at_start_up_are_retried(fake: FakeBotApi, tmp_path: Path) -> None:
    """Two 502s on getMe, a 429 and a 502 on setMyCommands: the bot starts and answers."""
    fake.fail_next("getMe", 502, times=2)
    fake.fail_next("setMyCommands", 429, retry_after=1)
    fake.fail_next("setMyCommands", 502)
    async with bot_process(fake, tmp_path / "bot.db") as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await Founder(fake, 1501).send("/start")
        code, log = await stop(proc, signal.SIGTERM)
    assert code == 0
    assert len([c for c in fake.calls_of("getMe") if c.ok]) == 1
    assert fake.my_commands()  # registered after all
    assert TOKEN not in log


def _read_only(path: Path, on: bool) -> None:
    """Make a file or folder unwritable, for root too (which ignores permission bits)."""
    import os

    if os.geteuid() == 0:
        flag = "+i" if on else "-i"
        if subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode:
            pytest.skip("root needs chattr +i to make a database read-only")
    else:
        path.chmod((0o555 if path.is_dir() else 0o444) if on else 0o755)


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid"), reason="POSIX only")
async def test_a_read_only_database_at_start_up_is_one_line(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """A database file in a folder the bot cannot write: one line, no traceback."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "bot.db"
    async with bot_process(fake, db) as proc:  # a database made by an earlier run
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await stop(proc, signal.SIGTERM)
    _read_only(db, True)
    _read_only(folder, True)
    try:
        async with bot_process(fake, db, FOUNDER_COACH_LOG_LEVEL="INFO") as proc:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=START_TIMEOUT)
    finally:
        _read_only(folder, False)
        _read_only(db, False)
    text = err.decode()
    assert proc.returncode not in (0, None)
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert str(db) in lines[0]


# ------------------------------------------------------------ a poison update


async def test_a_poison_update_does_not_stop_polling_sigterm_or_a_restart(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    ada = Founder(fake, 6666)
    async with bot_process(fake, db) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        poison = fake.user_sends(6666, "hi \ud800 there")
        await ada.send("/start")  # the same founder's next update is answered
        await until(lambda: fake.confirmed_offset > poison)
        code, log = await stop(proc, signal.SIGTERM)
    assert code == 0
    assert "database closed" in log
    assert "\ud800" not in log
    assert all(u["update_id"] != poison for u in fake.pending_updates())
    async with bot_process(fake, db) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        seen = len(ada.messages())
        await ada.send("/start")
        code, log = await stop(proc, signal.SIGTERM)
    assert len(ada.messages()) == seen + 1  # the consent question again, nothing else
    assert code == 0
    assert "UnicodeEncodeError" not in log  # not fetched, stored or replayed again
    assert rows(db, "SELECT payload FROM update_ledger WHERE update_id = ?", poison) == [
        ("failed: UnicodeEncodeError",)
    ]


# ------------------------------------------------------------ what reaches the log


@pytest.mark.parametrize("opt_in", [False, True])
async def test_founders_words_are_not_logged_at_debug_unless_asked(
    fake: FakeBotApi, tmp_path: Path, opt_in: bool
) -> None:
    extra = {"FOUNDER_COACH_LOG_TEXT": "1"} if opt_in else {}
    ada = Founder(fake, 1601)
    async with bot_process(fake, tmp_path / "bot.db", **extra) as proc:  # at DEBUG
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await ada.start()
        await ada.send("Zebediah-UNIQUE-NAME", expect="(2/8)")
        await ada.send("UNIQUE-STARTUP-NAME-XYZ", expect="(3/8)")
        code, log = await stop(proc, signal.SIGTERM)
    assert code == 0
    assert " DEBUG telegram" in log  # PTB's debug lines are there
    for word in ("Zebediah-UNIQUE-NAME", "UNIQUE-STARTUP-NAME-XYZ"):
        assert (word in log) is opt_in, word
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log


@pytest.mark.parametrize(
    "where",
    ["typo", "no scheme", "bad port"],
)
async def test_a_mistyped_base_url_is_one_line_without_the_token(
    fake: FakeBotApi, tmp_path: Path, where: str
) -> None:
    base = {
        "typo": f"{fake.base}/typo",  # a server that answers 404: PTB says "token rejected"
        "no scheme": f"127.0.0.1:{fake.port}",
        "bad port": "http://127.0.0.1:99999",
    }[where]
    async with bot_process(
        fake, tmp_path / "bot.db", TELEGRAM_API_BASE_URL=base, FOUNDER_COACH_LOG_LEVEL="ERROR"
    ) as proc:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=START_TIMEOUT)
    text = out.decode() + err.decode()
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert proc.returncode not in (0, None)
    assert "Traceback" not in text
    assert len(lines) == 1, text
    assert "TELEGRAM_API_BASE_URL" in lines[0]
    assert TOKEN not in text
    assert TOKEN.split(":")[1] not in text


def test_an_uncaught_exception_is_printed_redacted(tmp_path: Path) -> None:
    """Whatever escapes (the main thread or another) is printed through the redactor."""
    code = (
        "import threading\n"
        "from bot.logsafe import configure_logging\n"
        f"configure_logging('INFO', [{TOKEN!r}])\n"
        f"t = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError({TOKEN!r})))\n"
        "t.start(); t.join()\n"
        "from urllib.parse import quote\n"
        f"raise RuntimeError('rejected: ' + quote({TOKEN!r}, safe=''))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "RuntimeError" in done.stderr
    assert "[REDACTED]" in done.stderr
    assert TOKEN.split(":")[1] not in done.stderr
    json.dumps(done.stderr)  # printable
