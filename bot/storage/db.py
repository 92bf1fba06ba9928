"""The storage seam: what the storage modules are given, and opening either backend.

The coach, check-ins and tests see a :class:`Database` (units of work) and, inside one, a
:class:`Connection` (statements). Two backends stand behind them: SQLite, the embedded
default (:mod:`bot.storage.sqlite`), and PostgreSQL for several workers
(:mod:`bot.storage.postgres`). The SQL is written once with ``?`` placeholders; the few
places where the dialects differ are named in :mod:`bot.storage.dialect`. Nothing outside
``bot/storage`` names a driver.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Sequence,
)
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from bot.storage.dialect import Dialect

_T = TypeVar("_T")

# A script's step: one statement and its parameters; the script is sent back its Rows.
Step = tuple[str, Sequence[Any]]
Script = Generator[Step, "Rows", _T]


def is_postgres(target: str | Path) -> bool:
    """Whether a database target names a PostgreSQL server rather than a SQLite file."""
    return str(target).startswith(("postgresql://", "postgres://"))


def redacted(target: str) -> str:
    """A database target fit for a log line or an error: a URL's password as ``***``."""
    parts = urlsplit(target)
    if not is_postgres(target) or parts.password is None:
        return target
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class Rows:
    """A statement's result, read at once: its rows (mapping-like, ``row["name"]`` or
    ``row[0]``), how many rows it changed (for a statement that returns rows: how many it
    returned) and its column names (on PostgreSQL only known when a row came back)."""

    __slots__ = ("columns", "rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int, columns: Sequence[str] = ()) -> None:
        self.rows = rows
        self.rowcount = rowcount
        self.columns = tuple(columns)

    @property
    def first(self) -> Any | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    async def fetchone(self) -> Any | None:
        return self.first

    async def fetchall(self) -> list[Any]:
        return self.rows

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self.rows:
            yield row

    async def __aenter__(self) -> Rows:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class _Pending(Awaitable[Rows]):
    """A statement under way: awaited (``cursor = await conn.execute(…)``) or entered
    (``async with conn.execute(…) as rows``), as the storage modules have always used it."""

    def __init__(self, work: Coroutine[Any, Any, Rows]) -> None:
        self._work = work

    def __await__(self) -> Generator[Any, None, Rows]:
        return self._work.__await__()

    async def __aenter__(self) -> Rows:
        return await self._work

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class Connection(ABC):
    """One unit of work's view of the store: what the coach, check-ins and tests are given.

    Statements are sent as few trips as the backend allows: ``BEGIN`` goes with the first
    statement, and writes whose result nobody reads (:meth:`later`) go with the next
    statement or the commit.
    """

    dialect: Dialect

    def __init__(self) -> None:
        self._later: list[Step] = []

    def later(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write whose result nobody reads: sent with the next statement (or the commit)."""
        self._later.append((sql, params))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Pending:
        """A statement now (after the waiting writes): its :class:`Rows`."""
        return _Pending(self._execute(sql, params))

    @abstractmethod
    async def _execute(self, sql: str, params: Sequence[Any]) -> Rows: ...

    @abstractmethod
    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows, now."""

    @abstractmethod
    async def script(self, steps: Script[_T]) -> _T:
        """Run a script of statements whose next one depends on the last one's rows.

        ``steps`` yields ``(sql, params)`` and is sent each statement's :class:`Rows`; what
        it returns is returned. SQLite runs it all in one trip to the driver's thread (a
        turn's start is one trip, not four); PostgreSQL runs it statement by statement.
        """


class Database(ABC):
    """The coach's database; create with :meth:`open`, always :meth:`close`."""

    backend: str  # "sqlite" or "postgresql"
    path: str  # the SQLite file or the PostgreSQL URL without its password

    @classmethod
    async def open(cls, target: str | Path, *, migrate: bool = True) -> Database:
        """Open ``target`` (a SQLite file, or a ``postgresql://`` URL) and, unless told
        not to, bring its schema up to date."""
        if is_postgres(target):
            from bot.storage.postgres import PostgresDatabase

            return await PostgresDatabase.open(str(target), migrate=migrate)
        from bot.storage.sqlite import SqliteDatabase

        return await SqliteDatabase.open(target, migrate=migrate)

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """A write transaction: committed when the block ends, rolled back on any error."""

    @abstractmethod
    def reading(self) -> AbstractAsyncContextManager[Connection]:
        """A consistent read that writes nothing, beside the writer (never waiting for it)."""

    @abstractmethod
    def snapshot(self) -> AbstractAsyncContextManager[Connection]:
        """A consistent read on a connection of its own (a long export)."""

    def session(self) -> AbstractAsyncContextManager[Connection]:
        """A dedicated connection outside any transaction, for session-level advisory locks
        (PostgreSQL only: in SQLite mode one process owns the file and locks in-process)."""
        raise NotImplementedError(f"{self.backend} has no sessions; lock in-process")

    @abstractmethod
    async def migrate(self) -> list[int]:
        """Apply the migrations the database lacks; the versions applied (idempotent)."""

    @abstractmethod
    async def schema_version(self) -> int:
        """The schema version the database is at (0: empty)."""

    async def checkpoint(self) -> bool:
        """Make deleted rows leave the files now (SQLite's WAL); True when done."""
        return True

    @abstractmethod
    async def trace(self, callback: Callable[[str], None] | None) -> None:
        """Have every statement the writer sends passed to ``callback`` (None: stop)."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connections (idempotent)."""

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def open_database(target: str | Path, *, migrate: bool = True) -> Database:
    """:meth:`Database.open`, as a function."""
    return await Database.open(target, migrate=migrate)
