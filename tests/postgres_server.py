"""A real PostgreSQL for the tests: Debian's server started in a temporary folder, or the one
``FOUNDER_COACH_TEST_DATABASE_URL`` names.

The server listens on a Unix socket only (``listen_addresses=''``), with ``fsync`` off: it
holds nothing worth keeping. ``initdb`` refuses to run as root, so as root the server runs
as the ``postgres`` user in a folder it owns. Each test gets a database of its own, copied
from a migrated template (``CREATE DATABASE … TEMPLATE``: a file copy, not a migration).
Where there is no server and no URL, :func:`unavailable` says why and the tests skip;
``FOUNDER_COACH_REQUIRE_POSTGRES=1`` (CI) makes that a failure instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.storage import Database
from bot.storage.dialect import postgres_statement

URL_VARIABLE = "FOUNDER_COACH_TEST_DATABASE_URL"
REQUIRE_VARIABLE = "FOUNDER_COACH_REQUIRE_POSTGRES"
_T = TypeVar("_T")
_names = itertools.count(1)


def required() -> bool:
    """Whether a missing PostgreSQL fails the tests instead of skipping them (CI)."""
    return os.environ.get(REQUIRE_VARIABLE, "") == "1"


def _binaries() -> Path | None:
    """Debian's server binaries, the newest version installed (15 on bookworm)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def _in_thread(work: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to the end on a loop of its own (a session fixture has none)."""
    result: list[_T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(work()))
        except BaseException as exc:  # handed to the caller
            error.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """A query's rows as tuples (``?`` placeholders, as the storage modules write them), for
    tests that read the database beside a running bot, from synchronous code."""
    statement, _ = postgres_statement(sql)

    async def work() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(row) for row in await conn.fetch(statement, *params)]
        finally:
            await conn.close()

    return _in_thread(work)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@dataclass
class Server:
    """A PostgreSQL server the tests may create databases on."""

    admin_url: str  # a database to connect to for CREATE DATABASE
    folder: Path | None = None  # ours to stop and remove, if we started it
    as_postgres: bool = False
    durable: bool = False  # started with PostgreSQL's own durability (see :func:`start`)
    # this session's own template: two sessions on one server (a shared URL) never meet
    template: str = f"founder_coach_template_{os.getpid()}"

    def url(self, name: str) -> str:
        return with_database(self.admin_url, name)

    async def create(self, *, empty: bool = False) -> str:
        """A fresh database, migrated (a copy of the template) unless ``empty``; its URL."""
        name = f"founder_coach_{os.getpid()}_{next(_names)}"
        template = "template0" if empty else self.template
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await conn.close()
        return self.url(name)

    async def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def prepare_template(self) -> None:
        """(Re)create the migrated template database every test database is copied from."""

        async def work() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{self.template}"')
            finally:
                await conn.close()
            db = await Database.open(self.url(self.template))
            await db.close()

        _in_thread(work)

    @property
    def pid(self) -> int | None:
        """The postmaster's process id, if we started the server."""
        if self.folder is None:
            return None
        try:
            return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    @property
    def restartable(self) -> bool:
        """Whether this session started the server (and so may stop and start it)."""
        return self.folder is not None

    def halt(self, mode: str = "fast") -> None:
        """Stop the server as an operator or a crash would (``fast``: sessions terminated,
        a clean shutdown; ``immediate``: no shutdown checkpoint, recovery at the next start),
        keeping its data. Blocking: call it in a thread beside a running test."""
        assert self.folder is not None, "not our server: it cannot be stopped"
        _run_as(self.as_postgres, [str(_binaries() / "pg_ctl"), "-D", str(self.folder / "data"),
                                   "-m", mode, "-w", "stop"])  # fmt: skip

    def resume(self) -> None:
        """Start the server again after :meth:`halt`, on the same socket (blocking)."""
        assert self.folder is not None, "not our server: it cannot be started"
        _launch(self.as_postgres, self.folder, durable=self.durable)

    def stop(self) -> None:
        if self.folder is None:  # someone else's server: leave it as we found it
            _in_thread(lambda: self.drop(self.url(self.template)))
            return
        _run_as(self.as_postgres, [str(_binaries() / "pg_ctl"), "-D", str(self.folder / "data"),
                                   "-m", "immediate", "stop"], check=False)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


def _run_as(as_postgres: bool, argv: list[str], *, check: bool = True) -> None:
    if as_postgres:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip() or done.stdout}")


def _launch(as_postgres: bool, folder: Path, *, durable: bool = False) -> None:
    """``pg_ctl start`` on the data in ``folder``, listening on a socket there only;
    without ``durable``, fsync and synchronous commits are off (the tests keep nothing)."""
    options = f"-c listen_addresses='' -k {folder} -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run_as(as_postgres, [str(_binaries() / "pg_ctl"), "-D", str(folder / "data"), "-w",
                          "-o", options, "-l", str(folder / "server.log"), "start"])  # fmt: skip


def binaries_missing() -> str | None:
    """Why this machine cannot start a PostgreSQL server, or None if it can."""
    if _binaries() is None:
        return (
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; "
            "apt-get install postgresql)"
        )
    return None


def start(*, durable: bool = False) -> Server | str:
    """A server for this test session, or why there is none. ``durable`` keeps PostgreSQL's
    own defaults (fsync, synchronous commits), as an operator would run it: the benchmarks
    measure that, the tests need no durability."""
    url = os.environ.get(URL_VARIABLE)
    if url and not durable:
        return Server(admin_url=url)
    binaries = _binaries()
    if binaries is None:
        return (
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; "
            f"apt-get install postgresql, or set {URL_VARIABLE})"
        )
    as_postgres = os.geteuid() == 0
    if as_postgres and shutil.which("runuser") is None:
        return "running as root, and runuser (to start PostgreSQL as postgres) is missing"
    folder = Path(tempfile.mkdtemp(prefix="founder-coach-pg-"))
    if as_postgres:
        shutil.chown(folder, user="postgres")
    data = folder / "data"
    server = Server(
        admin_url=f"postgresql://postgres@/postgres?host={folder}",
        folder=folder,
        as_postgres=as_postgres,
        durable=durable,
    )
    try:
        initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "--locale=C", "-E", "UTF8", "--no-sync"]  # fmt: skip
        _run_as(as_postgres, initdb)
        _launch(as_postgres, folder, durable=durable)
    except (RuntimeError, OSError) as exc:
        server.stop()
        return f"PostgreSQL did not start: {exc}"
    return server
