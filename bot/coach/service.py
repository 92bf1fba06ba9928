"""The Coach: the one service every adapter talks to.

``Coach.handle(user, incoming)`` runs one turn in one database transaction: load the
founder and their current run, ask the pure engine what the input means, store the
answers, the new state and the transcript, and render the replies. The transaction is
committed before the replies are returned, so an answer is always stored before the next
question is sent; a crash at any point loses at most the turn in flight, never half of it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.coach.account import (
    DELETE_OPTIONS,
    DELETE_STEP,
    PENDING_CONSENT,
    PENDING_DELETE,
    Account,
    pick,
)
from bot.coach.asking import ASK_STEP, PENDING_ASK, Asking, PendingAnswer
from bot.coach.exporting import (
    EXPORT_STEP,
    PENDING_EXPORT,
    PENDING_EXPORT_TRANSCRIPT,
    Exports,
    PendingExport,
)
from bot.coach.followups import FOLLOW_UP_FLOWS, FollowUps
from bot.coach.present import MORE_ADVICE_STEP, Presenter
from bot.coach.recalls import recalls_for
from bot.engine import (
    Back,
    Catalog,
    Choose,
    Event,
    Flow,
    RunStatus,
    Skip,
    TextAnswer,
    Transition,
    advance,
    asked_answers,
    assess,
    current_prompt,
    run_facts,
    start,
    top_advice,
)
from bot.engine.inputs import InvalidAnswer, match_option, settle_currency
from bot.engine.recall import Recall
from bot.errors import RenderError, StorageError
from bot.knowledge import Knowledge, LlmConfig
from bot.models import Incoming, OutMessage, Said, Tapped, UserRef
from bot.rendering import Renderer, Target
from bot.storage import (
    Connection,
    Database,
    Run,
    User,
    checkins,
    facts,
    history,
    inbox,
    runs,
    turns,
    users,
)

log = logging.getLogger(__name__)

ONBOARDING = "onboarding"
MENU_STEP = "menu"
CHECKINS_STEP = "checkins"
PENDING_MENU = "menu"


def pick_locale(user: User, *, locales: tuple[str, ...], default: str) -> str:
    """The founder's setting, else their client's language, else the default."""
    if user.locale in locales:
        return user.locale
    if user.client_language:
        code = user.client_language.lower().replace("_", "-").split("-")[0]
        if code in locales:
            return code
    return default


@dataclass
class _After:
    """What a turn leaves for after its transaction is committed."""

    scheduled: list[tuple[int, datetime]] = field(default_factory=list)
    checkpoint: bool = False  # a founder was deleted: flush their words out of the WAL
    exports: list[PendingExport] = field(default_factory=list)  # files to build, off the lock
    asks: list[PendingAnswer] = field(default_factory=list)  # model answers to fetch, off it


@dataclass
class _Turn:
    """What one turn works with (lives only inside the transaction)."""

    conn: Connection
    user: User
    present: Presenter
    replies: list[OutMessage]
    no_transcript: bool = False
    known: dict[str, dict[str, Any]] | None = None  # the founder's facts, as read this turn
    after: _After = field(default_factory=_After)
    who: UserRef | None = None  # as the channel names them (their name, kept after consent)

    @property
    def scheduled(self) -> list[tuple[int, datetime]]:
        return self.after.scheduled


class Coach(Account, FollowUps, Exports, Asking):
    """Runs coaching conversations over the store, for any adapter."""

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        clock: Clock,
        *,
        target: Target = Target.PLAIN,
        default_locale: str = "en",
        admins: frozenset[str] = frozenset(),
        knowledge: Knowledge | None = None,
        llm: LlmConfig | None = None,
    ) -> None:
        self.admins = admins
        self.knowledge = knowledge  # None: the shipped passages, loaded at the first /ask
        self.llm = llm
        self.on_forget: list[Callable[[Connection, int], Awaitable[None]]] = []
        self.on_scheduled: list[Callable[[int, datetime], None]] = []
        # Several workers: a turn the database failed is recorded as handled (``once``)
        # before the founder is asked to try again, so no worker applies it later as well;
        # False: another worker's turn took that update meanwhile (see LedgerDrain.settle)
        self.settle_failed: Callable[[str], Awaitable[bool]] | None = None
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.target = target
        self.default_locale = default_locale
        self.renderer = Renderer(catalog, default_locale=default_locale)

    # ------------------------------------------------------------ entry point

    async def handle(
        self,
        who: UserRef,
        incoming: Incoming,
        *,
        once: str | None = None,
        resume_if_done: bool = False,
    ) -> list[OutMessage]:
        """Process one input from a founder and return the replies to send, in order.

        ``once`` names a transport update (``tg:<update_id>``) that may be delivered
        again after a crash; it is recorded in the turn's transaction, and a second
        delivery returns no replies and changes nothing; with ``resume_if_done`` (an update
        replayed after a crash, whose replies may never have been sent) it asks the
        current question again instead.
        """
        after = _After()
        try:
            async with self.db.transaction() as conn:
                begun = await turns.begin(
                    conn,
                    channel=who.channel,
                    external_id=who.external_id,
                    now=self.clock.now(),
                    client_language=who.language_code,  # the name is kept only after consent
                    once=once,
                )
                if not begun.claimed:
                    log.info("update %s was already processed; skipped", once)
                    return await self._resume(conn, who) if resume_if_done else []
                replies = await self._turn(conn, who, incoming, after, begun)
        except StorageError:
            log.exception("storage unavailable; the turn was rolled back")
            settle = self.settle_failed
            if once is not None and settle is not None and not await settle(once):
                return []  # handled by another worker, which sent the replies
            return [self._fallback(who, "storage")]
        except RenderError:
            log.exception("a template failed to render; the turn was rolled back")
            return [self._fallback(who, "internal")]
        for checkin_id, due in after.scheduled:  # only now are the rows committed
            for callback in self.on_scheduled:
                callback(checkin_id, due)
        if after.checkpoint:
            await self.db.checkpoint()
        for pending in after.exports:  # built on a connection of their own, off the loop
            replies[pending.index] = await self.build_export(pending, who)
        if after.asks:  # a model's short answer, asked once the turn is safe on disk
            await self.ground_answers(who, after.asks, replies)
        return replies

    async def skip_update(self, once: str) -> None:
        """Record a transport update as handled without a turn (it was deliberately not taken).

        A replay after a crash then finds it processed and asks the current question again.
        """
        async with self.db.transaction() as conn:
            await inbox.claim(conn, once, self.clock.now())

    async def _resume(self, conn: Connection, who: UserRef) -> list[OutMessage]:
        """Where the founder is: the question they are on, or the menu."""
        user = await users.find(conn, channel=who.channel, external_id=who.external_id)
        if user is None:
            return []
        turn = _Turn(conn, user, self._presenter(user), [])
        if not user.consented:
            if user.pending == PENDING_CONSENT:  # ask again, as /start does: nothing to parse
                await self._consent(turn, Said("/start"))
            return turn.replies
        await self._show_current(turn, await runs.current(conn, user.id))
        return turn.replies

    async def locale_of(self, who: UserRef) -> str:
        """The locale this founder is spoken to in."""
        async with self.db.reading() as conn:
            user = await users.find(conn, channel=who.channel, external_id=who.external_id)
        if user is None:
            return self.default_locale
        return pick_locale(user, locales=self.catalog.locales, default=self.default_locale)

    async def set_locale(self, who: UserRef, locale: str) -> None:
        """Set a founder's language (``--lang`` on the command line)."""
        if locale not in self.catalog.locales:
            raise ValueError(locale)
        async with self.db.transaction() as conn:
            user, _ = await users.get_or_create(
                conn,
                channel=who.channel,
                external_id=who.external_id,
                now=self.clock.now(),
                client_language=who.language_code,  # the name is kept only after consent
            )
            await users.update(conn, user.id, self.clock.now(), locale=locale)

    async def _turn(
        self,
        conn: Connection,
        who: UserRef,
        incoming: Incoming,
        after: _After,
        begun: turns.Start,
    ) -> list[OutMessage]:
        now = self.clock.now()
        user, created, current = begun.user, begun.created, begun.current
        assert user is not None
        turn = _Turn(conn, user, self._presenter(user), [], after=after, who=who)
        turn.known = begun.facts
        if not user.active:  # they wrote again, so they unblocked the bot
            await self._set_user(turn, active=True)
            # check-ins paused by the block resume (those long past are missed)
            turn.scheduled.extend(
                await checkins.resume_blocked(conn, user.id, now, missed_before=now - self.catchup)
            )
        if not user.consented and not self._open_before_consent(turn, incoming):
            await self._consent(turn, incoming)
            return _stamped(turn)
        if isinstance(incoming, Tapped):
            if turn.user.pending == PENDING_ASK:  # a button instead of the question: dropped
                await self._set_user(turn, pending=None)
            await self._tapped(turn, incoming, current)
        elif incoming.text.strip().startswith("/"):
            await self._command(turn, incoming.text.strip(), current, created=created)
        elif turn.user.pending == PENDING_DELETE:
            await self._confirm_delete(turn, incoming.text, current)
        elif turn.user.pending and await self.checkins_reply(turn, incoming.text):
            pass  # a check-in's number (or its action) typed after /checkins
        elif turn.user.pending == PENDING_ASK:
            await self.ask_reply(turn, incoming.text, current)
        elif turn.user.pending == PENDING_MENU:
            await self._menu_choice(turn, incoming.text)
        elif turn.user.pending in (PENDING_EXPORT, PENDING_EXPORT_TRANSCRIPT):
            await self.export_choice(turn, incoming.text)
        elif current is not None:
            await self._advance(turn, current, TextAnswer(incoming.text))
        else:
            await self._idle(turn, incoming.text, created=created)
        if not turn.no_transcript:  # what they said, then what we said: one statement
            await history.add_messages(
                conn,
                user_id=user.id,
                messages=[("in", _describe(incoming))]
                + [("out", reply.text) for reply in turn.replies],
                now=now,
                run_id=current.id if current else None,
            )
        return _stamped(turn)

    async def _facts(self, turn: _Turn) -> dict[str, dict[str, Any]]:
        """The founder's facts: read with the turn's start, again only after a change."""
        if turn.known is None:
            turn.known = await facts.load(turn.conn, turn.user.id)
        return {flow_id: dict(values) for flow_id, values in turn.known.items()}

    def _today(self, user: User) -> date:
        """The founder's local date (dates they type are relative to it)."""
        zone = ZoneInfo(user.timezone) if user.timezone else ZoneInfo("UTC")
        return self.clock.now().astimezone(zone).date()

    def locale_for(self, user: User) -> str:
        """The language a stored founder is spoken to in."""
        return pick_locale(user, locales=self.catalog.locales, default=self.default_locale)

    def _presenter(self, user: User) -> Presenter:
        locale = pick_locale(user, locales=self.catalog.locales, default=self.default_locale)
        return Presenter(
            self.renderer, locale, self.target, today=self._today(user), currency=user.currency
        )

    def _fallback(self, who: UserRef, code: str) -> OutMessage:
        locale = (who.language_code or "").split("-")[0]
        locale = locale if locale in self.catalog.locales else self.default_locale
        try:
            text = self.renderer.ui(f"errors.{code}", locale, self.target)
        except RenderError:
            text = "Error."
        return OutMessage(type="error", text=text)

    # ------------------------------------------------------------ inputs

    async def _tapped(self, turn: _Turn, tap: Tapped, current: Run | None) -> None:
        pending = turn.user.pending
        if tap.run_id is None and tap.step == DELETE_STEP and pending == PENDING_DELETE:
            chosen = pick(DELETE_OPTIONS, tap)
            if chosen is not None:
                await self._confirm_delete(turn, chosen, current)
                return
        elif tap.run_id is None and tap.step == CHECKINS_STEP and len(tap.option_ids) == 1:
            await self.manage_checkin(turn, tap.option_ids[0])
            return
        elif tap.run_id is None and tap.step == MORE_ADVICE_STEP and len(tap.option_ids) == 1:
            if tap.option_ids[0].isdecimal() and len(tap.option_ids[0]) <= 12:
                await self._more_advice(turn, current, int(tap.option_ids[0]))
                return
        elif (
            tap.run_id is None
            and tap.step == EXPORT_STEP
            and len(tap.indexes) == 1
            and pending in (PENDING_EXPORT, PENDING_EXPORT_TRANSCRIPT)  # the menu was shown
        ):
            formats = ("md", "html", "json", "csv", "investor")
            if 0 <= tap.indexes[0] < len(formats):
                await self.export_choice(turn, formats[tap.indexes[0]])
                return
        elif tap.run_id is None and tap.step == ASK_STEP and len(tap.option_ids) == 1:
            if tap.option_ids[0] in {f.id for f in self.catalog.menu_flows()}:  # "go deeper"
                await self._open_flow(turn, self.catalog.flows[tap.option_ids[0]])
                return
        elif tap.run_id is None and tap.step == MENU_STEP:
            chosen = pick([flow.id for flow in self.catalog.menu_flows()], tap)
            if chosen is not None:
                await self._open_flow(turn, self.catalog.flows[chosen])
                return
        elif current is not None and (tap.run_id, tap.step) == (current.id, current.state.step_id):
            if tap.action != "pick":
                await self._advance(turn, current, Back() if tap.action == "back" else Skip())
                return
            ids = tap.option_ids or await self._option_ids(turn, current, tap.indexes)
            if ids is not None:
                await self._advance(turn, current, Choose(ids))
                return
        turn.replies.append(turn.present.error("stale_button", {}))
        await self._show_current(turn, current)

    async def _option_ids(
        self, turn: _Turn, run: Run, indexes: tuple[int, ...]
    ) -> tuple[str, ...] | None:
        """The option ids at these positions of the run's current question (None if any is off)."""
        flow = self.catalog.flows.get(run.flow_id)
        known = await self._facts(turn)
        prompt = current_prompt(flow, run.state, known) if flow else None
        if flow is None or prompt is None:
            return None
        merged = run_facts(flow, run.state, known)
        question = turn.present.question(flow, run.state, prompt, merged, run.id)
        options = [option.id for option in question.options]
        if any(not 0 <= index < len(options) for index in indexes):
            return None
        return tuple(options[index] for index in indexes)

    async def _command(
        self, turn: _Turn, text: str, current: Run | None, *, created: bool
    ) -> None:
        name, _, argument = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        argument = argument.strip()
        if turn.user.pending and name not in ("menu", "help", "lang", "privacy", "more"):
            await self._set_user(turn, pending=None)
        match name:
            case "start":
                await self._start_command(turn, current, created=created)
            case "menu":
                await self._show_menu(turn)
            case "help":
                console = self.target is Target.PLAIN  # the console and JSON lines: /quit
                turn.replies.append(turn.present.message(turn.present.ui("help", console=console)))
                await self._show_current(turn, current, menu_if_idle=False)
            case "back" | "skip" if current is not None:
                event: Event = Back() if name == "back" else Skip()
                await self._advance(turn, current, event)
            case "back" | "skip":
                await self._show_current(turn, None)
            case "privacy":
                turn.replies.append(turn.present.message(turn.present.ui("privacy")))
                await self._show_current(turn, current, menu_if_idle=False)
            case "delete_my_data":
                await self._ask_delete(turn)
            case "timezone":
                await self._timezone(turn, argument, current)
            case "checkins":
                await self.list_checkins(turn, argument)
            case "more":
                await self._more_advice(turn, current, None)
            case "export":
                await self.export_menu(turn, argument)
            case "ask":
                await self.ask_command(turn, argument, current)
            case "stats" if f"{turn.user.channel}:{turn.user.external_id}" in self.admins:
                await self._stats(turn)
            case "cancel":
                await self._cancel(turn, current)
            case "lang":
                await self._lang(turn, argument, current)
            case _ if name in self.catalog.flows:
                await self._open_flow(turn, self.catalog.flows[name])
            case _:
                turn.replies.append(
                    turn.present.error("unknown_command", {"command": "/" + name[:32]})
                )
                await self._show_current(turn, current)

    async def _start_command(self, turn: _Turn, current: Run | None, *, created: bool) -> None:
        onboarded = await runs.last_completed(turn.conn, turn.user.id, ONBOARDING)
        if onboarded is None:
            turn.replies.append(turn.present.message(turn.present.ui("welcome")))
            await self._open_flow(turn, self.catalog.flows[ONBOARDING], announce=False)
            return
        name = turn.user.display_name or ""
        turn.replies.append(turn.present.message(turn.present.ui("welcome_back", name=name)))
        if current is not None:
            await self._show_current(turn, current)
        else:
            await self._show_menu(turn)

    async def _idle(self, turn: _Turn, text: str, *, created: bool) -> None:
        """Text with no conversation under way: onboarding first, then the menu."""
        onboarded = await runs.last_completed(turn.conn, turn.user.id, ONBOARDING)
        if onboarded is None and ONBOARDING in self.catalog.flows:
            turn.replies.append(turn.present.message(turn.present.ui("welcome")))
            await self._open_flow(turn, self.catalog.flows[ONBOARDING], announce=False)
        elif text.strip():
            await self.free_text_at_menu(turn, text)
        else:
            await self._show_menu(turn)

    async def _menu_choice(self, turn: _Turn, text: str) -> None:
        flows = self.catalog.menu_flows()
        labels = {flow.id: (turn.present.texts(flow).title,) for flow in flows}
        for flow in flows:
            labels[flow.id] += tuple(t.title for t in flow.texts.values())
        try:
            chosen = match_option(text, [flow.id for flow in flows], labels)
        except InvalidAnswer as exc:
            if exc.code == "unknown_option":  # words, not a pick: heard, never ignored
                await self.free_text_at_menu(turn, text)
                return
            turn.replies.append(turn.present.error(exc.code, exc.params, step=MENU_STEP))
            await self._show_menu(turn)
            return
        await self._open_flow(turn, self.catalog.flows[chosen])

    async def free_text_at_menu(self, turn: _Turn, text: str) -> None:
        """Words written freely with no conversation under way.

        The one place such text is handled. It is taken as a question for ``/ask``: the
        knowledge base answers when a passage fits. When none does, nothing is guessed from
        the words: the founder is told they were read and shown the menu with what each
        conversation is for, and picks the one that fits.
        """
        if await self.answer_question(turn, text, say_unknown=False):
            return
        await self._show_menu(turn, heard=text)

    # ------------------------------------------------------------ flows

    async def _open_flow(self, turn: _Turn, flow: Flow, *, announce: bool = True) -> None:
        """Resume the founder's active run of a flow, or start a new one.

        A flow that ``requires`` another (every coaching flow needs the profile) opens that
        one first, and says so, instead of starting with facts it cannot have.
        """
        for needed in flow.spec.requires:
            if needed in self.catalog.flows and not await runs.last_completed(
                turn.conn, turn.user.id, needed
            ):
                first = self.catalog.flows[needed]
                turn.replies.append(
                    turn.present.message(
                        turn.present.ui(
                            "notices.needs_first",
                            title=turn.present.texts(flow).title,
                            first=turn.present.texts(first).title,
                        )
                    )
                )
                await self._open_flow(turn, first, announce=False)
                return
        now = self.clock.now()
        await self._set_user(turn, pending=None)
        known = await self._facts(turn)
        texts = turn.present.texts(flow)
        run = await runs.active(turn.conn, turn.user.id, flow.id)
        if run is not None:
            state = run.state
            if state.paused:
                state = state.model_copy(update={"paused": False})
                await runs.save(turn.conn, run.id, state, now)
                turn.replies.append(
                    turn.present.message(turn.present.ui("notices.resumed", title=texts.title))
                )
            else:
                await runs.touch(turn.conn, run.id, now)
                if announce:
                    turn.replies.append(
                        turn.present.message(
                            turn.present.ui("notices.flow_started", title=texts.title)
                        )
                    )
            await self._ask(turn, flow, run.id, state, known)
            return
        previous = await runs.last_completed(turn.conn, turn.user.id, flow.id)
        if announce:
            turn.replies.append(
                turn.present.message(turn.present.ui("notices.flow_started", title=texts.title))
            )
        if (
            previous is not None
            and previous.completed_at is not None
            and flow.id not in FOLLOW_UP_FLOWS
        ):
            date = turn.present.local_date(previous.completed_at, turn.user.timezone)
            turn.replies.append(
                turn.present.message(
                    turn.present.ui("menu.redo_note", date=date, prefill=flow.spec.prefill)
                )
            )
        correction = await self.same_day_correction(turn, flow, previous)
        if correction is not None:
            transition = start(flow, known, **correction)
            turn.replies.append(turn.present.message(turn.present.ui("notices.update_corrects")))
        else:
            transition = start(flow, known)
            # ``questions``: the most this run can ask, the same number as "(1 of up to N)"
            questions = transition.prompt.progress[1] if transition.prompt else 0
            intro = turn.present.template(
                texts.intro, run_facts(flow, transition.state, known), questions=questions
            )
            turn.replies.append(turn.present.message(intro))
        run_id = await runs.create(turn.conn, turn.user.id, transition.state, now)
        await self._after(turn, flow, run_id, transition, known)

    async def _advance(self, turn: _Turn, run: Run, event: Event) -> None:
        flow = self.catalog.flows.get(run.flow_id)
        if flow is None:  # a flow removed from flows/ since the run began
            await runs.save(
                turn.conn,
                run.id,
                run.state.model_copy(update={"status": RunStatus.CANCELLED}),
                self.clock.now(),
            )
            await self._show_menu(turn)
            return
        known = await self._facts(turn)
        transition = advance(flow, run.state, event, known, today=self._today(turn.user))
        await self._after(turn, flow, run.id, transition, known)

    async def _after(
        self,
        turn: _Turn,
        flow: Flow,
        run_id: int,
        transition: Transition,
        known: dict[str, dict[str, Any]],
    ) -> None:
        """Store what a transition says, then render what comes next."""
        now = self.clock.now()
        for saved in transition.saved:
            await runs.add_answer(
                turn.conn,
                run_id=run_id,
                user_id=turn.user.id,
                flow_id=flow.id,
                step_id=saved.step_id,
                value=saved.value,
                now=now,
            )
        if transition.profile:
            await self._apply_profile(turn, transition.profile)
        await runs.save(turn.conn, run_id, transition.state, now)
        if transition.notice is not None:
            step = transition.prompt.step_id if transition.prompt else None
            turn.replies.append(
                turn.present.error(transition.notice.code, transition.notice.params, step=step)
            )
        if transition.completed:
            await self._complete(turn, flow, run_id, transition, known)
        elif transition.prompt is not None:
            await self._ask(turn, flow, run_id, transition.state, known)

    async def _ask(
        self, turn: _Turn, flow: Flow, run_id: int, state: Any, known: dict[str, dict[str, Any]]
    ) -> None:
        prompt = current_prompt(flow, state, known)
        if prompt is None:
            await self._show_menu(turn)
            return
        merged = run_facts(flow, state, known)
        turn.replies.append(turn.present.question(flow, state, prompt, merged, run_id))

    async def _complete(
        self,
        turn: _Turn,
        flow: Flow,
        run_id: int,
        transition: Transition,
        known: dict[str, dict[str, Any]],
    ) -> None:
        """Turn a confirmed run into facts, an assessment and advice."""
        now = self.clock.now()
        merged = run_facts(flow, transition.state, known)
        own = merged.get(flow.id, {})
        for step in flow.spec.steps:  # a setting shared with itself persists when not re-asked
            kept = step.shares == f"{flow.id}.{step.id}" and step.id not in own
            if kept and step.id in known.get(flow.id, {}):
                own[step.id] = known[flow.id][step.id]
        turn.known = None  # read again after these writes
        await facts.replace_flow(
            turn.conn,
            user_id=turn.user.id,
            flow_id=flow.id,
            values=merged.get(flow.id, {}),
            run_id=run_id,
            now=now,
        )
        for step in flow.spec.steps:
            if step.shares and step.id in merged.get(flow.id, {}):
                shared_flow, shared_step = step.shares.split(".", 1)
                await facts.put(
                    turn.conn,
                    user_id=turn.user.id,
                    flow_id=shared_flow,
                    name=shared_step,
                    value=merged[flow.id][step.id],
                    run_id=run_id,
                    now=now,
                )
        present = turn.present
        texts = present.texts(flow)
        turn.replies.append(present.message(present.template(texts.done, merged)))
        scores = assess(flow, merged)
        previous = await runs.last_completed(turn.conn, turn.user.id, flow.id, before=run_id)
        if previous is not None and flow.id not in FOLLOW_UP_FLOWS:
            before_scores = await history.scores(turn.conn, previous.id)
            turn.replies.append(
                present.changes(
                    flow,
                    asked_answers(flow, previous.state, known),
                    asked_answers(flow, transition.state, known),
                    merged,
                    scores_before=before_scores,
                    scores_after={s.dimension: s.score for s in scores},
                )
            )
        await history.add_scores(
            turn.conn, run_id=run_id, scores=[(s.dimension, s.score) for s in scores]
        )
        assessment = present.assessment(flow, scores, merged)
        if assessment is not None:
            turn.replies.append(assessment)
        if flow.spec.rules:
            rules = top_advice(flow, merged)
            await history.add_advice(
                turn.conn,
                user_id=turn.user.id,
                run_id=run_id,
                flow_id=flow.id,
                rules=[(rule.id, rule.priority) for rule in rules],
                now=now,
            )
            recalled: dict[str, Recall] = {}
            if flow.id not in FOLLOW_UP_FLOWS:
                recalled = await recalls_for(
                    turn.conn,
                    user_id=turn.user.id,
                    timezone=turn.user.timezone,
                    run_id=run_id,
                    catalog=self.catalog,
                    flow=flow,
                    rules=rules,
                    facts=merged,
                    present=present,
                )
            turn.replies.extend(
                present.advice(
                    flow, rules, merged, run_id=run_id, recalls=recalled, flows=self.catalog.flows
                )
            )
        if not await self.after_flow(turn, flow, run_id, transition.state, merged):
            await self._show_menu(turn)

    async def _more_advice(self, turn: _Turn, current: Run | None, run_id: int | None) -> None:
        """The advice items behind "More advice" (of this run, or the founder's latest),
        then the question the founder is on, as after /help."""
        given = await history.advice_given(turn.conn, turn.user.id, run_id)
        run = await runs.get(turn.conn, turn.user.id, given[0]) if given else None
        flow = self.catalog.flows.get(given[1]) if given else None
        if given is None or run is None or flow is None:
            turn.replies.append(turn.present.message(turn.present.ui("advice.no_advice")))
        else:
            merged = run_facts(flow, run.state, await facts.load(turn.conn, turn.user.id))
            by_id = {rule.id: rule for rule in flow.spec.rules}
            rules = [by_id[rule_id] for rule_id in given[2] if rule_id in by_id]
            turn.replies.extend(turn.present.more_advice(flow, rules, merged))
        await self._show_current(turn, current, menu_if_idle=False)

    async def _cancel(self, turn: _Turn, current: Run | None) -> None:
        if current is None:
            turn.replies.append(turn.present.message(turn.present.ui("notices.nothing_to_cancel")))
            return
        # paused, not closed: the answers stay and /menu or the flow's command resumes it
        state = current.state.model_copy(update={"paused": True})
        await runs.save(turn.conn, current.id, state, self.clock.now())
        flow = self.catalog.flows.get(current.flow_id)
        title = turn.present.texts(flow).title if flow else current.flow_id
        turn.replies.append(
            turn.present.message(turn.present.ui("notices.cancelled", title=title))
        )
        await self._show_menu(turn)

    async def _lang(self, turn: _Turn, argument: str, current: Run | None) -> None:
        code = argument.lower()[:2]
        if code not in self.catalog.locales:
            turn.replies.append(turn.present.error("unknown_language", {}))
            return
        await self._set_user(turn, locale=code)
        turn.replies.append(turn.present.message(turn.present.ui("notices.language_set")))
        await self._show_current(turn, current, menu_if_idle=False)

    # ------------------------------------------------------------ showing state

    # ------------------------------------------------------------ the founder's account

    async def _show_current(
        self, turn: _Turn, current: Run | None, *, menu_if_idle: bool = True
    ) -> None:
        """Ask the current question again (or show the menu when nothing is under way)."""
        if turn.user.pending == PENDING_MENU:
            await self._show_menu(turn)
            return
        if current is not None and current.flow_id in self.catalog.flows:
            known = await self._facts(turn)
            await self._ask(
                turn, self.catalog.flows[current.flow_id], current.id, current.state, known
            )
        elif menu_if_idle:
            await self._show_menu(turn)

    async def _show_menu(self, turn: _Turn, *, heard: str | None = None) -> None:
        await self._set_user(turn, pending=PENDING_MENU)
        known = await self._facts(turn)
        latest = await runs.latest_per_flow(turn.conn, turn.user.id)
        flows = self.catalog.menu_flows()
        statuses: dict[str, str] = {}
        for flow in flows:
            active = next(
                (r for r in latest.get(flow.id, []) if r.status is RunStatus.ACTIVE), None
            )
            done = next(
                (r for r in latest.get(flow.id, []) if r.status is RunStatus.COMPLETED), None
            )
            prompt = current_prompt(flow, active.state, known) if active else None
            statuses[flow.id] = turn.present.status(
                active=prompt,
                paused=bool(active and active.state.paused),
                completed_at=done.completed_at if done else None,
                tz=turn.user.timezone,
            )
        turn.replies.append(turn.present.menu(flows, statuses, heard=heard))

    # ------------------------------------------------------------ the founder's settings

    async def _apply_profile(self, turn: _Turn, profile: dict[str, Any] | Any) -> None:
        changes: dict[str, Any] = {}
        for name, value in profile.items():
            if value is None:
                continue
            if name == "currency":  # a bare $ keeps the founder's dollar (C$ earlier: CAD)
                value = settle_currency(value, turn.user.currency)
            changes["display_name" if name == "name" else name] = value
        await self._set_user(turn, **changes)

    async def _set_user(self, turn: _Turn, **changes: Any) -> None:
        if all(getattr(turn.user, key) == value for key, value in changes.items()):
            return
        await users.update(turn.conn, turn.user.id, self.clock.now(), **changes)
        turn.user = turn.user.model_copy(update=changes)
        if "locale" in changes or "currency" in changes:
            turn.present = self._presenter(turn.user)


def _stamped(turn: _Turn) -> list[OutMessage]:
    """The turn's replies, each naming the language it is in (adapters label buttons in it)."""
    locale = turn.present.locale
    return [reply.model_copy(update={"locale": locale}) for reply in turn.replies]


def _describe(incoming: Incoming) -> str:
    if isinstance(incoming, Said):
        return incoming.text
    chosen = incoming.option_ids or tuple(f"#{index}" for index in incoming.indexes)
    return f"[{incoming.action}: " + ", ".join(chosen) + "]"
