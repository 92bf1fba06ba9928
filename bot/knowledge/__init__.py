"""The knowledge base behind /ask: passages, their search, and the optional grounded answer."""

from __future__ import annotations

from pathlib import Path

from bot.errors import FlowDefinitionError, Problem
from bot.knowledge.llm import Grounded, LlmConfig, grounded_answer
from bot.knowledge.passages import (
    FLOWS,
    KNOWLEDGE_DIR,
    TOPICS,
    Passage,
    Source,
    load_passages,
)
from bot.knowledge.phrases import load_phrases
from bot.knowledge.search import Hit, Knowledge, Relevance, relevance_of

LOCALES = ("en", "zh")


def check_knowledge(content_dir: Path) -> list[Problem]:
    """Every problem in the knowledge files (``founder-coach flows check`` lists them)."""
    return (
        load_passages(content_dir, LOCALES)[1]
        + load_phrases(content_dir, LOCALES, KNOWLEDGE_DIR)[1]
    )


def load_knowledge(content_dir: Path) -> Knowledge:
    """Read the passages and build their index; :class:`FlowDefinitionError` on any problem."""
    passages, problems = load_passages(content_dir, LOCALES)
    phrases, more = load_phrases(content_dir, LOCALES, KNOWLEDGE_DIR)
    if problems or more:
        raise FlowDefinitionError(problems + more)
    return Knowledge(passages, phrases)


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
