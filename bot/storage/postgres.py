"""The PostgreSQL backend: a pool of asyncpg connections behind the same units of work.

asyncpg because a query costs about 18 µs of client CPU, against 55–60 for psycopg 3 (the
coach sends about seven statements a turn). Statements keep SQLite's ``?`` placeholders
and are translated once per text (:func:`bot.storage.dialect.postgres_statement`).

Write transactions run side by side, in this process as across workers (READ COMMITTED):
SQLite's ``BEGIN IMMEDIATE`` serialised every writer, here a per-founder advisory lock
keeps each founder's turns in order (:meth:`PostgresDatabase.session` gives the dedicated
connection such a lock needs; SCALE.md's rule 4), and rows shared by founders (the send
budget, check-in claims) are updated in one statement or claimed with SKIP LOCKED. One
writer at a time per process would put every commit's fsync in a queue: a worker on
PostgreSQL answered 22 updates a second that way, about 60 without it (bench/workers).
Reads run on connections of their own, in a REPEATABLE READ snapshot.

Migrations are the same numbered steps as SQLite's, tracked in a ``schema_version`` table and
applied under ``pg_advisory_lock``, so workers starting at once apply each step once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg

from bot.errors import StorageError
from bot.storage import migrations
from bot.storage.db import Connection, Database, Rows, Script, redacted
from bot.storage.dialect import POSTGRES, postgres_ddl, postgres_statement

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# pg_advisory_lock key of the migrations (any fixed number; "FCmigr" in ASCII)
MIGRATION_LOCK = 0x46436D696772
POOL_SIZE = 10  # connections for units of work
# Connections for founder locks: a founder's session lock holds one for the whole drain
# (and a worker waiting for a founder's lock holds one while it waits), so they come from a
# pool of their own. Shared, a work pool full of lock holders each waiting for a connection
# to do their turn with would wait forever. Per worker: POOL_SIZE + LOCK_POOL_SIZE at most.
LOCK_POOL_SIZE = 20

# What makes a unit of work fail for reasons of the server, not of the statement: the
# coach asks the founder to try again, as for a locked or full SQLite file.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutdown, cancelled
    asyncpg.exceptions.InsufficientResourcesError,  # disk full, too many connections
    asyncpg.exceptions.TransactionRollbackError,  # serialization failure, deadlock
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a standby
    asyncpg.exceptions.LockNotAvailableError,
    # a connection left mid-operation when the server went away ("cannot switch to state
    # 12; another operation is in progress"): the connection's fault, never the statement's
    asyncpg.InternalClientError,
)


def _broken(exc: BaseException | None) -> bool:
    """Whether an error (or what caused it) says the connection may be unusable."""
    while exc is not None:
        if isinstance(exc, UNAVAILABLE):
            return True
        exc = exc.__cause__
    return False


class PostgresConnection(Connection):
    """A unit of work on one pooled asyncpg connection.

    Each statement is a round trip (the server cannot take parameterised statements in one
    message), so ``BEGIN`` and the waiting writes go just before the next statement.
    """

    dialect = POSTGRES

    def __init__(
        self,
        conn: asyncpg.Connection,
        begin: str | None,
        trace: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._conn = conn
        self._begin = begin
        self._trace = trace
        self.begun = False

    async def _send(self, sql: str, params: Sequence[Any]) -> Rows:
        text, returns_rows = postgres_statement(sql)
        if self._trace is not None:
            self._trace(sql.strip())
        if returns_rows:
            rows = await self._conn.fetch(text, *params)
            return Rows(rows, len(rows), rows[0].keys() if rows else ())
        return Rows([], _changed(await self._conn.execute(text, *params)))

    async def _flush(self) -> None:
        """Send ``BEGIN`` (once) and the writes waiting for the next statement."""
        if self._begin is not None:
            begin, self._begin = self._begin, None
            if self._trace is not None:
                self._trace(begin)
            await self._conn.execute(begin)
            self.begun = True
        while self._later:
            waiting, self._later = self._later, []
            for sql, params in waiting:
                await self._send(sql, params)

    async def _execute(self, sql: str, params: Sequence[Any]) -> Rows:
        await self._flush()
        return await self._send(sql, params)

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        await self._flush()
        await self._conn.executemany(postgres_statement(sql)[0], [tuple(p) for p in params])

    async def script(self, steps: Script[_T]) -> _T:
        await self._flush()
        try:
            step = next(steps)
            while True:
                step = steps.send(await self._send(*step))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _end(self, finish: str) -> None:
        """Send the waiting writes, then ``finish`` (COMMIT or ROLLBACK)."""
        if not self.begun and self._begin is not None and not self._later:
            return  # nothing was ever sent: there is no transaction to end
        await self._flush()
        if self._trace is not None:
            self._trace(finish)
        await self._conn.execute(finish)

    def _discard(self) -> None:
        self._later = []
        self._begin = None


def _changed(status: str) -> int:
    """Rows changed, from a command tag: ``INSERT 0 1`` → 1, ``UPDATE 3`` → 3."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresDatabase(Database):
    """The coach's database on a PostgreSQL server (≥ 14)."""

    backend = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str, lock_pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._lock_pool = lock_pool
        self._trace: Callable[[str], None] | None = None
        self.path = redacted(url)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> PostgresDatabase:  # type: ignore[override]
        """Connect a pool and bring the schema up to date (under the migration lock)."""
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
        except (*UNAVAILABLE, asyncpg.PostgresError, ValueError) as exc:
            raise StorageError(f"cannot open database {redacted(url)}: {exc}") from exc
        # connects only when a founder lock is first taken (min_size=0)
        lock_pool = await asyncpg.create_pool(url, min_size=0, max_size=LOCK_POOL_SIZE)
        db = cls(pool, url, lock_pool)
        if migrate:
            try:
                await db.migrate()
            except BaseException:
                await db.close()
                raise
        return db

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            raw = await self._pool.acquire()
        except UNAVAILABLE as exc:
            raise StorageError(f"the database is unavailable: {exc}") from exc
        try:
            yield raw
        except BaseException as exc:
            if _broken(exc):  # never handed out again: the pool opens a fresh one
                with contextlib.suppress(asyncpg.InterfaceError):  # unless it did already
                    raw.terminate()
            raise
        finally:
            with contextlib.suppress(*UNAVAILABLE):
                await self._pool.release(raw)

    @property
    def pool(self) -> asyncpg.Pool:
        """The founder locks' own pool (see ``LOCK_POOL_SIZE``): a session lock holds a
        connection for as long as it is held or waited for."""
        return self._lock_pool

    async def migrate(self, *, target: int | None = None) -> list[int]:
        """Apply the migrations the database lacks, each in its own transaction with its row
        in ``schema_version``, holding the migration lock; the versions applied."""
        steps = migrations.MIGRATIONS  # read now: a test may add a step
        latest = steps[-1].version
        target = latest if target is None else target
        applied: list[int] = []
        async with self._acquire() as raw:
            try:
                await raw.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
                try:
                    await raw.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version "
                        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL "
                        "DEFAULT now())"
                    )
                    current = await _version(raw)
                    if current > latest:
                        raise RuntimeError(
                            f"the database is at schema {current}, newer than this coach "
                            f"({latest})"
                        )
                    for migration in steps:
                        if migration.version <= current or migration.version > target:
                            continue
                        async with raw.transaction():
                            for statement in migration.statements:
                                await raw.execute(postgres_ddl(statement))
                            await raw.execute(
                                "INSERT INTO schema_version (version) VALUES ($1)",
                                migration.version,
                            )
                        applied.append(migration.version)
                finally:
                    await raw.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
            except UNAVAILABLE as exc:
                raise StorageError(f"cannot migrate {self.path}: {exc}") from exc
        return applied

    async def schema_version(self) -> int:
        """The highest migration recorded in ``schema_version`` (0: none yet)."""
        async with self._acquire() as raw:
            exists = await raw.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
            return await _version(raw) if exists else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        async with self._acquire() as raw:
            conn = PostgresConnection(raw, "BEGIN", self._trace)
            try:
                yield conn
                await conn._end("COMMIT")
            except UNAVAILABLE as exc:
                await _rollback(conn)
                raise StorageError(f"the database refused a write: {exc}") from exc
            except BaseException:
                await _rollback(conn)
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Connection]:
        """A consistent read on a pooled connection of its own, beside any writer."""
        async with self._acquire() as raw:
            conn = PostgresConnection(raw, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield conn
            except UNAVAILABLE as exc:
                raise StorageError(f"cannot read: {exc}") from exc
            finally:
                await _rollback(conn)

    def snapshot(self) -> contextlib.AbstractAsyncContextManager[Connection]:
        """A long read: as :meth:`reading`, whose connection is already its own."""
        return self.reading()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Connection]:
        """A dedicated connection outside any transaction, for as long as the block runs.

        For session-level advisory locks (``SELECT pg_advisory_lock(?)``): the lock lives
        as long as this connection, and dies with the process if it crashes. Locks still
        held at the end are released when the pool takes the connection back.
        """
        async with self._acquire() as raw:
            yield PostgresConnection(raw, None)

    async def trace(self, callback: Callable[[str], None] | None) -> None:
        """Pass every statement of a write transaction to ``callback`` (None: stop)."""
        self._trace = callback

    async def close(self) -> None:
        """Close the pools (idempotent)."""
        await self._lock_pool.close()
        await self._pool.close()


async def _version(raw: asyncpg.Connection) -> int:
    return int(await raw.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


async def _rollback(conn: PostgresConnection) -> None:
    conn._discard()
    if not conn.begun:
        return
    try:
        await conn._conn.execute("ROLLBACK")
    except (*UNAVAILABLE, asyncpg.PostgresError):
        log.debug("rollback after a failed transaction did nothing")
