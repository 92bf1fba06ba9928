"""The knowledge base behind /ask: passages, their search, and the optional grounded answer."""

from __future__ import annotations

from pathlib import Path

from bot.errors import FlowDefinitionError, Problem
from bot.knowledge.llm import Grounded, LlmConfig, grounded_answer
from bot.knowledge.passages import FLOWS, TOPICS, Passage, Source, load_passages
from bot.knowledge.search import Hit, Knowledge, Relevance, relevance_of

LOCALES = ("en", "zh")


def check_knowledge(content_dir: Path) -> list[Problem]:
    """Every problem in the knowledge files (``founder-coach flows check`` lists them)."""
    return load_passages(content_dir, LOCALES)[1]


def load_knowledge(content_dir: Path) -> Knowledge:
    """Read the passages and build their index; :class:`FlowDefinitionError` on any problem."""
    passages, problems = load_passages(content_dir, LOCALES)
    if problems:
        raise FlowDefinitionError(problems)
    return Knowledge(passages)


__all__ = [
    "FLOWS",
    "LOCALES",
    "TOPICS",
    "Grounded",
    "Hit",
    "Knowledge",
    "LlmConfig",
    "Passage",
    "Relevance",
    "Source",
    "check_knowledge",
    "grounded_answer",
    "load_knowledge",
    "relevance_of",
]
