"""Workers behind a load balancer, as real processes (``python -m bot run``) in webhook mode:
no ``setWebhook`` at start, ``/healthz``, and the drain on SIGTERM (issue #15)."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.telegram.webhook import SECRET_HEADER
from tests.conftest import need_postgres
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN, rows, until
from tests.telegram.processes import bot_process

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

SECRET = "worker-secret_15"
START = 120.0  # three processes checking their templates at once, on a shared machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _webhook(port: int, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_WEBHOOK_URL": "https://coach.example.invalid/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
        **extra,
    }


def _start(user_id: int, update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_700_000_000, "text": "/start",
            "chat": {"id": user_id, "type": "private", "first_name": "Ada"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ada", "language_code": "en"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }  # fmt: skip


async def _post(client: httpx.AsyncClient, port: int, update: dict[str, Any]) -> httpx.Response:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}/telegram"
    return await client.post(url, content=json.dumps(update), headers=headers)


async def _healthy(client: httpx.AsyncClient, port: int, timeout: float = START) -> httpx.Response:  # noqa: ASYNC109
    """Wait until the worker listens and says it is healthy."""

    async def probe() -> httpx.Response | None:
        try:
            answer = await client.get(f"http://127.0.0.1:{port}/healthz")
        except httpx.TransportError:
            return None
        return answer if answer.status_code == 200 else None

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (answer := await probe()) is None:
        if loop.time() > deadline:
            raise TimeoutError(f"worker on port {port} not healthy within {timeout}s")
        await asyncio.sleep(0.1)
    return answer


async def test_three_workers_starting_at_once_make_no_set_webhook(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """Workers leave setWebhook and the menus to `founder-coach webhook set`."""
    ports = [_free_port() for _ in range(3)]
    worker = {"TELEGRAM_WEBHOOK_REGISTER": "false"}
    async with (
        bot_process(fake, tmp_path / "w1.db", **_webhook(ports[0], **worker)),
        bot_process(fake, tmp_path / "w2.db", **_webhook(ports[1], **worker)),
        bot_process(fake, tmp_path / "w3.db", **_webhook(ports[2], **worker)),
        httpx.AsyncClient() as client,
    ):
        answers = await asyncio.gather(*(_healthy(client, port) for port in ports))
        assert [a.json() for a in answers] == [{"status": "ok"}] * 3
        accepted = await _post(client, ports[1], _start(1501, 9001))
        assert accepted.status_code == 200
        await fake.wait_for_call("sendMessage", chat_id=1501, timeout=30)
    assert fake.calls_of("setWebhook") == []
    assert fake.calls_of("setMyCommands") == []
    assert fake.webhook_url == ""


async def test_three_workers_on_one_postgresql_share_the_founders_and_never_register(
    fake: FakeBotApi, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """SCALE.md's deployment: three `founder-coach run` processes on one PostgreSQL with no
    register setting at all. None calls setWebhook or sets the menus, and three founders'
    /start, each posted to a different worker, are each stored and answered once."""
    server = need_postgres(request)
    url = await server.create()
    ports = [_free_port() for _ in range(3)]
    shared = {"FOUNDER_COACH_DATABASE_URL": url}
    try:
        async with (
            bot_process(fake, tmp_path / "unused.db", **_webhook(ports[0], **shared)),
            bot_process(fake, tmp_path / "unused.db", **_webhook(ports[1], **shared)),
            bot_process(fake, tmp_path / "unused.db", **_webhook(ports[2], **shared)),
            httpx.AsyncClient() as client,
        ):
            await asyncio.gather(*(_healthy(client, port) for port in ports))
            for n, port in enumerate(ports):
                accepted = await _post(client, port, _start(1701 + n, 9201 + n))
                assert accepted.status_code == 200
            for n in range(3):
                await fake.wait_for_call("sendMessage", chat_id=1701 + n, timeout=30)
            await until(
                lambda: rows(url, "SELECT count(*) FROM processed_updates")[0][0] == 3, timeout=30
            )
            assert rows(url, "SELECT count(*) FROM update_ledger")[0][0] == 3
        assert fake.calls_of("setWebhook") == []
        assert fake.calls_of("setMyCommands") == []
        assert not (tmp_path / "unused.db").exists()  # nothing went to a SQLite file
    finally:
        await server.drop(url)


async def test_sigterm_drains_answers_the_update_in_flight_and_turns_new_ones_away(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """SIGTERM mid-turn: 503 to a new POST and to /healthz, the turn in flight finishes and
    its reply is sent, the database closes, exit 0."""
    db = tmp_path / "bot.db"
    port = _free_port()
    async with (
        bot_process(fake, db, **_webhook(port)) as proc,
        httpx.AsyncClient(timeout=30) as client,
    ):
        health = await _healthy(client, port)
        assert health.json() == {"status": "ok"}
        assert fake.calls_of("setWebhook")  # alone on SQLite it registers, as before
        # the reply is under way when SIGTERM comes (3 s: below PTB's 5 s read time-out)
        fake.delay("sendMessage", 3.0, times=1)
        accepted = await _post(client, port, _start(1601, 9101))
        assert accepted.status_code == 200

        def replying() -> bool:
            return any(
                c.method.lower() == "sendmessage" and c.status is None for c in fake.calls
            )  # method names are case-insensitive at Telegram, as at the fake

        await until(replying, timeout=60)
        proc.send_signal(signal.SIGTERM)

        async def draining() -> httpx.Response | None:
            answer = await client.get(f"http://127.0.0.1:{port}/healthz")
            return answer if answer.status_code == 503 else None

        for _ in range(1000):
            if (health := await draining()) is not None:
                break
            await asyncio.sleep(0.01)
        assert health is not None
        assert health.json() == {"status": "draining"}
        refused = await _post(client, port, _start(1602, 9102))
        assert refused.status_code == 503  # Telegram delivers it again, to another worker
        assert replying()  # all of this while the turn was still in flight
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    log = err.decode()
    assert proc.returncode == 0, log[-2000:]
    [reply] = fake.calls_of("sendMessage", chat_id=1601)
    assert reply.ok
    assert "Founder Coach" in reply.params["text"]
    assert fake.calls_of("sendMessage", chat_id=1602) == []
    assert rows(db, "SELECT update_id FROM update_ledger") == [(9101,)]
    assert "database closed" in log
    assert TOKEN not in log
    assert SECRET not in log


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({}, "polling"),  # no webhook at all
        (
            _webhook(8443, TELEGRAM_WEBHOOK_REGISTER="true"),
            "TELEGRAM_WEBHOOK_REGISTER",
        ),
    ],
)
async def test_postgresql_refuses_what_several_workers_cannot_share(
    fake: FakeBotApi, tmp_path: Path, extra: dict[str, str], says: str
) -> None:
    url = "postgresql://coach:pg-pass-word@127.0.0.1:9/coach"
    async with bot_process(
        fake,
        tmp_path / "bot.db",
        FOUNDER_COACH_DATABASE_URL=url,
        FOUNDER_COACH_LOG_LEVEL="INFO",
        **extra,
    ) as proc:
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert proc.returncode not in (0, None)
    assert len(lines) == 1, lines
    assert "FOUNDER_COACH_DATABASE_URL" in lines[0] or "PostgreSQL" in lines[0]
    assert says in lines[0]
    assert "pg-pass-word" not in lines[0]
    assert fake.calls == []  # refused before anything reached Telegram
