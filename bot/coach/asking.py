"""/ask for the Coach: a founder's own question answered from the knowledge base.

A mixin of :class:`~bot.coach.service.Coach`. ``/ask <question>`` answers at once;
``/ask`` alone asks for the question and takes the next message as it. Either way the
founder gets the best one to three passages, each saying where it comes from, and a
command (and on Telegram a button) to the conversation that goes deeper, or "I do not
know that one" with a suggestion. :meth:`Asking.answer_question` is the one entry point:
free text typed at the menu can be handed to it as well.

With a language model configured, the turn also counts the call against the founder's
daily cap and leaves a :class:`PendingAnswer`; once the turn is committed (a slow model
never holds the database), :meth:`Asking.ground_answers` asks the model, checks that it
cites only the passages found, and if so shows its short answer in place of the passages.
Whatever goes wrong, the passages stand. The model's words are never stored as a fact.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.knowledge import (
    Grounded,
    Knowledge,
    LlmConfig,
    Passage,
    grounded_answer,
    load_knowledge,
    relevance_of,
)
from bot.knowledge.segment import has_cjk
from bot.models import Option, OutMessage, UserRef
from bot.storage import facts, history, llm_usage

if TYPE_CHECKING:
    from bot.coach.present import Presenter

log = logging.getLogger(__name__)

ASK_STEP = "ask"
PENDING_ASK = "ask"
MAX_QUESTION_CHARS = 500
# facts the model never needs to answer a question about the business
_PRIVATE_FACTS = {("onboarding", "name"), ("onboarding", "timezone"), ("onboarding", "language")}
MAX_FACTS = 30


@dataclass(frozen=True)
class PendingAnswer:
    """A question whose model answer is fetched after the turn (``index``: its reply)."""

    index: int
    user_id: int
    question: str
    passages: tuple[Passage, ...]
    facts: dict[str, str]
    locale: str
    deeper: tuple[Option, ...]
    run_id: int | None


class Asking:
    """/ask and the knowledge behind it (see the module docstring)."""

    # provided by Coach
    catalog: Any
    clock: Any
    db: Any
    knowledge: Knowledge | None
    llm: LlmConfig | None

    def _today(self, user: Any) -> Any:  # pragma: no cover - Coach implements it
        raise NotImplementedError

    def _knowledge(self) -> Knowledge:
        if self.knowledge is None:  # a Coach built without one (tests): the shipped content
            from bot.config import default_content_dir

            self.knowledge = load_knowledge(default_content_dir())
        return self.knowledge

    async def ask_command(self, turn: Any, argument: str, current: Any) -> None:
        """``/ask <question>`` answers; ``/ask`` alone asks for the question."""
        if not argument.strip():
            await self._set_user(turn, pending=PENDING_ASK)  # type: ignore[attr-defined]
            turn.replies.append(turn.present.message(turn.present.ui("ask.prompt")))
            return
        await self.answer_question(turn, argument)
        await self._show_current(turn, current, menu_if_idle=False)  # type: ignore[attr-defined]

    async def ask_reply(self, turn: Any, text: str, current: Any) -> None:
        """The question typed after ``/ask``."""
        await self._set_user(turn, pending=None)  # type: ignore[attr-defined]
        await self.answer_question(turn, text)
        await self._show_current(turn, current, menu_if_idle=False)  # type: ignore[attr-defined]

    async def answer_question(self, turn: Any, question: str, *, say_unknown: bool = True) -> bool:
        """Answer a founder's question in ``turn.replies``; False if nothing fitted.

        The hook for any free text meant as a question (``/ask``, or text at the menu).
        ``say_unknown=False`` leaves the "I don't know" to the caller (the menu says it
        its own way, beside the conversations that might fit).
        """
        question = question.strip()[:MAX_QUESTION_CHARS]
        present: Presenter = turn.present
        known = await facts.load(turn.conn, turn.user.id)
        knowledge = self._knowledge()
        where = knowledge.search_locale(question, present.locale)
        hits = knowledge.search(question, where, relevance_of(known))
        if not hits and where != present.locale and present.locale in knowledge.locales:
            where = present.locale  # "MVP" asked by a Chinese founder: try their language too
            hits = knowledge.search(question, where, relevance_of(known))
        if not hits and not has_cjk(question) and where != "en" and "en" in knowledge.locales:
            where = "en"  # a question in English from a Chinese founder: the English passages
            hits = knowledge.search(question, where, relevance_of(known))
        if not hits:
            if say_unknown:
                turn.replies.append(present.message(present.ui("ask.unknown")))
            return False
        # shown in the founder's language, whichever language matched
        shown = [knowledge.get(present.locale, h.passage.id) or h.passage for h in hits]
        deeper = self._deeper(present, shown)
        turn.replies.append(self._passages_reply(present, shown, deeper))
        if self.llm is not None and self.llm.daily_cap > 0:
            day = self._today(turn.user)
            if await llm_usage.take(turn.conn, turn.user.id, day, self.llm.daily_cap):
                turn.after.asks.append(
                    PendingAnswer(
                        index=len(turn.replies) - 1,
                        user_id=turn.user.id,
                        question=question,
                        passages=tuple(shown),
                        facts=_facts_for_model(known),
                        locale=present.locale,
                        deeper=tuple(deeper),
                        run_id=None,
                    )
                )
        return True

    def _deeper(self, present: Presenter, passages: list[Passage]) -> list[Option]:
        """One button per conversation the passages belong to (those this coach has)."""
        options: list[Option] = []
        for passage in passages:
            flow = self._menu_flow(passage)
            if flow is None or any(o.id == flow.id for o in options):
                continue
            title = present.texts(flow).title
            options.append(Option(id=flow.id, label=present.plain("ask.button", title=title)))
        return options

    def _menu_flow(self, passage: Passage) -> Any:
        """The conversation a passage leads to, if this coach has it in its menu.

        The profile (onboarding) is where a passage belongs when no coaching conversation
        covers it yet; it is not offered as "going deeper".
        """
        flow = self.catalog.flows.get(passage.flow)
        if flow is None or not flow.spec.menu or flow.id == "onboarding":
            return None
        return flow

    def _source(self, present: Presenter, passage: Passage) -> str:
        article = present.plain(f"ask.articles.a{passage.source.article}")
        section = passage.source.section
        if present.locale == "zh":  # "App. B" and "ch. 3" as a Chinese reader writes them
            section = re.sub(r"^ch\. (\d+)$", r"第 \1 章", section.replace("App. ", "附录 "))
        return present.plain("ask.source", article=article, section=section)

    def _passages_reply(
        self, present: Presenter, passages: list[Passage], deeper: list[Option]
    ) -> OutMessage:
        parts = []
        for passage in passages:
            flow = self._menu_flow(passage)
            parts.append(
                present.ui(
                    "ask.passage",
                    title=passage.title,
                    text=passage.text.strip(),
                    source=self._source(present, passage),
                    command=f"/{flow.id}" if flow is not None else None,
                )
            )
        return OutMessage(
            type="message",
            text="\n\n".join(parts),
            step=ASK_STEP,
            options=deeper,
        )

    # ------------------------------------------------------------ after the turn

    async def ground_answers(
        self, who: UserRef, pending: list[PendingAnswer], replies: list[OutMessage]
    ) -> None:
        """Ask the model for each pending question; a checked answer replaces its passages."""
        assert self.llm is not None
        for ask in pending:
            grounded = await grounded_answer(
                self.llm, ask.question, ask.passages, ask.facts, ask.locale
            )
            if grounded is None:
                continue
            reply = self._model_reply(ask, grounded)
            replies[ask.index] = reply.model_copy(update={"locale": replies[ask.index].locale})
            async with self.db.transaction() as conn:  # the transcript shows what was sent
                await history.add_message(
                    conn,
                    user_id=ask.user_id,
                    direction="out",
                    text=reply.text,
                    now=self.clock.now(),
                    run_id=ask.run_id,
                )

    def _model_reply(self, ask: PendingAnswer, grounded: Grounded) -> OutMessage:
        present = self._presenter_for(ask.locale)
        by_id = {p.id: p for p in ask.passages}
        sources = "\n".join(
            present.ui(
                "ask.cited",
                id=cid,
                title=by_id[cid].title,
                source=self._source(present, by_id[cid]),
            )
            for cid in grounded.cited
        )
        text = present.ui("ask.model_answer", answer=grounded.text) + "\n" + sources
        return OutMessage(type="message", text=text, step=ASK_STEP, options=list(ask.deeper))

    def _presenter_for(self, locale: str) -> Presenter:
        from bot.coach.present import Presenter

        return Presenter(self.renderer, locale, self.target)  # type: ignore[attr-defined]


def _facts_for_model(known: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The founder's facts as short lines for the model (not their name or whereabouts)."""
    out: dict[str, str] = {}
    for flow_id, values in sorted(known.items()):
        for name, value in sorted(values.items()):
            if (flow_id, name) in _PRIVATE_FACTS or value is None or len(out) >= MAX_FACTS:
                continue
            out[f"{flow_id}.{name}"] = str(value)[:200]
    return out
