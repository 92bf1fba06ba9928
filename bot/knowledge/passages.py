"""The knowledge base: short passages in our own words, read from ``content/<locale>/knowledge/``.

Each YAML file there holds ``passages:``, a list of entries with an ``id`` (the same id in
every locale, so a citation means the same thing in English and Chinese), a ``title``,
the ``text``, where it comes from (``source: {article, section}``), its ``topic``, the
coaching conversation it belongs to (``flow`` and optionally ``step``), ``keywords``
founders use for it, and optionally the ``stages`` and ``markets`` it applies to.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import Problem
from bot.knowledge.phrases import PHRASES_FILE
from bot.yaml_text import safe_load

KNOWLEDGE_DIR = "knowledge"
TOPICS = (
    "feasibility",
    "business_model",
    "product_tech",
    "team",
    "funding",
    "marketing",
    "execution",
    "risk",
    "legal",
    "mindset",
)
# the conversations a passage can lead to: today's, and the three the articles also cover
FLOWS = (
    "onboarding",
    "team",
    "funding",
    "marketing",
    "update",
    "business_model",
    "product_tech",
    "risk_legal",
)
STAGES = ("idea", "prototype", "mvp", "revenue", "scaling")
MARKETS = ("cn", "eu", "us", "uk", "global")
ARTICLES = ("000", "001", "002", "003", "004")


class Source(BaseModel):
    """Where a passage comes from: one of the five source articles and its section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    article: str = Field(pattern=r"^00[0-4]$")
    section: str = Field(min_length=1, max_length=40)


class Passage(BaseModel):
    """One short piece of advice the coach can quote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{2,60}$")
    locale: str = ""
    title: str = Field(min_length=3, max_length=120)
    text: str = Field(min_length=40, max_length=900)
    topic: str
    flow: str
    step: str | None = None
    source: Source
    keywords: str = ""
    stages: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passages: list[dict[str, object]]


def load_passages(
    content_dir: Path, locales: Iterable[str]
) -> tuple[list[Passage], list[Problem]]:
    """Every passage of every locale, and the problems found (never raises)."""
    passages: list[Passage] = []
    problems: list[Problem] = []
    ids: dict[str, dict[str, str]] = {}
    for locale in locales:
        ids[locale] = {}
        folder = content_dir / locale / KNOWLEDGE_DIR
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            if path.name == PHRASES_FILE:  # founders' phrases, not passages (phrases.py)
                continue
            for index, entry in enumerate(_entries(path, problems)):
                where = f"passages[{index}]"
                try:
                    passage = Passage.model_validate({**entry, "locale": locale})
                except ValidationError as exc:
                    first = exc.errors()[0]
                    field = ".".join(str(p) for p in first["loc"])
                    problems.append(Problem(str(path), where, f"{field}: {first['msg']}"))
                    continue
                where = f"{where} ({passage.id})"
                problems.extend(Problem(str(path), where, what) for what in _checks(passage))
                if passage.id in ids[locale]:
                    problems.append(
                        Problem(
                            str(path), where, "duplicate id, also in " + ids[locale][passage.id]
                        )
                    )
                ids[locale][passage.id] = str(path)
                passages.append(passage)
    problems.extend(_same_ids(content_dir, ids))
    return passages, problems


def _entries(path: Path, problems: list[Problem]) -> list[dict[str, object]]:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
        return _File.model_validate(data).passages
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
        problems.append(Problem(str(path), "", f"not a knowledge file: {exc}"))
        return []


def _checks(passage: Passage) -> list[str]:
    out = []
    if passage.topic not in TOPICS:
        out.append(f"topic {passage.topic!r} is not one of {', '.join(TOPICS)}")
    if passage.flow not in FLOWS:
        out.append(f"flow {passage.flow!r} is not one of {', '.join(FLOWS)}")
    out.extend(f"stage {s!r} is not a stage" for s in passage.stages if s not in STAGES)
    out.extend(f"market {m!r} is not a market" for m in passage.markets if m not in MARKETS)
    return out


def _same_ids(content_dir: Path, ids: dict[str, dict[str, str]]) -> list[Problem]:
    """A passage in one language must exist in the other (citations are shared ids)."""
    problems = []
    for locale, mine in ids.items():
        for other, theirs in ids.items():
            for missing in sorted(set(theirs) - set(mine)) if other != locale else ():
                problems.append(
                    Problem(
                        str(content_dir / locale / KNOWLEDGE_DIR),
                        missing,
                        f"passage {missing!r} exists in {other} but not in {locale}",
                    )
                )
    return problems
