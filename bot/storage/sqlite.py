"""The SQLite backend: pragmas, one write transaction per unit of work, closing.

One long-lived aiosqlite connection for writes in autocommit mode (``isolation_level=None``)
and an ``asyncio.Lock`` around every unit of work, so concurrent tasks never share a
half-done transaction. Writes start with ``BEGIN IMMEDIATE`` so a busy database is waited
for (``busy_timeout``) instead of failing half-way. Each unit of work sees a
:class:`Connection` that sends its statements in as few trips to the driver's thread as it
can. The connections must be closed: aiosqlite 0.22 runs a non-daemon thread per
connection that otherwise keeps the interpreter alive.

Reads that write nothing (:meth:`Database.reading`: a founder's language, /checkins lists,
/stats, the outbox) use a second, read-only connection with a lock of its own: in WAL mode
it reads beside the writer, so a read never waits for a turn and a turn never waits for a
read. A long read (an export of a long history) takes a connection of its own
(:meth:`Database.snapshot`), so nobody else's turn or read waits for it. Deleted rows are
overwritten with zeros (``secure_delete``), and :meth:`Database.checkpoint` moves a deletion
out of the WAL file, so a founder's words are gone from the files once they ask for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.errors import StorageError
from bot.storage.db import Connection, Database, Rows, Script
from bot.storage.dialect import SQLITE
from bot.storage.migrations import apply_migrations, schema_version

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000

_T = TypeVar("_T")


class _BeginFailed(Exception):
    """BEGIN itself failed (carried out of aiosqlite's thread to say so plainly)."""


class _CommitFailed(Exception):
    """COMMIT itself failed."""


class SqliteConnection(Connection):
    """A unit of work on an aiosqlite connection.

    Every call costs a trip to aiosqlite's thread, so the trips are few: ``BEGIN`` goes with
    the first statement, writes whose result nobody reads (:meth:`later`) wait and go with
    the next statement, or with ``COMMIT``. A turn is then about two trips, not thirty.
    """

    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection, begin: str | None) -> None:
        super().__init__()
        self._conn = conn
        self._begin = begin  # sent with the first statement
        self.begun = False

    async def run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` on the driver's thread, after the waiting writes, in one trip."""
        begin, later = self._begin, self._later
        self._begin, self._later = None, []

        def trip(raw: sqlite3.Connection) -> _T:
            if begin is not None:
                try:
                    raw.execute(begin)
                except sqlite3.Error as exc:
                    raise _BeginFailed(exc) from exc
            for sql, params in later:
                raw.execute(sql, params)
            return work(raw)

        if begin is not None:
            self.begun = True
        try:
            return await self._conn._execute(trip, self._conn._conn)
        except _BeginFailed as exc:
            self.begun = False
            raise StorageError(f"cannot start a transaction: {exc.__cause__}") from exc

    async def _execute(self, sql: str, params: Sequence[Any]) -> Rows:
        return await self.run(lambda raw: _rows(raw.execute(sql, params)))

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        rows = list(params)
        await self.run(lambda raw: raw.executemany(sql, rows))

    async def script(self, steps: Script[_T]) -> _T:
        def work(raw: sqlite3.Connection) -> _T:
            try:
                sql, params = next(steps)
                while True:
                    sql, params = steps.send(_rows(raw.execute(sql, params)))
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

        return await self.run(work)

    async def _end(self, finish: str) -> None:
        """Send the waiting writes and ``finish`` (COMMIT or ROLLBACK) in one trip."""
        if not self.begun and self._begin is not None and not self._later:
            return  # nothing was ever sent: there is no transaction to end
        self.begun = True

        def last(raw: sqlite3.Connection) -> None:
            try:
                raw.execute(finish)
            except sqlite3.Error as exc:
                raise _CommitFailed(exc) from exc

        try:
            await self.run(last)
        except _CommitFailed as exc:
            raise StorageError(f"cannot commit: {exc.__cause__}") from exc

    def _discard(self) -> None:
        self._later = []
        self._begin = None


def _rows(cursor: sqlite3.Cursor) -> Rows:
    """A cursor's rows, read on the driver's thread, and how many rows it changed."""
    rows = cursor.fetchall()
    columns = [column[0] for column in cursor.description or ()]
    return Rows(rows, cursor.rowcount if cursor.rowcount >= 0 else len(rows), columns)


class SqliteDatabase(Database):
    """The coach's database in a SQLite file (or in memory, for benches)."""

    backend = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._reader = conn  # the writer's, until open() gives the file a reader of its own
        self._read_lock = self._lock
        self.path = path

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> SqliteDatabase:
        """Connect, set the pragmas and bring the schema up to date."""
        target = str(path)
        if target != ":memory:":
            try:  # fail here, in one clear error, not later in aiosqlite's thread
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                sqlite3.connect(target).close()
            except (OSError, sqlite3.Error) as exc:
                raise StorageError(f"cannot open database {target}: {_reason(exc)}") from exc
        try:
            conn = await aiosqlite.connect(target, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {target}: {exc}") from exc
        db = cls(conn, target)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA secure_delete = ON")  # deleted text is zeroed, not freed
            if migrate:
                async with db._lock:
                    await apply_migrations(conn)
            if target != ":memory:":
                db._reader = await _read_only(target)
                db._read_lock = asyncio.Lock()
        except sqlite3.Error as exc:  # e.g. a read-only file or folder (WAL needs both)
            await db.close()
            raise StorageError(f"cannot use database {target}: {exc}") from exc
        except BaseException:
            await db.close()
            raise
        return db

    async def migrate(self) -> list[int]:
        """Apply the migrations the file lacks, under the write lock; the versions applied."""
        async with self._lock:
            try:
                return await apply_migrations(self._conn)
            except sqlite3.Error as exc:
                raise StorageError(f"cannot migrate {self.path}: {exc}") from exc

    async def schema_version(self) -> int:
        """The file's ``user_version``."""
        async with self._lock:
            return await schema_version(self._conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        async with self._lock:
            conn = SqliteConnection(self._conn, "BEGIN IMMEDIATE")
            try:
                yield conn
                await conn._end("COMMIT")
            except sqlite3.OperationalError as exc:  # locked, read-only, disk full, I/O
                await self._rollback(conn)
                raise StorageError(f"the database refused a write: {exc}") from exc
            except BaseException:
                await self._rollback(conn)
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Connection]:
        """A consistent read (a deferred transaction that only reads), beside the writer.

        On the read-only connection: it neither waits for the write lock nor holds it.
        """
        async with self._read_lock:
            conn = SqliteConnection(self._reader, "BEGIN")
            try:
                yield conn
            finally:
                await self._rollback(conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Connection]:
        """A consistent read on a connection of its own, not the writer's.

        WAL lets it run beside the writer: a long read (an export) holds no lock that any
        other founder's turn waits for, and sees the database as it was when it began. The
        connection is read-only and closed at the end. An in-memory database has only the
        one connection, so there this is :meth:`reading`.
        """
        if self.path == ":memory:":
            async with self.reading() as conn:
                yield conn
            return
        try:
            conn = await _read_only(self.path)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read: {exc}") from exc
        try:
            await conn.execute("BEGIN")
        except sqlite3.Error as exc:
            await conn.close()
            raise StorageError(f"cannot read: {exc}") from exc
        try:
            yield SqliteConnection(conn, None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read: {exc}") from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                await conn.execute("ROLLBACK")
            await conn.close()

    async def trace(self, callback: Callable[[str], None] | None) -> None:
        """Have every SQL statement the writer runs passed to ``callback`` (None: stop).

        For the tests and the bench that count what a turn costs.
        """
        raw = self._conn._conn
        await self._conn._execute(raw.set_trace_callback, callback)

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and empty it (after a founder is deleted).

        With ``secure_delete`` the pages written back hold zeros where the deleted rows
        were, and the WAL, which still held the old pages, is truncated to nothing. False
        (and a warning) if a reader kept it from completing; the next checkpoint, automatic
        after 1 000 pages, finishes it.
        """
        if self.path == ":memory:":
            return True
        async with self._lock:
            try:
                async with self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as rows:
                    row = await rows.fetchone()
            except sqlite3.Error as exc:
                log.warning("checkpoint failed: %s", exc)
                return False
        if row is not None and row[0]:
            log.warning("checkpoint could not complete: a reader was still busy")
            return False
        return True

    @staticmethod
    async def _rollback(conn: SqliteConnection) -> None:
        conn._discard()
        if not conn.begun:
            return  # nothing was sent, so nothing was begun
        try:
            await conn._conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("rollback after a failed transaction did nothing")

    async def close(self) -> None:
        """Close the connections (idempotent)."""
        for conn in {id(self._reader): self._reader, id(self._conn): self._conn}.values():
            with contextlib.suppress(ValueError):  # already closed
                await conn.close()


async def _read_only(path: str) -> aiosqlite.Connection:
    """A connection that can only read (WAL lets it read beside the writer)."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")  # as the writer's, for the same answers
        await conn.execute("PRAGMA query_only = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


def _reason(exc: BaseException) -> str:
    """An OS error without its repeated path: ``File exists`` rather than ``[Errno 17] …``."""
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        return f"{exc.filename} is a file, not a folder"
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc)
