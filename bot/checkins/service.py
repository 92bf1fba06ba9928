"""Dispatching check-ins: the database row is the truth, this decides and sends.

``fire`` claims a due row in a transaction before anything is sent, so a double fire,
an overlapping sweep or a second process sends nothing twice. Policies, stated once:

- **Busy founder**: a check-in never interrupts a question. While another conversation
  was touched within ``idle`` it waits ``retry_busy`` and tries again.
- **Quiet hours** (local, default 22:00-08:00): nothing is sent; it waits for the morning.
- **Catch-up at start-up**: a check-in missed by at most ``grace`` is sent once, now;
  older ones are marked missed. Several missed weekly updates collapse into one.
- **Interrupted send (at least once)**: a claim holds a lease (``lease``). A row still
  ``sending`` when its lease has run out was cut off by a crash: the recovery at start-up and
  the sweep send it again (recorded as ``interrupted``). A send that timed out after leaving
  (outcome unknown) is sent again after ``retry_unknown``. So a check-in is never silently
  lost; each cut-off or unknown send can add at most one duplicate. After ``max_attempts``
  failed or unknown sends it stops (``failed``, or ``sent`` if the last outcome was unknown),
  and after ``max_interrupted`` cut-off ones once it is more than ``grace`` late (``failed``:
  a row that keeps killing the process).
- **No answer**: one reminder ``remind_after`` later (outside quiet hours), then missed
  ``missed_after`` after that; the next weekly update still comes.
- **Send errors**: 403 pauses every scheduled check-in of that founder
  (``paused_blocked``) until they write again, then the future ones resume; other errors
  retry with backoff (each attempt recorded), up to ``max_attempts``.
- **Many due at once**: at most ``in_flight`` are being sent at a time; the rest wait,
  unclaimed, for their turn (see :meth:`CheckinService.fire`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.checkins import planner
from bot.clock import Clock
from bot.coach import Coach
from bot.models import OutMessage, UserRef
from bot.storage import Connection, Database, User, checkins, runs, users
from bot.storage.checkins import WEEKLY_UPDATE, CheckIn
from bot.storage.locks import LocalLocks, Locks

log = logging.getLogger(__name__)


class SendResult(StrEnum):
    """How sending a check-in ended."""

    SENT = "sent"
    BLOCKED = "blocked"
    ERROR = "error"
    UNKNOWN = "unknown"  # timed out after leaving: it may have arrived
    UNAVAILABLE = "unavailable"  # this process cannot reach that founder (console)


Sender = Callable[[UserRef, list[OutMessage]], Awaitable[SendResult]]
Scheduled = Callable[[int, datetime], None]


@dataclass(frozen=True)
class Policy:
    """The numbers behind the policies in the module docstring."""

    quiet: planner.QuietHours = field(default_factory=planner.QuietHours)
    grace: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(minutes=20)
    retry_busy: timedelta = timedelta(minutes=5)
    remind_after: timedelta = timedelta(hours=24)
    missed_after: timedelta = timedelta(hours=24)
    lease: timedelta = timedelta(minutes=2)
    retry_unknown: timedelta = timedelta(seconds=30)
    retry_error: timedelta = timedelta(minutes=1)  # then times 2, 4, 8...
    max_attempts: int = 5  # sends that failed or timed out
    # sends cut off by a crash: given up after this many, once ``grace`` has passed too (a
    # crash loop at start-up must not lose check-ins; a row that keeps killing us stops)
    max_interrupted: int = 10
    in_flight: int = 8


def who(user: User) -> UserRef:
    """The transport identity of a stored founder."""
    return UserRef(channel=user.channel, external_id=user.external_id,
                   display_name=user.display_name, language_code=user.client_language)  # fmt: skip


class CheckinService:
    """Fires, recovers and sweeps check-ins for one Coach and one way of sending."""

    def __init__(
        self,
        db: Database,
        coach: Coach,
        clock: Clock,
        sender: Sender,
        *,
        policy: Policy | None = None,
        locks: Locks | None = None,
    ) -> None:
        self.db = db
        # the founder locks turns take too: a check-in never lands in the middle of one
        self.locks: Locks = locks if locks is not None else LocalLocks()
        self.coach = coach
        self.clock = clock
        self.sender = sender
        self.policy = policy or Policy()
        self.on_scheduled: list[Scheduled] = []
        self._in_flight = asyncio.Semaphore(self.policy.in_flight)
        self.instance = uuid.uuid4().hex[:12]  # claimed_by: this process
        self._sending: set[int] = set()  # rows this process is sending right now
        coach.on_scheduled.append(self._notify)

    def _notify(self, checkin_id: int, due: datetime) -> None:
        for callback in self.on_scheduled:
            callback(checkin_id, due)

    # ------------------------------------------------------------ firing

    async def fire(self, checkin_id: int) -> SendResult | None:
        """Send one check-in if it is due and nobody else has; None if nothing was sent.

        At most ``policy.in_flight`` at a time: when thousands come due together, the others
        wait unclaimed, so a row is claimed only shortly before the rate limiter lets its
        message go. A crash then leaves a handful ``sending`` (counted as sent, reminded
        later), not the whole backlog; and a 429 pause, during which PTB's limiter keeps
        admitting messages it releases together afterwards, can only gather that handful.
        """
        async with self._in_flight:
            founder = await self._founder_of(checkin_id)
            if founder is None:
                return None
            async with self.locks.founder(founder):
                return await self._fire(checkin_id)

    async def _founder_of(self, checkin_id: int) -> str | None:
        async with self.db.reading() as conn:
            return await checkins.founder_of(conn, checkin_id)

    async def tick(self) -> int:
        """Several workers: claim due rows and send them, until none is left; how many.

        Rows are claimed a handful at a time (``policy.in_flight`` in all, including those
        being sent), so a claimed row goes out soon after, well within its lease; another
        worker's tick claims the next ones at the same time (``SKIP LOCKED``).
        """
        running: set[asyncio.Task[SendResult | None]] = set()
        handled = 0
        while True:
            free = self.policy.in_flight - len(running)
            if free > 0:
                for checkin_id, before in await self._claim(free):
                    task = asyncio.create_task(self._send_claimed(checkin_id, before))
                    running.add(task)
            if not running:
                return handled
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            handled += len(done)

    async def _claim(self, limit: int) -> list[tuple[int, str]]:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            return await checkins.claim_due(
                conn, now, since=now - self.policy.grace, limit=limit,
                until=now + self.policy.lease, by=self.instance,
            )  # fmt: skip

    async def _send_claimed(self, checkin_id: int, before: str) -> SendResult | None:
        founder = await self._founder_of(checkin_id)
        if founder is None:
            return None
        async with self._in_flight, self.locks.founder(founder):
            return await self._fire(checkin_id, claimed=before)

    async def _fire(self, checkin_id: int, *, claimed: str | None = None) -> SendResult | None:
        """Claim (unless ``claimed``: the status the row had when :meth:`tick` claimed it),
        decide, send and settle one check-in; the caller holds the founder's lock."""
        if checkin_id in self._sending:  # our own send still under way: not cut off
            return None
        now = self.clock.now()
        later: list[tuple[int, datetime]] = []
        messages: list[OutMessage] = []
        async with self.db.transaction() as conn:
            before = await checkins.get(conn, checkin_id)
            if before is None:
                return None
            if claimed is not None:
                if before.status != "sending" or before.claimed_by != self.instance:
                    return None  # settled meanwhile (or no longer ours)
                before = before.model_copy(update={"status": claimed})
            elif not await checkins.claim(
                conn, checkin_id, now, until=now + self.policy.lease, by=self.instance
            ):
                return None
            if before.status == "sending":  # a lease ran out: the last sender died mid-send
                await checkins.add_attempt(conn, checkin_id, now, "interrupted", "sent again")
                cut = await checkins.count_attempts(conn, checkin_id, "interrupted")
                if cut >= self.policy.max_interrupted and before.due_at + self.policy.grace < now:
                    await checkins.set_status(conn, checkin_id, "failed", claimed_until=None)
                    log.error("check-in %s cut off %d times; given up", checkin_id, cut)
                    return None
            row = await checkins.get(conn, checkin_id)
            assert row is not None
            user = await users.get(conn, row.user_id)
            if user is None or not user.consented:
                await checkins.set_status(conn, checkin_id, "cancelled", claimed_until=None)
                return None
            if not user.active:  # blocked: waits until they write again
                await checkins.set_status(conn, checkin_id, "paused_blocked", claimed_until=None)
                await checkins.pause_blocked(conn, user.id)
                return None
            wait_until = await self._wait_until(conn, user, row, now)
            if wait_until is not None:
                await checkins.set_status(
                    conn, checkin_id, "scheduled", due_at=wait_until, claimed_until=None
                )
                later.append((checkin_id, wait_until))
            else:
                messages, run_id = await self.coach.open_checkin(conn, user, row, reminder=False)
                await checkins.set_status(conn, checkin_id, "sending", run_id=run_id)
                if row.kind == WEEKLY_UPDATE and before.run_id is None:  # first time out
                    later += await self._next_weekly(conn, row, now)
        for item in later:
            self._notify(*item)
        if not messages:
            return None
        self._sending.add(checkin_id)
        try:
            return await self._deliver(user, row, messages, now)
        finally:
            self._sending.discard(checkin_id)

    async def _deliver(
        self, user: User, row: CheckIn, messages: list[OutMessage], now: datetime
    ) -> SendResult:
        result = await self._send(user, messages)
        async with self.db.transaction() as conn:
            await checkins.add_attempt(conn, row.id, self.clock.now(), result.value)
            attempts = await checkins.count_attempts(conn, row.id, "error", "unknown")
            if result is SendResult.SENT:
                await checkins.set_status(
                    conn, row.id, "sent", sent_at=self.clock.now(), claimed_until=None
                )
            elif result is SendResult.BLOCKED:
                await checkins.set_status(conn, row.id, "paused_blocked", claimed_until=None)
                await checkins.pause_blocked(conn, user.id)
                await users.update(conn, user.id, self.clock.now(), active=False)
            elif result is SendResult.UNAVAILABLE:
                await checkins.set_status(
                    conn, row.id, "scheduled", due_at=now + self.policy.retry_busy,
                    claimed_until=None,
                )  # fmt: skip
            elif attempts >= self.policy.max_attempts:
                # unknown: it may well have arrived (the reminder asks again); error: it did not
                final = "sent" if result is SendResult.UNKNOWN else "failed"
                sent_at = self.clock.now() if result is SendResult.UNKNOWN else None
                await checkins.set_status(conn, row.id, final, sent_at=sent_at, claimed_until=None)
            else:
                wait = (
                    self.policy.retry_unknown
                    if result is SendResult.UNKNOWN
                    else self.policy.retry_error * 2**attempts
                )
                await checkins.set_status(
                    conn, row.id, "scheduled", due_at=now + wait, claimed_until=None
                )
        if result in (SendResult.ERROR, SendResult.UNKNOWN, SendResult.UNAVAILABLE):
            refreshed = await self._get(row.id)
            if refreshed is not None and refreshed.status == "scheduled":
                self._notify(row.id, refreshed.due_at)
        return result

    async def _send(self, user: User, messages: list[OutMessage]) -> SendResult:
        try:
            return await self.sender(who(user), messages)
        except Exception:  # a broken transport must not kill the scheduler
            log.exception("sending a check-in to founder %s failed", user.id)
            return SendResult.ERROR

    async def _get(self, checkin_id: int) -> CheckIn | None:
        async with self.db.reading() as conn:
            return await checkins.get(conn, checkin_id)

    async def _wait_until(
        self, conn: Connection, user: User, row: CheckIn, now: datetime
    ) -> datetime | None:
        """When to try again if now is a bad moment (mid-conversation, quiet hours)."""
        current = await runs.current(conn, user.id)
        busy = current is not None and current.id != row.run_id  # its own conversation is fine
        if busy and current is not None and now - current.updated_at < self.policy.idle:
            return now + self.policy.retry_busy
        zone = user.timezone or row.timezone
        moved = planner.respect_quiet_hours(now, zone, self.policy.quiet)
        return moved if moved > now else None

    async def _next_weekly(
        self, conn: Connection, row: CheckIn, now: datetime
    ) -> list[tuple[int, datetime]]:
        """Schedule the next weekly update when one goes out, so the next one always comes."""
        if row.local_intent is None:
            return []
        intent = planner.LocalIntent.from_text(row.local_intent)
        after = max(now, row.due_at)
        due, next_intent = planner.next_weekly(
            after, intent.day.weekday(), intent.at, row.timezone
        )
        due = planner.respect_quiet_hours(due, row.timezone, self.policy.quiet)
        new_id = await checkins.create(
            conn, user_id=row.user_id, kind=WEEKLY_UPDATE, due_at=due, timezone=row.timezone,
            local_intent=next_intent.to_text(), now=now,
        )  # fmt: skip
        return [(new_id, due)]

    # ------------------------------------------------------------ start-up and the sweep

    async def recover(self, *, horizon: datetime | None = None) -> list[tuple[int, datetime]]:
        """At start-up: settle interrupted sends, apply catch-up; return what to schedule.

        Only rows due by ``horizon`` are read (all open rows without one); later rows are
        left to :meth:`upcoming`, so a start never loads every future check-in.
        """
        now = self.clock.now()
        plan: list[tuple[int, datetime]] = []
        async with self.db.transaction() as conn:
            for row in await checkins.with_status(conn, "sending"):
                if row.sent_at is None:  # cut off mid-send: again once its lease is over
                    plan.append((row.id, max(now, row.claimed_until or now)))
            weekly: dict[int, list[CheckIn]] = {}
            if horizon is None:
                open_rows = await checkins.with_status(conn, "scheduled")
            else:
                open_rows = await checkins.due_by(conn, max(horizon, now), "scheduled")
            for row in open_rows:
                if row.kind == WEEKLY_UPDATE and row.due_at <= now:
                    weekly.setdefault(row.user_id, []).append(row)
                    continue
                decision = planner.catch_up(row.due_at, now, grace=self.policy.grace)
                if decision is planner.CatchUp.MISSED:
                    await checkins.set_status(conn, row.id, "missed")
                else:
                    plan.append((row.id, max(row.due_at, now)))
            for rows in weekly.values():
                missed, send = planner.collapse_missed(
                    [r.due_at for r in rows], now, grace=self.policy.grace
                )
                for index in missed:
                    await checkins.set_status(conn, rows[index].id, "missed")
                if send is not None:
                    plan.append((rows[send].id, now))
                else:
                    plan += await self._next_weekly(conn, rows[-1], now)
        return plan

    async def upcoming(self, horizon: datetime) -> list[tuple[int, datetime]]:
        """Scheduled rows due by ``horizon``: the next window to give timers to."""
        async with self.db.reading() as conn:
            return [(r.id, r.due_at) for r in await checkins.due_by(conn, horizon, "scheduled")]

    async def sweep(self) -> None:
        """Every minute: fire what a timer lost, remind once, then mark unanswered as missed."""
        now = self.clock.now()
        async with self.db.reading() as conn:
            due = await checkins.due_by(conn, now, "scheduled")
            sending = await checkins.with_status(conn, "sending")
            stale = [
                r
                for r in sending
                if r.sent_at is None and (r.claimed_until is None or r.claimed_until <= now)
            ]
            waiting = await checkins.with_status(conn, "sent")
        for row in [*due, *stale]:  # stale: a lease ran out (a crash), sent again
            await self.fire(row.id)
        for row in waiting:
            if row.sent_at is None:
                continue
            founder = await self._founder_of(row.id)
            if founder is None:
                continue
            async with self.locks.founder(founder):
                await self._follow_up(row, now)

    async def _follow_up(self, row: CheckIn, now: datetime) -> None:
        """Remind once, or close as missed; the caller holds the founder's lock."""
        if row.sent_at is None:
            return
        if row.reminded_at is None:
            remind_at = planner.reminder_at(row.sent_at, row.timezone, self.policy.quiet,
                                            after=self.policy.remind_after)  # fmt: skip
            if remind_at <= now:
                await self._remind(row, now)
        elif row.reminded_at + self.policy.missed_after <= now:
            async with self.db.transaction() as conn:
                current = await checkins.get(conn, row.id)
                if current is None or current.status != "sent":  # answered meanwhile
                    return
                await checkins.set_status(conn, row.id, "missed")
                await self.coach.close_checkin_run(conn, row)

    async def _remind(self, row: CheckIn, now: datetime) -> None:
        messages: list[OutMessage] = []
        async with self.db.transaction() as conn:
            current = await checkins.get(conn, row.id)
            user = await users.get(conn, row.user_id)
            if current is None or current.status != "sent" or user is None or not user.active:
                return
            if current.reminded_at is not None:  # another worker's sweep reminded already
                return
            busy = await runs.current(conn, user.id)
            if (
                busy is not None
                and busy.id != row.run_id
                and now - busy.updated_at < self.policy.idle
            ):
                return  # mid-conversation: remind on a later sweep
            messages, _ = await self.coach.open_checkin(conn, user, current, reminder=True)
            await checkins.set_status(conn, row.id, "sent", reminded_at=now)
        if messages:
            result = await self._send(user, messages)
            async with self.db.transaction() as conn:
                await checkins.add_attempt(
                    conn, row.id, self.clock.now(), f"reminder {result.value}"
                )
