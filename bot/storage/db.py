"""The SQLite connection: pragmas, one write transaction per unit of work, closing.

One long-lived aiosqlite connection in autocommit mode (``isolation_level=None``) and an
``asyncio.Lock`` around every unit of work, so concurrent tasks never share a half-done
transaction. Writes start with ``BEGIN IMMEDIATE`` so a busy database is waited for
(``busy_timeout``) instead of failing half-way. The connection must be closed: aiosqlite
0.22 runs a non-daemon thread that otherwise keeps the interpreter alive.

A long read (an export of a long history) takes a connection of its own
(:meth:`Database.snapshot`): in WAL mode it reads a consistent snapshot beside the writer,
so nobody else's turn waits for it. Deleted rows are overwritten with zeros
(``secure_delete``), and :meth:`Database.checkpoint` moves a deletion out of the WAL file,
so a founder's words are gone from the files once they ask for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.errors import StorageError
from bot.storage.migrations import apply_migrations

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


class Database:
    """The coach's database; create with :meth:`open`, always :meth:`close`."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
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
        except sqlite3.Error as exc:  # e.g. a read-only file or folder (WAL needs both)
            await conn.close()
            raise StorageError(f"cannot use database {target}: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return db

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot start a transaction: {exc}") from exc
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:  # locked, read-only, disk full, I/O
                await self._rollback()
                raise StorageError(f"the database refused a write: {exc}") from exc
            except BaseException:
                await self._rollback()
                raise
            try:
                await self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._rollback()
                raise StorageError(f"cannot commit: {exc}") from exc

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """A consistent read (a deferred transaction that only reads)."""
        async with self._lock:
            try:
                await self._conn.execute("BEGIN")
            except sqlite3.Error as exc:
                raise StorageError(f"cannot read: {exc}") from exc
            try:
                yield self._conn
            finally:
                await self._rollback()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
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
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read: {exc}") from exc
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA query_only = ON")
            await conn.execute("BEGIN")
        except sqlite3.Error as exc:
            await conn.close()
            raise StorageError(f"cannot read: {exc}") from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read: {exc}") from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                await conn.execute("ROLLBACK")
            await conn.close()

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

    async def _rollback(self) -> None:
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("rollback after a failed transaction did nothing")

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(ValueError):  # already closed
            await self._conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _reason(exc: BaseException) -> str:
    """An OS error without its repeated path: ``File exists`` rather than ``[Errno 17] …``."""
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        return f"{exc.filename} is a file, not a folder"
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc)
