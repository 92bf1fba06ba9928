"""``/healthz``: 200 only when the database answers and the worker is not draining."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import tornado.httpserver
import tornado.web

from bot.adapters.telegram.health import HEALTH_PATH, HealthHandler, Worker
from bot.config import Settings
from bot.storage import Database


@asynccontextmanager
async def serving(worker: Worker) -> AsyncIterator[str]:
    app = tornado.web.Application([(HEALTH_PATH, HealthHandler, {"worker": worker})])
    server = tornado.httpserver.HTTPServer(app)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.setblocking(False)
    server.add_sockets([sock])
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{HEALTH_PATH}"
    finally:
        server.stop()
        await server.close_all_connections()


async def test_healthy_while_the_database_answers_then_503_when_it_does_not(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "coach.db")
    worker = Worker(db)
    async with serving(worker) as url, httpx.AsyncClient() as client:
        ok = await client.get(url)
        assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
        assert ok.headers["Cache-Control"] == "no-store"
        await db.close()  # as good as a database that went away
        down = await client.get(url)
        assert (down.status_code, down.json()) == (503, {"status": "database unreachable"})
        assert str(tmp_path) not in down.text  # nothing about where or what the database is


async def test_draining_is_503_even_with_the_database_up(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "coach.db") as db:
        worker = Worker(db)
        async with serving(worker) as url, httpx.AsyncClient() as client:
            worker.drain()
            answer = await client.get(url)
            head = await client.head(url)
    assert (answer.status_code, answer.json()) == (503, {"status": "draining"})
    assert head.status_code == 503


async def test_the_drain_waits_for_a_post_being_stored() -> None:
    worker = Worker(None)
    with worker.accepting():
        worker.drain()
        task = asyncio.ensure_future(worker.accepted())
        await asyncio.sleep(0.05)
        assert not task.done()  # the update is not stored yet
    await asyncio.wait_for(task, 1)


def test_workers_on_postgresql_never_register_the_webhook() -> None:
    alone = Settings(founder_coach_db=Path("x.db"))
    assert alone.registers_webhook
    assert not Settings(telegram_webhook_register=False).registers_webhook
    shared = Settings(founder_coach_database_url="postgresql://coach:s3cret-pw@db/coach")
    assert shared.shared_database
    assert not shared.registers_webhook
    assert "s3cret-pw" in shared.secrets  # redacted from every log line and error


def test_the_database_url_comes_from_its_variable(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FOUNDER_COACH_DATABASE_URL", "postgresql://coach@db/coach")
    assert Settings().shared_database
    monkeypatch.setenv("FOUNDER_COACH_DATABASE_URL", " ")
    assert Settings().founder_coach_database_url is None
