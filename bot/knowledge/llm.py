"""An optional short answer from a language model, grounded in the passages /ask found.

Any OpenAI-compatible chat-completions endpoint will do. The model sees only the
retrieved passages (each with its id) and a few of the founder's own facts, and must cite
the ids it used in square brackets. The answer is dropped (and the passages are shown as
they are) when the call fails or times out, when it cites nothing, or when it cites an id
that was not retrieved. Nothing here is stored as a fact; the API key goes only into the
Authorization header and is never logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from bot.knowledge.passages import Passage

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 1200
_CITATION = re.compile(r"\[([a-z][a-z0-9-]{2,60})\]")
_LANGUAGE = {"en": "English", "zh": "Simplified Chinese (as a native speaker writes it)"}


@dataclass(frozen=True)
class LlmConfig:
    """Where the model is, and how much of it a founder may use."""

    base_url: str
    api_key: SecretStr
    model: str
    timeout: float = 8.0
    daily_cap: int = 20

    def __repr__(self) -> str:  # the key never appears in a log line or a traceback
        return f"LlmConfig(base_url={self.base_url!r}, model={self.model!r})"


@dataclass(frozen=True)
class Grounded:
    """A model's answer whose citations all name retrieved passages."""

    text: str
    cited: tuple[str, ...]


def messages_for(
    question: str, passages: Sequence[Passage], facts: Mapping[str, str], locale: str
) -> list[dict[str, str]]:
    """The chat messages: the rules, the passages with their ids, the founder and the question."""
    system = (
        "You are Founder Coach, a coach for AI-startup founders. Answer the founder's question "
        "in at most 120 words, using ONLY the numbered passages below and the founder's own "
        "facts. After each claim, cite the passage id it comes from in square brackets, e.g. "
        "[funding-runway]. Do not cite anything else. If the passages do not answer the "
        f"question, say so in one sentence. Write in {_LANGUAGE.get(locale, 'English')}. "
        "Plain text, no headings."
    )
    sources = "\n\n".join(f"[{p.id}] {p.title}\n{p.text.strip()}" for p in passages)
    about = "\n".join(f"- {name}: {value}" for name, value in facts.items()) or "- (nothing yet)"
    user = f"Passages:\n{sources}\n\nAbout the founder:\n{about}\n\nQuestion: {question}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def check_citations(text: str, allowed: Sequence[str]) -> Grounded | None:
    """The answer if it cites at least one passage and only passages that were retrieved."""
    cited = tuple(dict.fromkeys(_CITATION.findall(text)))
    if not cited or any(c not in allowed for c in cited):
        return None
    return Grounded(text=text.strip()[:MAX_ANSWER_CHARS], cited=cited)


async def grounded_answer(
    config: LlmConfig,
    question: str,
    passages: Sequence[Passage],
    facts: Mapping[str, str],
    locale: str,
) -> Grounded | None:
    """Ask the model; None whenever its answer cannot be shown (see the module docstring)."""
    import httpx  # only when a model is configured: the console starts without it

    url = config.base_url.rstrip("/") + "/chat/completions"
    body = {
        "model": config.model,
        "messages": messages_for(question, passages, facts, locale),
        "temperature": 0.2,
        "max_tokens": 400,
    }
    headers = {"Authorization": f"Bearer {config.api_key.get_secret_value()}"}
    try:
        async with asyncio.timeout(config.timeout):  # the whole call, however it trickles
            async with httpx.AsyncClient(timeout=config.timeout) as client:
                response = await client.post(url, json=body, headers=headers)
            response.raise_for_status()
            text = _content(response.json())
    except (TimeoutError, httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("the language model gave no usable answer (%s)", type(exc).__name__)
        return None
    grounded = check_citations(text, [p.id for p in passages])
    if grounded is None:
        log.warning("the language model's answer cited no retrieved passage; passages shown")
    return grounded


def _content(data: Any) -> str:
    content = data["choices"][0]["message"]["content"]
    if not isinstance(content, str) or not content.strip():
        raise ValueError("empty answer")
    return content
