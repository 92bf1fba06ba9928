"""The knowledge base's full-text index: SQLite FTS5 in memory, built once at start-up.

English passages go to a table tokenized ``porter unicode61`` (so "pricing" finds
"price"). Chinese has no spaces between words and FTS5's trigram tokenizer matches
nothing shorter than three characters, yet most Chinese words (股权, 融资, 定价) are two;
so Chinese text arrives here already cut into overlapping two-character pieces
(:mod:`bot.knowledge.segment`) and is indexed with plain ``unicode61``. Queries are
prepared the same way by the caller and ranked with bm25.

The connection is private to one process and only read after :meth:`KnowledgeIndex.build`,
so a synchronous in-memory ``sqlite3`` connection is enough (a search takes well under a
millisecond; ``python -m bench ask`` measures it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

# bm25 weights of the indexed columns: title, keywords, text
_WEIGHTS = (3.0, 2.0, 1.0)
_TOKENIZERS = {"en": "porter unicode61", "zh": "unicode61"}


@dataclass(frozen=True)
class IndexRow:
    """One passage as the index sees it (Chinese fields already segmented)."""

    id: str
    title: str
    keywords: str
    text: str


class KnowledgeIndex:
    """One FTS5 table per locale in a private in-memory database."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._locales: set[str] = set()

    def build(self, locale: str, rows: Iterable[IndexRow]) -> None:
        """Create the locale's table and fill it (called once per locale at start-up)."""
        tokenizer = _TOKENIZERS.get(locale, "unicode61")
        table = _table(locale)
        with self._conn:
            self._conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._conn.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5("
                f"id UNINDEXED, title, keywords, text, tokenize = '{tokenizer}')"
            )
            self._conn.executemany(
                f"INSERT INTO {table} (id, title, keywords, text) VALUES (?, ?, ?, ?)",
                [(r.id, r.title, r.keywords, r.text) for r in rows],
            )
        self._locales.add(locale)

    def search(
        self, locale: str, terms: Iterable[str], limit: int = 10
    ) -> list[tuple[str, float]]:
        """Passage ids matching any of ``terms``, best first, with a score (higher is better).

        Each term is quoted, so nothing a founder types is read as FTS5 query syntax.
        """
        quoted = [_quote(t) for t in dict.fromkeys(terms) if t.strip()]
        if locale not in self._locales or not quoted:
            return []
        weights = ", ".join(str(w) for w in _WEIGHTS)
        table = _table(locale)
        rows = self._conn.execute(
            f"SELECT id, -bm25({table}, 0.0, {weights}) AS score FROM {table} "
            f"WHERE {table} MATCH ? ORDER BY score DESC LIMIT ?",
            (" OR ".join(quoted), limit),
        ).fetchall()
        return [(str(row[0]), float(row[1])) for row in rows]

    def close(self) -> None:
        """Free the in-memory database."""
        self._conn.close()


def _table(locale: str) -> str:
    if not locale.isalpha() or not locale.isascii():
        raise ValueError(f"not a locale: {locale!r}")
    return f"knowledge_{locale.lower()}"


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'
