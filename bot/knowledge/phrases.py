"""Founders' own phrases, rewritten into the words the passages use before a search.

A founder who is "burning out" means burnout, not a burn rate; "no idea which risk" is not
about ideas; "先管哪个" asks what comes first (优先). Stemming and Chinese pairs cannot see
that, so each locale has ``content/<locale>/knowledge/phrases.yaml``, a map from a phrase
founders type to the passages' words (empty: a filler that says nothing about the topic).
A phrase is matched as whole words in English and as a run of characters in Chinese, the
longest first, and replaced by its words with spaces around them, so the rest of the
question is cut into terms as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.errors import Problem
from bot.yaml_text import safe_load

PHRASES_FILE = "phrases.yaml"


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phrases: dict[str, str]


class Phrases:
    """One locale's phrase map, compiled into a single pattern.

    A phrase written with capitals is matched as written, before the question is lower-cased:
    "US" is the market, "us" the founders themselves (a filler word).
    """

    def __init__(self, mapping: Mapping[str, str]) -> None:
        cased = {k.strip(): v for k, v in mapping.items() if k.strip() != k.strip().lower()}
        self._words = {
            k.strip().lower(): v.strip().lower()
            for k, v in mapping.items()
            if k.strip() not in cased
        }
        self._cased = {k: v.strip().lower() for k, v in cased.items()}
        self._pattern = _compile(self._words)
        self._cased_pattern = _compile(self._cased)

    def rewrite(self, question: str) -> str:
        """The question with every known phrase replaced by the passages' words."""
        text = question
        if self._cased_pattern is not None:
            text = self._cased_pattern.sub(lambda m: f" {self._cased[m.group(0)]} ", text)
        text = text.lower()
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: f" {self._words[m.group(0)]} ", text)


def _compile(words: Mapping[str, str]) -> re.Pattern[str] | None:
    """One pattern for the phrases, the longest first; Latin ones as whole words."""
    keys = sorted(words, key=len, reverse=True)
    parts = [re.escape(k) if not k.isascii() else rf"\b{re.escape(k)}\b" for k in keys]
    return re.compile("|".join(parts)) if parts else None


def load_phrases(
    content_dir: Path, locales: Iterable[str], folder: str
) -> tuple[dict[str, Phrases], list[Problem]]:
    """Each locale's phrases (an empty map where there is no file), and the problems found."""
    out: dict[str, Phrases] = {}
    problems: list[Problem] = []
    for locale in locales:
        path = content_dir / locale / folder / PHRASES_FILE
        mapping: dict[str, str] = {}
        if path.is_file():
            try:
                data = safe_load(path.read_text(encoding="utf-8"))
                mapping = _File.model_validate(data).phrases
            except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
                problems.append(Problem(str(path), "", f"not a phrases file: {exc}"))
            problems.extend(
                Problem(str(path), phrase, "a phrase needs at least two characters")
                for phrase in mapping
                if len(phrase.strip()) < 2
            )
        out[locale] = Phrases(mapping)
    return out, problems
