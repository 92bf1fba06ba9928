"""Storing a getUpdates batch in one statement, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage import Database, ledger

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_store_many_returns_the_new_ones_and_finishes_the_handled(db: Database) -> None:
    async with db.transaction() as conn:
        assert await ledger.store(conn, 1, '{"update_id":1}', NOW, founder=7)
    batch = [(1, '{"update_id":1}', 7), (2, '{"update_id":2}', 8), (3, '{"update_id":3}', None)]
    async with db.transaction() as conn:
        new = await ledger.store_many(conn, batch, NOW, finish=[1])
    assert new == {2, 3}  # 1 was a re-delivery
    async with db.reading() as conn:
        unfinished = await ledger.unfinished(conn)
        assert [update_id for update_id, _ in unfinished] == [2, 3]
        assert await ledger.oldest_unfinished(conn, 8) == (2, '{"update_id":2}')


async def test_store_many_of_nothing_stores_nothing(db: Database) -> None:
    async with db.transaction() as conn:
        assert await ledger.store_many(conn, [], NOW) == set()
    async with db.reading() as conn:
        assert await ledger.unfinished(conn) == []
