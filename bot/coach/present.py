"""Turn engine results into rendered :class:`~bot.models.OutMessage` objects.

Everything the founder reads is rendered here from content; no Python string reaches
them. Answers are shown through :meth:`Presenter.display`, which turns stored values
back into the founder's words (option labels, formatted money).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine import CONFIRM, Flow, FlowState, Prompt, Score, StepKind, review_options
from bot.engine.inputs import example_date
from bot.engine.machine import dynamic_options, option_ids
from bot.engine.recall import Recall, RecallKind
from bot.engine.spec import RuleSpec, StepSpec, Unit
from bot.engine.texts import SKIP_HINT, added_hints
from bot.errors import RenderError
from bot.models import Option, OutMessage
from bot.rendering import Renderer, Target
from bot.rendering import filters as fmt

Facts = Mapping[str, Mapping[str, Any]]
KEEP_LABEL_CHARS = 40  # a button, not a paragraph: a long earlier answer is cut
SHOWN_ADVICE = 3  # advice items shown in full in chat; the rest wait behind "More advice"
MORE_ADVICE_STEP = "more_advice"  # the "More advice" offer (a button in Telegram, /more typed)


def _clip(text: str) -> str:
    return text if len(text) <= KEEP_LABEL_CHARS else text[: KEEP_LABEL_CHARS - 1] + "…"


HEARD_CHARS = 120  # free text quoted back at the menu: enough to recognise it


def _quote(text: str) -> str:
    """The founder's words on one line, cut where a quote would get long."""
    line = " ".join(text.split())
    return line if len(line) <= HEARD_CHARS else line[: HEARD_CHARS - 1] + "…"


_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’)）]*$")


def _join_sentences(parts: Sequence[str], locale: str) -> str:
    """Hint parts as sentences: each ends in a full stop, then a space (en) or nothing (zh)."""
    stop, gap = ("。", "") if locale == "zh" else (".", " ")
    sentences = [part.strip() for part in parts if part.strip()]
    return gap.join(s if _SENTENCE_END.search(s) else s + stop for s in sentences)


class Presenter:
    """Renders questions, menus, reviews and advice for one locale and target."""

    def __init__(
        self,
        renderer: Renderer,
        locale: str,
        target: Target,
        *,
        today: date | None = None,
        currency: str | None = None,
    ) -> None:
        self.renderer = renderer
        self.locale = locale
        self.target = target
        self.today = today  # the founder's local date: date examples are computed from it
        self.currency = currency  # the founder's working currency, for money

    # ------------------------------------------------------------ basics

    def ui(self, key: str, **context: Any) -> str:
        """A UI string for this founder."""
        return self.renderer.ui(key, self.locale, self.target, **context)

    def plain(self, key: str, **context: Any) -> str:
        """A UI string as plain text (button labels are never parsed as markup)."""
        return self.renderer.ui(key, self.locale, Target.PLAIN, **context)

    def template(
        self, source: str, facts: Facts, *, target: Target | None = None, **extra: Any
    ) -> str:
        """Render a content template over the founder's facts."""
        return self.renderer.render(
            source,
            {**facts, **extra},
            locale=self.locale,
            target=target or self.target,
            currency=self.currency,
        )

    def texts(self, flow: Flow) -> Any:
        """The flow's words in this locale."""
        return flow.texts.get(self.locale) or flow.texts[self.renderer.default_locale]

    def message(self, text: str, *, kind: str = "message", flow: str | None = None) -> OutMessage:
        """A plain reply."""
        return OutMessage(type=kind, text=text, flow=flow)  # type: ignore[arg-type]

    def ui_question(self, section: str, step: str, options: Sequence[str]) -> OutMessage:
        """A choice question written in ui.yaml: ``<section>.ask`` and one label per option."""
        return OutMessage(
            type="question",
            text=self.ui(f"{section}.ask"),
            step=step,
            kind="choice",
            options=[Option(id=o, label=self.plain(f"{section}.{o}")) for o in options],
        )

    def error(self, code: str, params: Mapping[str, Any], step: str | None = None) -> OutMessage:
        """Why an input was not taken."""
        return OutMessage(type="error", text=self.ui(f"errors.{code}", **params), step=step)

    # ------------------------------------------------------------ answers

    def display(self, flow: Flow, step: StepSpec, value: Any) -> str:
        """A stored answer in the founder's words (plain text)."""
        if value is None:
            return self.plain("question.skipped")
        if step.options_from is not None:
            items = value if isinstance(value, list) else [value]
            return fmt.join_labels([str(item) for item in items], self.locale)
        match step.kind:
            case StepKind.CHOICE | StepKind.MULTI:
                return self.renderer.option_label(f"{flow.id}.{step.id}", value, self.locale)
            case StepKind.YESNO:
                return self.plain("question.yes" if value else "question.no")
            case StepKind.NUMBER if step.unit is Unit.MONEY:
                return fmt.format_money(value, self.locale, self.currency)
            case StepKind.TIMEZONE:
                return fmt.zone_label(value, self.locale)
            case StepKind.NUMBER if step.unit is Unit.MONTHS:
                return fmt.format_months(value, self.locale)
            case StepKind.NUMBER if step.unit is Unit.PERCENT:
                return f"{fmt.format_num(value, self.locale)}%"
            case StepKind.NUMBER:
                return fmt.format_num(value, self.locale)
        return str(value)

    def changed_answers(
        self, flow: Flow, before: Mapping[str, Any], after: Mapping[str, Any], facts: Facts
    ) -> list[tuple[str, str, str]]:
        """(question, before, after) for each answer that differs between two runs.

        ``before`` and ``after`` hold only the questions each run asked
        (:func:`~bot.engine.machine.asked_answers`): a question one of them did not ask is
        shown as not asked, never as skipped.
        """
        changed: list[tuple[str, str, str]] = []
        for step in flow.spec.steps:
            if not step.asks or (step.id not in before and step.id not in after):
                continue
            if step.id in before and step.id in after and before[step.id] == after[step.id]:
                continue
            changed.append(
                (
                    self.short_name(flow, step, facts),
                    self._shown(flow, step, before),
                    self._shown(flow, step, after),
                )
            )
        return changed

    def _shown(self, flow: Flow, step: StepSpec, answers: Mapping[str, Any]) -> str:
        if step.id not in answers:
            return self.plain("question.not_asked")
        return self.display(flow, step, answers[step.id])

    def short_name(self, flow: Flow, step: StepSpec, facts: Facts) -> str:
        """A few words naming a step, for the review and change lists (plain text)."""
        texts = self.texts(flow).steps[step.id]
        if texts.short:
            return texts.short
        prompt = self.template(texts.prompt, facts, target=Target.PLAIN)
        return prompt if len(prompt) <= 48 else prompt[:47].rstrip() + "…"

    # ------------------------------------------------------------ questions

    def question(
        self, flow: Flow, state: FlowState, prompt: Prompt, facts: Facts, run_id: int
    ) -> OutMessage:
        """The question for ``prompt``, with its options and hints."""
        step = flow.step(prompt.step_id)
        texts = self.texts(flow).steps[step.id]
        if step.kind is StepKind.REVIEW:
            return self._review(flow, state, facts, run_id, texts.prompt)
        body = self.template(texts.prompt, facts)
        progress = self.progress(prompt)
        hints: list[str] = []
        if texts.hint:
            hints.append(self.template(texts.hint, facts, target=Target.PLAIN))
        options = self._options(flow, step, prompt, facts)
        keeps = prompt.keeps
        shown = self.display(flow, step, keeps) if keeps is not None else None
        if shown is not None and prompt.current is None and prompt.suggested:
            # another conversation's answer, not one given here: say where it came from
            source = self.renderer.catalog.flows[(step.suggest or "").split(".", 1)[0]]
            topic = self.template(self.texts(source).title, facts, target=Target.PLAIN)
            hints.append(self.plain("question.suggested", value=shown, topic=topic))
            hints.append(self.plain("question.keep_hint", value=shown))
        elif shown is not None:
            hints.append(self.plain("question.current", value=shown))
            hints.append(self.plain("question.keep_hint", value=shown))
        # a date's example is a week from the founder's today
        example = example_date(self.today) if self.today else None
        for key in added_hints(step, texts, keeping=keeps is not None):
            if key == SKIP_HINT and texts.skip_hint:
                hints.append(texts.skip_hint)  # how to skip, in the step's own words
            else:
                hints.append(self.plain(key, example=example))  # unless the step's words say it
        return OutMessage(
            type="question",
            text=f"{progress}{body}" if self.locale == "zh" else f"{progress} {body}",
            options=options,
            flow=flow.id,
            step=step.id,
            kind=step.kind.value,
            progress=prompt.progress,
            progress_open=prompt.open_total,
            hint=_join_sentences(hints, self.locale) or None,
            run_id=run_id,
            can_back=prompt.progress[0] > 1,
            can_skip=step.optional or keeps is not None,
            keep_label=self.plain("question.keep", value=_clip(shown)) if shown else None,
            skip_label=texts.skip_label if step.optional and shown is None else None,
            multiline=step.multiline,
        )

    def progress(self, prompt: Prompt) -> str:
        """ "(3/8)", or "(3 of up to 10)" while later answers may still leave questions out."""
        step, total = prompt.progress
        if prompt.open_total:
            return self.ui("question.progress_open", step=step, total=total)
        return self.ui("question.progress", step=step, total=total)

    def _options(self, flow: Flow, step: StepSpec, prompt: Prompt, facts: Facts) -> list[Option]:
        """The question's options, exactly :func:`option_ids` in order, labelled."""
        keeps = prompt.keeps
        chosen = set(keeps) if isinstance(keeps, list) else {keeps}
        ids = option_ids(step, facts)
        if step.options_from is not None:
            items = dynamic_options(step, facts)
            return [
                Option(id=option, label=item, selected=item in chosen)
                for option, item in zip(ids, items, strict=True)
            ]
        texts = self.texts(flow).steps[step.id]
        match step.kind:
            case StepKind.CHOICE | StepKind.MULTI:
                return [Option(id=o, label=texts.options[o], selected=o in chosen) for o in ids]
            case StepKind.YESNO:
                return [
                    Option(id=o, label=self.plain(f"question.{o}"), selected=(o == "yes") is keeps)
                    for o in ids
                ]
            case StepKind.SCALE:
                ends = {"1": texts.scale_low, "5": texts.scale_high}  # "1 · running on empty"
                return [
                    Option(
                        id=o,
                        label=self.plain("question.scale_point", point=o, words=ends[o])
                        if ends.get(o)
                        else o,
                        selected=str(keeps) == o,
                    )
                    for o in ids
                ]
        return []

    def _review(
        self, flow: Flow, state: FlowState, facts: Facts, run_id: int, prompt: str
    ) -> OutMessage:
        options = [Option(id=CONFIRM, label=self.plain("review.confirm"))]
        for step_id in review_options(flow, state, facts)[1:]:
            step = flow.step(step_id)
            line = self.plain(
                "review.line",
                question=self.short_name(flow, step, facts),
                answer=self.display(flow, step, state.answers.get(step_id)),
            )
            options.append(Option(id=step_id, label=line))
        return OutMessage(
            type="review",
            text=self.template(prompt, facts),
            options=options,
            flow=flow.id,
            step=state.step_id,
            kind=StepKind.REVIEW.value,
            hint=self.plain("review.hint"),
            run_id=run_id,
            can_back=True,
        )

    # ------------------------------------------------------------ menu

    def menu(
        self, flows: Sequence[Flow], statuses: Mapping[str, str], *, heard: str | None = None
    ) -> OutMessage:
        """The list of flows with the founder's status in each.

        ``heard``: words the founder wrote at the menu. They are quoted back (so the founder
        knows they were read) above what each conversation is for, to pick from.
        """
        text = self.ui("menu.title")
        if heard is not None:
            about = "\n".join(
                self.ui(
                    "menu.about", title=self.texts(f).title, description=self.texts(f).description
                )
                for f in flows
            )
            text = self.ui("menu.heard", text=_quote(heard)) + "\n\n" + about
        options = [
            Option(
                id=flow.id,
                label=self.plain(
                    "menu.item", title=self.texts(flow).title, status=statuses[flow.id]
                ),
            )
            for flow in flows
        ]
        return OutMessage(
            type="menu",
            text=text,
            options=options,
            step="menu",
            hint=self.plain("menu.hint"),
        )

    def status(
        self,
        *,
        active: Prompt | None,
        completed_at: datetime | None,
        tz: str | None,
        paused: bool = False,
    ) -> str:
        """A flow's status for the menu."""
        if active is not None:
            step, total = active.progress
            if paused:
                return self.plain("menu.paused", step=step, total=total)
            return self.plain("menu.in_progress", step=step, total=total)
        if completed_at is not None:
            return self.plain("menu.completed", date=self.local_date(completed_at, tz))
        return self.plain("menu.not_started")

    def local_date(self, moment: datetime, tz: str | None) -> str:
        """A date in the founder's zone (ISO, readable in both languages)."""
        zone = ZoneInfo(tz) if tz else ZoneInfo("UTC")
        return moment.astimezone(zone).date().isoformat()

    # ------------------------------------------------------------ the end of a flow

    def assessment(self, flow: Flow, scores: Sequence[Score], facts: Facts) -> OutMessage | None:
        """Scores per dimension, each with its one line of reasoning."""
        if not scores:
            return None
        texts = self.texts(flow)
        lines = [self.ui("advice.assessment_title", title=texts.title)]
        for score in scores:
            dim = texts.assessment[score.dimension]
            reason = self.template(dim.reason, facts, score=score.score)
            lines.append(
                self.ui("advice.score_line", name=dim.name, score=score.score, reason=reason)
            )
        return OutMessage(type="assessment", text="\n".join(lines), flow=flow.id)

    def advice(
        self,
        flow: Flow,
        rules: Sequence[RuleSpec],
        facts: Facts,
        *,
        run_id: int | None = None,
        recalls: Mapping[str, Recall] | None = None,
        flows: Mapping[str, Flow] | None = None,
    ) -> list[OutMessage]:
        """The top advice for a phone: the first :data:`SHOWN_ADVICE` items in full, each
        with its reason and suggested commitments, and the rest behind "More advice".

        An item whose point the founder has already committed to asks how that is going
        instead of repeating the advice (and does not offer that commitment again); one made
        in another flow says so before it goes on (``recalls``; ``flows`` to name them).
        """
        if not rules:
            return [OutMessage(type="advice", text=self.ui("advice.none"), flow=flow.id)]
        messages = [OutMessage(type="message", text=self.ui("advice.top_title"), flow=flow.id)]
        messages += [
            self._advice_item(flow, index, rule, facts, (recalls or {}).get(rule.id), flows)
            for index, rule in enumerate(rules[:SHOWN_ADVICE], start=1)
        ]
        rest = len(rules) - SHOWN_ADVICE
        if rest > 0 and run_id is not None:
            console = self.target is Target.PLAIN  # the console and JSON lines: /more
            messages.append(
                OutMessage(
                    type="message",
                    text=self.ui("advice.more", count=rest, console=console),
                    options=[
                        Option(id=str(run_id), label=self.plain("advice.more_button", count=rest))
                    ],
                    flow=flow.id,
                    step=MORE_ADVICE_STEP,
                )
            )
        return messages

    def _recall_line(self, point: Recall, facts: Facts, flows: Mapping[str, Flow]) -> str:
        """The sentence that refers to a point made, or committed to, before."""
        if point.kind is RecallKind.COMMITTED:
            return self.ui("advice.recall_committed", day=point.day, commitment=point.commitment)
        earlier = flows.get(point.flow_id)
        name = self.texts(earlier).title if earlier is not None else point.flow_id
        title = ""
        if earlier is not None and point.rule_id in self.texts(earlier).rules:
            source = self.texts(earlier).rules[point.rule_id].title
            try:
                title = self.template(source, facts, target=Target.PLAIN)
            except RenderError:  # its facts have changed since: name the flow alone
                title = ""
        return self.ui("advice.recall_advised", day=point.day, flow=name, title=title)

    def more_advice(self, flow: Flow, rules: Sequence[RuleSpec], facts: Facts) -> list[OutMessage]:
        """The advice items after the first :data:`SHOWN_ADVICE`, numbered on from them."""
        rest = rules[SHOWN_ADVICE:]
        if not rest:
            return [OutMessage(type="message", text=self.ui("advice.no_more"), flow=flow.id)]
        title = self.ui("advice.more_title", title=self.texts(flow).title)
        messages = [OutMessage(type="message", text=title, flow=flow.id)]
        messages += [
            self._advice_item(flow, index, rule, facts)
            for index, rule in enumerate(rest, start=SHOWN_ADVICE + 1)
        ]
        return messages

    def _advice_item(
        self,
        flow: Flow,
        index: int,
        rule: RuleSpec,
        facts: Facts,
        point: Recall | None = None,
        flows: Mapping[str, Flow] | None = None,
    ) -> OutMessage:
        """One piece of advice: title, text, why, and the commitments it suggests.

        ``point``: the same point made before, or committed to (then the text is left out
        and the item asks how it is going).
        """
        words = self.texts(flow).rules[rule.id]
        under_way = point.commitment if point and point.kind is RecallKind.COMMITTED else None
        parts = [
            self.ui(
                "advice.item",
                index=index,
                title=self.template(words.title, facts, target=Target.PLAIN),
            )
        ]
        if point is not None:
            parts.append(self._recall_line(point, facts, flows or {flow.id: flow}))
        if under_way is None:
            parts.append(self.template(words.text, facts))
        parts.append(
            self.ui("advice.why", why=self.template(words.why, facts, target=Target.PLAIN))
        )
        options = [
            Option(id=cid, label=self.template(words.commitments[cid], facts, target=Target.PLAIN))
            for cid in rule.commitments
        ]
        # the commitment under way is asked about; the item's others may still help
        options = [option for option in options if option.label != under_way]
        if options:
            parts.append(self.ui("advice.commitments"))
        return OutMessage(
            type="advice", text="\n\n".join(parts), options=options, flow=flow.id, step=rule.id
        )

    def changes(
        self,
        flow: Flow,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        facts: Facts,
        *,
        scores_before: Mapping[str, int] | None = None,
        scores_after: Mapping[str, int] | None = None,
    ) -> OutMessage:
        """What changed since the founder's previous run: answers, then scores."""
        lines = [self.ui("advice.changed_title")]
        texts = self.texts(flow)
        for dim in flow.spec.assessment:
            old = (scores_before or {}).get(dim.id)
            new = (scores_after or {}).get(dim.id)
            if old is not None and new is not None and old != new:
                lines.append(
                    self.ui(
                        "advice.changed_score",
                        name=texts.assessment[dim.id].name,
                        before=old,
                        after=new,
                    )
                )
        for question, old_answer, new_answer in self.changed_answers(flow, before, after, facts):
            lines.append(
                self.ui(
                    "advice.changed_line", question=question, before=old_answer, after=new_answer
                )
            )
        if len(lines) == 1:
            lines.append(self.ui("advice.unchanged"))
        return OutMessage(type="message", text="\n".join(lines), flow=flow.id)
