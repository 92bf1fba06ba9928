"""What happens after advice: commitments, their check-ins, and the weekly update.

A mixin of :class:`~bot.coach.service.Coach`, kept apart because it is about time:
turning "in a week, at 09:00" into check-in rows in the founder's own zone, opening a
check-in conversation when the dispatcher fires one, and acting on how it went.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.checkins import planner
from bot.coach.recalls import open_commitments
from bot.engine import Flow, FlowState, RunStatus, current_prompt, run_facts, start, top_advice
from bot.engine.inputs import InvalidAnswer, option_time
from bot.engine.spec import HORIZON_DAYS
from bot.models import Option, OutMessage
from bot.rendering import Target
from bot.storage import Connection, checkins, facts, runs, users
from bot.storage.checkins import COMMITMENT, WEEKLY_UPDATE, CheckIn

if TYPE_CHECKING:
    from bot.coach.present import Presenter
    from bot.storage import User

COMMIT_FLOW = "commit"
CHECKIN_FLOW = "checkin"
UPDATE_FLOW = "update"
FOLLOW_UP_FLOWS = (COMMIT_FLOW, CHECKIN_FLOW, UPDATE_FLOW)
DAYS = {"in_3_days": 3, "in_a_week": 7, "in_two_weeks": 14, "snooze_1d": 1, "snooze_3d": 3}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A check-in not yet answered: its commitment is open and is not offered again as new.
UNANSWERED = ("scheduled", "paused", "sending", "sent", "paused_blocked")
ACTIONS = ("later", "pause", "resume", "cancel")
PENDING_CHECKINS = "checkins"  # the list was just shown: a number picks an entry
PENDING_CHECKIN = "checkins:"  # + id: one entry's actions were offered


def hour_of(option: Any, default: int = 9) -> time:
    """``h09`` (an hour option of the flows) or ``21:30`` (a time typed there) as a time."""
    hour, minute = option_time(option) or (default, 0)
    return time(hour, minute)


class FollowUps:
    """Commitments and check-ins for the Coach (see the module docstring).

    A *sitting* is the founder's local day: the commitment picker comes at most once in
    it, after whichever flow ends first with commitments to suggest (a coaching flow, a
    weekly update or a check-in). Later flows that day say why it does not come again.
    """

    quiet: planner.QuietHours = planner.QuietHours()
    catchup: timedelta = timedelta(hours=12)  # paused while blocked: older ones are missed
    on_scheduled: list[Callable[[int, datetime], None]]

    # provided by Coach
    catalog: Any
    clock: Any
    renderer: Any

    def _presenter(self, user: User) -> Presenter:  # pragma: no cover - Coach implements it
        raise NotImplementedError

    # ------------------------------------------------------------ after a flow

    async def after_flow(
        self, turn: Any, flow: Flow, run_id: int, state: FlowState, merged: dict[str, Any]
    ) -> bool:
        """Act on a completed flow; True if a follow-up question was asked (no menu then)."""
        if flow.id == COMMIT_FLOW:
            await self._commitments_made(turn, state, merged)
            return False
        if flow.id == CHECKIN_FLOW and await self._checkin_answered(turn, run_id, state, merged):
            return False  # asked again later: the commitment goes on, no new ones on top
        if flow.id == UPDATE_FLOW:
            await self._supersede(turn, state)
            row = await checkins.by_run(turn.conn, run_id)
            if row is not None:  # the scheduled update was answered (not a /update of one's own)
                await checkins.set_status(
                    turn.conn, row.id, "answered", outcome="done", answered_at=self.clock.now()
                )
            await self._weekly_schedule(turn, merged)
        return await self._offer_commitments(turn, flow, merged)

    async def same_day_correction(
        self, turn: Any, flow: Flow, previous: Any
    ) -> dict[str, Any] | None:
        """A second weekly update on the same local day corrects the first, not a new week.

        Returns how to start the run (the first one's answers, and the update before it as
        `last`), or None for an ordinary new update.
        """
        if flow.id != UPDATE_FLOW or previous is None or previous.completed_at is None:
            return None
        if self._local_day(turn, previous.completed_at) != self._local_day(turn, self.clock.now()):
            return None
        older = await runs.last_completed(turn.conn, turn.user.id, UPDATE_FLOW, before=previous.id)
        last: dict[str, Any] = {}
        if older is not None:
            known = await self._facts(turn)  # type: ignore[attr-defined]
            known.pop(UPDATE_FLOW, None)  # the older run's own facts, not this week's
            last = run_facts(flow, older.state, known).get(UPDATE_FLOW, {})
        asked = {
            step: value
            for step, value in previous.state.answers.items()
            if step in flow.spec.step_ids()
        }
        return {"context": {"corrects": previous.id, "last": last}, "answers": asked}

    def _local_day(self, turn: Any, moment: datetime) -> date:
        zone = ZoneInfo(turn.user.timezone or "UTC")
        return moment.astimezone(zone).date()

    async def _supersede(self, turn: Any, state: FlowState) -> None:
        """A confirmed correction replaces the update it corrects (one week, not two)."""
        corrected = state.context.get("corrects")
        if not isinstance(corrected, int):
            return
        run = await runs.get(turn.conn, turn.user.id, corrected)
        if run is not None and run.status is RunStatus.COMPLETED:
            replaced = run.state.model_copy(update={"status": RunStatus.CANCELLED})
            await runs.save(turn.conn, run.id, replaced, self.clock.now())

    async def _offer_commitments(self, turn: Any, flow: Flow, merged: dict[str, Any]) -> bool:
        """Advice with suggested commitments is followed by the offer to commit to some.

        Every suggestion of the advice can be picked (Telegram's toggles carry up to 64 in
        their bit mask; a flow suggests at most 3 per rule in its top 10), except those
        already open; the last option is one in the founder's own words.
        """
        commit = self.catalog.flows.get(COMMIT_FLOW)
        if commit is None or flow.id == COMMIT_FLOW:
            return False
        rules = top_advice(flow, merged)
        if any(rule.gentle for rule in rules):
            return False
        offered, horizons = await self._suggested(turn, flow, rules, merged)
        if not offered:
            return False
        if await self._offered_today(turn):
            turn.replies.append(turn.present.message(turn.present.ui("checkins.offered_today")))
            return False
        # a coaching conversation is its commitments' topic; check-ins and updates carry theirs on
        coaching = flow.spec.menu and flow.id != UPDATE_FLOW
        topic = flow.id if coaching else state_topic(merged)
        own_option = turn.present.plain("checkins.own_option")
        known = await self._facts(turn)  # type: ignore[attr-defined]
        context = {"offered": [*offered, own_option], "own_option": own_option,
                   "horizons": horizons, "topic": topic}  # fmt: skip
        transition = start(commit, known, context=context)
        run_id = await self._fresh_run(turn.conn, turn.user.id, transition.state)
        turn.replies.append(
            turn.present.message(turn.present.template(turn.present.texts(commit).intro, known))
        )
        prompt = current_prompt(commit, transition.state, known)
        if prompt is None:
            return False
        facts_now = run_facts(commit, transition.state, known)
        turn.replies.append(
            turn.present.question(commit, transition.state, prompt, facts_now, run_id)
        )
        return True

    async def _suggested(
        self, turn: Any, flow: Flow, rules: list[Any], merged: dict[str, Any]
    ) -> tuple[list[str], dict[str, int]]:
        """The advice's commitments in the founder's words, with the days each one takes;
        those the founder already committed to (and has not answered) are left out."""
        texts = turn.present.texts(flow)
        unanswered = await checkins.for_user(turn.conn, turn.user.id, UNANSWERED)
        open_texts = {row.commitment for row in unanswered if row.commitment}
        open_texts |= set(await open_commitments(turn.conn, turn.user.id))  # asked about
        offered: list[str] = []
        horizons: dict[str, int] = {}
        for rule in rules:
            for cid in rule.commitments:
                words = turn.present.template(
                    texts.rules[rule.id].commitments[cid], merged, target=Target.PLAIN
                )
                if words not in offered and words not in open_texts:
                    offered.append(words)
                    horizons[words] = HORIZON_DAYS[flow.spec.horizon(cid)]
        return offered, horizons

    async def _offered_today(self, turn: Any) -> bool:
        """Whether the picker already came in this sitting (the founder's local day)."""
        started = await runs.last_started(turn.conn, turn.user.id, COMMIT_FLOW)
        return started is not None and self._local_day(turn, started) == self._local_day(
            turn, self.clock.now()
        )

    async def _commitments_made(self, turn: Any, state: FlowState, merged: dict[str, Any]) -> None:
        """Store what was picked; each commitment is checked on its own horizon's day."""
        own = merged.get(COMMIT_FLOW, {})
        context = merged.get("context", {})
        horizons = context.get("horizons") or {}
        now = self.clock.now()
        zone = turn.user.timezone or "UTC"
        at = hour_of(own.get("hour", merged.get("last", {}).get(COMMIT_FLOW, {}).get("hour")))
        planned: list[tuple[str, datetime, planner.LocalIntent, date | None]] = []
        for text in (str(item) for item in own.get("pick", [])):
            if text != context.get("own_option"):
                days = int(horizons.get(text, DAYS["in_a_week"]))
                planned.append((text, *self._due_for(None, None, now, zone, at, days=days)))
        if own.get("own"):
            words = str(own["own"])
            planned.append(
                (words, *self._due_for(own.get("when"), own.get("date"), now, zone, at))
            )
        if not planned:
            return
        topic = str(state.context.get("topic", "own"))
        present = turn.present
        lines: list[str] = []
        for text, due, intent, _ in planned[:3]:
            commitment_id = await checkins.add_commitment(
                turn.conn, user_id=turn.user.id, topic=topic, text=text, now=now
            )
            await self._schedule(turn, COMMITMENT, due, intent, zone, commitment_id)
            lines.append(
                present.ui(
                    "checkins.scheduled_line", what=text, when=self._when_due(turn, due, zone)
                )
            )
        lines.append(
            present.ui(
                "checkins.scheduled_local", moved=self._moved(turn, [p[3] for p in planned[:3]])
            )
        )
        turn.replies.append(present.message("\n".join(lines)))

    def _moved(self, turn: Any, moved_from: list[date | None]) -> str | None:
        """Why some check-ins are on a Monday: their day fell on a weekend (None if none did)."""
        moved = [day for day in moved_from if day is not None]
        if not moved:
            return None
        names = turn.present.plain("checkins.weekend_days").split(",")
        return str(turn.present.ui(
            "checkins.moved_weekend", count=len(moved), day=names[moved[0].weekday() - 5]
        ))  # fmt: skip

    def _due_for(
        self, when: Any, day: Any, now: datetime, zone: str, at: time, *,
        days: int | None = None, workdays: bool = True,
    ) -> tuple[datetime, planner.LocalIntent, date | None]:  # fmt: skip
        """When to check in: on a date the founder chose, or some days from today.

        Counted in days, a check-in that lands on a weekend moves to the Monday after
        (unless ``workdays`` is False: "ask me tomorrow" means tomorrow); the third value
        is the weekend day it moved from (None if it did not move).
        """
        moved_from: date | None = None
        if when == "on_date" and isinstance(day, str):
            due, intent = planner.on_day(date.fromisoformat(day), at, zone)
        else:
            count = days if days is not None else DAYS.get(str(when), 7)
            target = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=count)
            if workdays and planner.off_weekend(target) != target:
                moved_from, target = target, planner.off_weekend(target)
                count = (target - now.astimezone(ZoneInfo(zone)).date()).days
            due, intent = planner.in_days(now, count, at, zone)
        return planner.respect_quiet_hours(due, zone, self.quiet), intent, moved_from

    async def _checkin_answered(
        self, turn: Any, run_id: int, state: FlowState, merged: dict[str, Any]
    ) -> bool:
        """Record how a check-in went; True if the founder is to be asked about it again."""
        row = await checkins.by_run(turn.conn, run_id)
        if row is None:
            return False
        now = self.clock.now()
        answers = merged.get(CHECKIN_FLOW, {})
        outcome = str(answers.get("outcome", ""))
        note = answers.get("note")
        await checkins.set_status(
            turn.conn, row.id, "answered", outcome=outcome, note=note, answered_at=now
        )
        status = {"drop": "dropped", "snooze_1d": "open", "snooze_3d": "open"}.get(
            outcome, outcome
        )
        if row.commitment_id is not None:
            await checkins.set_commitment_status(turn.conn, row.commitment_id, status, now)
        snoozed = outcome.startswith("snooze")
        again = outcome if snoozed else answers.get("next")
        zone = turn.user.timezone or row.timezone
        if again not in DAYS or row.commitment_id is None:
            return False
        intent = planner.LocalIntent.from_text(row.local_intent) if row.local_intent else None
        at = intent.at if intent else time(9, 0)
        due, new_intent, moved = self._due_for(again, None, now, zone, at, workdays=not snoozed)
        await self._schedule(turn, COMMITMENT, due, new_intent, zone, row.commitment_id)
        turn.replies.append(
            turn.present.message(
                turn.present.ui(
                    "checkins.scheduled",
                    when=self.local_text(due, zone),
                    moved=self._moved(turn, [moved]),
                )
            )
        )
        return True

    async def _weekly_schedule(self, turn: Any, merged: dict[str, Any]) -> None:
        """After an update: make sure the next one is scheduled on the chosen day and hour."""
        answers = {**merged.get("last", {}).get(UPDATE_FLOW, {}), **merged.get(UPDATE_FLOW, {})}
        weekday = WEEKDAYS.index(answers["weekday"]) if answers.get("weekday") in WEEKDAYS else 0
        at = hour_of(answers.get("hour"))
        zone = turn.user.timezone or "UTC"
        now = self.clock.now()
        due, intent = planner.next_weekly(now + timedelta(days=1), weekday, at, zone)
        due = planner.respect_quiet_hours(due, zone, self.quiet)
        for row in await checkins.for_user(turn.conn, turn.user.id):
            if row.kind == WEEKLY_UPDATE:
                await checkins.set_status(
                    turn.conn, row.id, row.status, due_at=due, local_intent=intent.to_text()
                )
                self._later(turn, row.id, due)
                break
        else:
            await self._schedule(turn, WEEKLY_UPDATE, due, intent, zone, None)
        turn.replies.append(
            turn.present.message(
                turn.present.ui("checkins.weekly", when=self.local_text(due, zone))
            )
        )

    async def _schedule(
        self, turn: Any, kind: str, due: datetime, intent: planner.LocalIntent, zone: str,
        commitment_id: int | None,
    ) -> int:  # fmt: skip
        checkin_id = await checkins.create(
            turn.conn, user_id=turn.user.id, kind=kind, due_at=due, timezone=zone,
            local_intent=intent.to_text(), now=self.clock.now(), commitment_id=commitment_id,
        )  # fmt: skip
        self._later(turn, checkin_id, due)
        return checkin_id

    @staticmethod
    def _later(turn: Any, checkin_id: int, due: datetime) -> None:
        """Tell the scheduler once the turn has committed (see Coach.handle)."""
        turn.scheduled.append((checkin_id, due))

    def _when_due(self, turn: Any, due: datetime, zone: str) -> str:
        """A due time as /checkins shows it (``Mon 14 Dec, 09:00``)."""
        local = due.astimezone(ZoneInfo(zone))
        present = turn.present
        this_year = self.clock.now().astimezone(ZoneInfo(zone)).year
        return str(
            present.plain(
                "checkins.when",
                weekday=present.plain("checkins.weekdays").split(",")[local.weekday()],
                day=local.day,
                month=present.plain("checkins.months").split(",")[local.month - 1],
                month_number=local.month,
                year=local.year if local.year != this_year else None,
                time=local.strftime("%H:%M"),
            )
        )

    def local_text(self, moment: datetime, zone: str) -> str:
        """A moment as the founder's local date and time (``2026-03-05 09:00``)."""
        intent = planner.local_intent(moment, zone)
        return f"{intent.day.isoformat()} {intent.at.strftime('%H:%M')}"

    # ------------------------------------------------------------ the dispatcher's side

    # ------------------------------------------------------------ /checkins

    async def list_checkins(self, turn: Any, argument: str = "") -> None:
        """/checkins: what is scheduled, numbered, in local time.

        Each entry carries later/pause/resume/cancel options (Telegram's buttons, with the
        check-in's id). Typed, an entry is named by its number in the list:
        ``/checkins later 2``, or ``/checkins 2`` (or ``2`` right after the list) to be
        offered its actions.
        """
        words = argument.split()
        if words:
            if len(words) == 2 and words[0].lower() in ACTIONS and words[1].isdecimal():
                await self._act_on_number(turn, words[0].lower(), words[1])
            elif len(words) == 1 and words[0].isdecimal():
                await self._offer_entry(turn, words[0])
            else:
                turn.replies.append(turn.present.error("checkins_usage", {}))
            return
        rows = await checkins.for_user(turn.conn, turn.user.id)
        if not rows:
            turn.replies.append(turn.present.message(turn.present.ui("checkins.none")))
            return
        await self._show_list(turn, rows, "checkins.title")

    async def _show_list(self, turn: Any, rows: list[CheckIn], title: str) -> None:
        present = turn.present
        zone = turn.user.timezone or "UTC"
        turn.replies.append(present.message(present.ui(title, zone=zone)))
        for number, row in enumerate(rows, start=1):
            text = present.ui(
                f"checkins.item_{'paused' if row.status == 'paused' else 'scheduled'}",
                number=number,
                what=self._checkin_name(turn, row),
                when=self._when(turn, row),
            )
            turn.replies.append(
                OutMessage(
                    type="message", text=text, options=self._actions(turn, row), step="checkins"
                )
            )
        if getattr(self, "target", None) is Target.PLAIN:  # no buttons: typed numbers instead
            if title == "checkins.title":
                turn.replies.append(present.message(present.ui("checkins.how", count=len(rows))))
            await self._set_user(turn, pending=PENDING_CHECKINS)  # type: ignore[attr-defined]

    async def _manage_typed(self, turn: Any, action: str, checkin_id: int) -> None:
        """A change typed by number; the list again if that changed the numbers."""
        before = [row.id for row in await checkins.for_user(turn.conn, turn.user.id)]
        await self.manage_checkin(turn, f"{action}:{checkin_id}")
        rows = await checkins.for_user(turn.conn, turn.user.id)
        if rows and [row.id for row in rows] != before:
            await self._show_list(turn, rows, "checkins.renumbered")

    async def checkins_reply(self, turn: Any, text: str) -> bool:
        """Text typed right after /checkins: an entry's number, or ``later 2``; then one of
        the entry's actions by number or name. False (and nothing done) for anything else."""
        pending = turn.user.pending or ""
        if not pending.startswith(PENDING_CHECKINS):
            return False
        words = text.strip().split()
        if pending == PENDING_CHECKINS:
            if len(words) == 1 and words[0].isdecimal():
                await self._offer_entry(turn, words[0])
                return True
            if len(words) == 2 and words[0].lower() in ACTIONS and words[1].isdecimal():
                await self._act_on_number(turn, words[0].lower(), words[1])
                return True
        elif pending.startswith(PENDING_CHECKIN) and pending[len(PENDING_CHECKIN) :].isdigit():
            row = await checkins.get(turn.conn, int(pending[len(PENDING_CHECKIN) :]))
            if row is not None and row.user_id == turn.user.id:
                options = tuple(option.id.split(":")[0] for option in self._actions(turn, row))
                try:
                    action = self._ui_answer(text, "checkins", options)  # type: ignore[attr-defined]
                except InvalidAnswer as exc:
                    if exc.code != "no_such_number":
                        await self._set_user(turn, pending=None)  # type: ignore[attr-defined]
                        return False
                    turn.replies.append(turn.present.error(exc.code, exc.params))
                    turn.replies.append(self._entry_question(turn, row))
                    return True
                await self._manage_typed(turn, action, row.id)
                return True
        await self._set_user(turn, pending=None)  # type: ignore[attr-defined]
        return False

    async def _numbered(self, turn: Any, raw: str) -> CheckIn | None:
        """The check-in at this position of the founder's list, or None (with the reason)."""
        rows = await checkins.for_user(turn.conn, turn.user.id)
        number = int(raw) if len(raw) <= 6 else 0
        if not 1 <= number <= len(rows):
            key = "checkins.none" if not rows else "checkins.no_such"
            turn.replies.append(
                turn.present.message(turn.present.ui(key, number=raw[:6], count=len(rows)))
            )
            return None
        return rows[number - 1]

    async def _act_on_number(self, turn: Any, action: str, raw: str) -> None:
        row = await self._numbered(turn, raw)
        if row is not None:
            await self._manage_typed(turn, action, row.id)

    async def _offer_entry(self, turn: Any, raw: str) -> None:
        """One entry with its actions as a numbered question (``/checkins 2``)."""
        row = await self._numbered(turn, raw)
        if row is None:
            return
        turn.replies.append(self._entry_question(turn, row))
        await self._set_user(turn, pending=f"{PENDING_CHECKIN}{row.id}")  # type: ignore[attr-defined]

    def _entry_question(self, turn: Any, row: CheckIn) -> OutMessage:
        text = turn.present.ui(
            "checkins.entry",
            what=self._checkin_name(turn, row),
            when=self._when(turn, row),
            paused=row.status == "paused",
        )
        return OutMessage(
            type="question",
            text=text,
            kind="choice",
            step="checkins",
            options=self._actions(turn, row),
        )

    def _actions(self, turn: Any, row: CheckIn) -> list[Option]:
        toggle = "resume" if row.status == "paused" else "pause"
        return [
            Option(id=f"{action}:{row.id}", label=turn.present.plain(f"checkins.{action}"))
            for action in ("later", toggle, "cancel")
        ]

    @staticmethod
    def _checkin_name(turn: Any, row: CheckIn) -> str:
        return row.commitment or turn.present.plain("checkins.weekly_name")

    def _when(self, turn: Any, row: CheckIn) -> str:
        """A due time as the founder reads it: ``Wed 16 Dec, 09:00``, ``12月16日（周三）09:00``."""
        return self._when_due(turn, row.due_at, turn.user.timezone or row.timezone)

    async def manage_checkin(self, turn: Any, choice: str) -> None:
        """Apply later/pause/resume/cancel to one of the founder's own check-ins."""
        action, _, raw_id = choice.partition(":")
        row = await checkins.get(turn.conn, int(raw_id)) if raw_id.isdigit() else None
        if turn.user.pending and turn.user.pending.startswith(PENDING_CHECKINS):
            await self._set_user(turn, pending=None)  # type: ignore[attr-defined]
        if (
            action not in ACTIONS
            or row is None
            or row.user_id != turn.user.id
            or row.status not in ("scheduled", "paused")
        ):
            turn.replies.append(turn.present.error("stale_button", {}))
            return
        zone = turn.user.timezone or row.timezone
        if action == "later":
            due = planner.respect_quiet_hours(row.due_at + timedelta(days=1), zone, self.quiet)
            intent = planner.local_intent(due, zone)
            await checkins.set_status(
                turn.conn, row.id, row.status, due_at=due, local_intent=intent.to_text()
            )
            self._later(turn, row.id, due)
        elif action == "pause":
            await checkins.set_status(turn.conn, row.id, "paused")
        elif action == "resume":
            due = max(row.due_at, self.clock.now())
            await checkins.set_status(turn.conn, row.id, "scheduled", due_at=due)
            self._later(turn, row.id, due)
        else:
            await checkins.set_status(turn.conn, row.id, "cancelled")
        updated = await checkins.get(turn.conn, row.id)
        assert updated is not None
        turn.replies.append(
            turn.present.message(
                turn.present.ui(
                    f"checkins.{action}_done",
                    what=self._checkin_name(turn, row),
                    when=self._when(turn, updated),
                )
            )
        )

    async def move_checkins(self, turn: Any, zone: str) -> None:
        """A new time zone: every future check-in keeps its local time in the new zone."""
        for row in await checkins.for_user(turn.conn, turn.user.id):
            if row.local_intent is None:
                continue
            intent = planner.LocalIntent.from_text(row.local_intent)
            due = planner.respect_quiet_hours(planner.move_to_zone(intent, zone), zone, self.quiet)
            await checkins.set_status(turn.conn, row.id, row.status, due_at=due, timezone=zone)
            if row.status == "scheduled":
                self._later(turn, row.id, due)

    async def _fresh_run(self, conn: Connection, user_id: int, state: FlowState) -> int:
        """Store a new run; an unanswered earlier run of the same flow gives way to it."""
        now = self.clock.now()
        active = await runs.active(conn, user_id, state.flow_id)
        if active is not None:
            cancelled = active.state.model_copy(update={"status": RunStatus.CANCELLED})
            await runs.save(conn, active.id, cancelled, now)
        return await runs.create(conn, user_id, state, now)

    async def open_checkin(
        self, conn: Connection, user: User, row: CheckIn, *, reminder: bool
    ) -> tuple[list[OutMessage], int]:
        """Start (or, for a reminder, resume) the conversation of a due check-in."""
        flow = self.catalog.flows[UPDATE_FLOW if row.kind == WEEKLY_UPDATE else CHECKIN_FLOW]
        present = self._presenter(user)
        known = await facts.load(conn, user.id)
        now = self.clock.now()
        run = await runs.get(conn, user.id, row.run_id) if row.run_id else None
        if run is not None and run.status is RunStatus.ACTIVE:
            state = run.state.model_copy(
                update={"context": {**run.state.context, "reminder": reminder}}
            )
            await runs.save(conn, run.id, state, now)
            run_id = run.id
        else:
            context = {"checkin_id": row.id, "commitment": row.commitment or "",
                       "topic": row.topic or "own", "reminder": reminder}  # fmt: skip
            state = start(flow, known, context=context).state
            run_id = await self._fresh_run(conn, user.id, state)
        await users.update(conn, user.id, now, pending=None)
        merged = run_facts(flow, state, known)
        messages = [present.message(present.template(present.texts(flow).intro, merged))]
        prompt = current_prompt(flow, state, known)
        if prompt is not None:
            messages.append(present.question(flow, state, prompt, merged, run_id))
        # each names its language, as a turn's replies do (the console's hint brackets)
        return [m.model_copy(update={"locale": present.locale}) for m in messages], run_id

    async def close_checkin_run(self, conn: Connection, row: CheckIn) -> None:
        """A check-in went unanswered: its conversation is closed."""
        if row.run_id is None:
            return
        run = await runs.get(conn, row.user_id, row.run_id)
        if run is not None and run.status is RunStatus.ACTIVE:
            state = run.state.model_copy(update={"status": RunStatus.CANCELLED})
            await runs.save(conn, run.id, state, self.clock.now())


def state_topic(merged: dict[str, Any]) -> str:
    """The topic of the check-in being answered (carried into new commitments)."""
    return str(merged.get("context", {}).get("topic", "own"))
