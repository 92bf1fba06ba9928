"""Find the passages that answer a founder's question, or none.

The index ranks with bm25; this module decides what is worth showing. A passage is left
out when the founder's facts say it does not apply to them (a stage they are not at, a
market they do not sell in, unless the question names that market). Then nothing is shown
unless the best score clears the locale's threshold (calibrated on the golden questions
and the off-topic ones in ``tests/knowledge/golden_*.yaml``), and a second or third
passage only when it scores close to the best: an unrelated passage is worse than "I do
not know that one".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.passages import Passage
from bot.knowledge.phrases import Phrases
from bot.knowledge.segment import has_cjk, index_text, question_terms
from bot.storage.knowledge_index import IndexRow, KnowledgeIndex

# the best passage must score at least this (bm25, negated; see the module docstring)
THRESHOLDS = {"en": 4.5, "zh": 5.6}
RELATIVE = 0.6  # a further passage must score this share of the best one
CANDIDATES = 12  # how many the index returns before the founder's facts filter them

# words that name a market in a question (it is then relevant whatever the founder said)
MARKET_WORDS: dict[str, tuple[str, ...]] = {
    "eu": ("eu", "europe", "european", "gdpr", "ai act", "欧盟", "欧洲"),
    "cn": ("china", "chinese", "prc", "cac", "pipl", "中国", "国内", "大陆", "网信办", "备案"),
    "us": ("usa", "u.s.", "united states", "america", "american", "ccpa", "california", "美国"),
    "uk": ("uk", "britain", "british", "英国"),
}
# how founders' answers name markets, whatever flow asked (a fact called ``markets``)
_MARKET_ALIASES = {
    "china": "cn",
    "mainland_china": "cn",
    "中国": "cn",
    "europe": "eu",
    "european_union": "eu",
    "欧盟": "eu",
    "usa": "us",
    "united_states": "us",
    "美国": "us",
    "united_kingdom": "uk",
    "gb": "uk",
    "英国": "uk",
}
_WORD = re.compile(r"[a-z.]+|[^\sa-z.]+")
_US = re.compile(r"\bUS\b")  # as written: in lower case it is the founders themselves
_THE_US = re.compile(r"\bthe us\b")  # "selling in the us": the market, whatever the case


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its score."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class Relevance:
    """What the founder's facts say about which passages apply to them."""

    stage: str | None = None
    markets: frozenset[str] = field(default_factory=frozenset)


def relevance_of(facts: Mapping[str, Mapping[str, Any]]) -> Relevance:
    """The founder's stage (onboarding) and markets (any flow's ``markets`` fact)."""
    stage = facts.get("onboarding", {}).get("stage")
    markets: set[str] = set()
    for values in facts.values():
        raw = values.get("markets")
        for item in raw if isinstance(raw, list) else [raw] if raw else []:
            code = str(item).strip().lower().replace(" ", "_")
            markets.add(_MARKET_ALIASES.get(code, code))
    return Relevance(stage=stage if isinstance(stage, str) else None, markets=frozenset(markets))


def markets_named(question: str) -> frozenset[str]:
    """The markets a question names ("the EU AI Act", "国内备案")."""
    text = question.lower()
    words = set(_WORD.findall(text))
    found = set()
    if _US.search(question) or _THE_US.search(text):  # "the US", not "us" the founders
        found.add("us")
    for market, names in MARKET_WORDS.items():
        for name in names:
            if (name in text) if (" " in name or not name.isascii()) else (name in words):
                found.add(market)
    return frozenset(found)


class Knowledge:
    """The passages of every locale and their index."""

    def __init__(
        self, passages: Iterable[Passage], phrases: Mapping[str, Phrases] | None = None
    ) -> None:
        self.phrases = dict(phrases or {})
        self.passages: dict[str, dict[str, Passage]] = {}
        for passage in passages:
            self.passages.setdefault(passage.locale, {})[passage.id] = passage
        self.index = KnowledgeIndex()
        for locale, by_id in self.passages.items():
            self.index.build(locale, (_row(p) for p in by_id.values()))

    @property
    def locales(self) -> tuple[str, ...]:
        """The locales that have passages."""
        return tuple(self.passages)

    def get(self, locale: str, passage_id: str) -> Passage | None:
        """A passage by id, in a locale."""
        return self.passages.get(locale, {}).get(passage_id)

    def search_locale(self, question: str, founder_locale: str) -> str:
        """Where to look: Chinese for a question in Chinese, else the founder's language."""
        if has_cjk(question) and "zh" in self.passages:
            return "zh"
        return founder_locale if founder_locale in self.passages else next(iter(self.passages))

    def terms(self, question: str, locale: str) -> list[str]:
        """The terms searched for: the question in the passages' words, without fillers."""
        phrases = self.phrases.get(locale)
        return question_terms(phrases.rewrite(question) if phrases else question)

    def search(
        self,
        question: str,
        locale: str,
        relevance: Relevance | None = None,
        *,
        limit: int = 3,
        threshold: float | None = None,
    ) -> list[Hit]:
        """The best passages for a question (at most ``limit``), or none if nothing fits."""
        relevance = relevance or Relevance()
        named = markets_named(question)
        hits = []
        for passage_id, score in self.index.search(
            locale, self.terms(question, locale), CANDIDATES
        ):
            passage = self.passages[locale][passage_id]
            if _applies(passage, relevance, named):
                hits.append(Hit(passage, score))
        floor = THRESHOLDS.get(locale, 5.0) if threshold is None else threshold
        if not hits or hits[0].score < floor:
            return []
        best = hits[0].score
        return [h for h in hits[:limit] if h.score >= max(floor, best * RELATIVE)]

    def ranked(self, question: str, locale: str, limit: int = CANDIDATES) -> list[Hit]:
        """Every candidate with its score, unfiltered (for calibrating the threshold)."""
        found = self.index.search(locale, self.terms(question, locale), limit)
        return [Hit(self.passages[locale][pid], score) for pid, score in found]


def _applies(passage: Passage, relevance: Relevance, named: frozenset[str]) -> bool:
    if passage.stages and relevance.stage and relevance.stage not in passage.stages:
        return False
    if passage.markets and relevance.markets:
        allowed = relevance.markets | named | {"global"}
        if not allowed & set(passage.markets):
            return False
    return True


def _row(passage: Passage) -> IndexRow:
    if passage.locale == "zh":  # Chinese is cut into pairs before it is indexed
        return IndexRow(
            passage.id,
            index_text(passage.title),
            index_text(passage.keywords),
            index_text(passage.text),
        )
    return IndexRow(passage.id, passage.title, passage.keywords, passage.text)
