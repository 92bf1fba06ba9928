"""The founder's account: consent, privacy, deleting everything, time zone, admin figures.

A mixin of :class:`~bot.coach.service.Coach`, kept apart from the conversation logic:
these commands work the same on every channel and before or outside any flow.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.clock import to_text
from bot.engine.inputs import InvalidAnswer, match_option, parse_timezone
from bot.export.data import founder_folder
from bot.models import Incoming, Said, Tapped, UserRef
from bot.rendering import Target
from bot.storage import facts, users

if TYPE_CHECKING:
    from bot.storage import Run

log = logging.getLogger(__name__)

ONBOARDING = "onboarding"
DELETE_STEP = "delete_my_data"
PENDING_DELETE = "delete"
DELETE_CONFIRM = "confirm"
DELETE_KEEP = "keep"
CONSENT_STEP = "consent"
PENDING_CONSENT = "consent"
CONSENT_AGREE = "agree"
CONSENT_DECLINE = "decline"
CONSENT_OPTIONS = (CONSENT_AGREE, CONSENT_DECLINE)
DELETE_OPTIONS = (DELETE_CONFIRM, DELETE_KEEP)
KEEP_UNCONSENTED = timedelta(days=30)  # a founder who never answered the consent question


def pick(options: list[str] | tuple[str, ...], tap: Tapped) -> str | None:
    """The one option a tap names (by id or position) among ``options``, or None."""
    if len(tap.option_ids) == 1 and tap.option_ids[0] in options:
        return tap.option_ids[0]
    if not tap.option_ids and len(tap.indexes) == 1 and 0 <= tap.indexes[0] < len(options):
        return options[tap.indexes[0]]
    return None


class Account:
    """Consent, privacy, deletion, time zone and admin figures (see the module docstring)."""

    # provided by Coach, with the methods _set_user, _open_flow and _show_current
    admins: frozenset[str]
    catalog: Any
    clock: Any
    db: Any
    renderer: Any
    on_forget: list[Any]
    # where this process writes /export files (console, JSON lines); None for Telegram
    exports_dir: Path | None = None

    def _open_before_consent(self, turn: Any, incoming: Incoming) -> bool:
        """Commands that store nothing of the founder's: /privacy, and /stats for admins."""
        if not isinstance(incoming, Said):
            return False
        command = incoming.text.strip().split(" ")[0].lower()
        admin = f"{turn.user.channel}:{turn.user.external_id}" in self.admins
        if command == "/privacy" or (command == "/stats" and admin):
            turn.no_transcript = True
            return True
        return False

    async def _consent(self, turn: Any, incoming: Incoming) -> None:
        """Before consent nothing the founder says is kept: ask, then act on the answer."""
        chosen: str | None = None
        if turn.user.pending == PENDING_CONSENT:
            if isinstance(incoming, Tapped):
                if incoming.run_id is None and incoming.step == CONSENT_STEP:
                    chosen = pick((CONSENT_AGREE, CONSENT_DECLINE), incoming)
            elif incoming.text.strip().startswith("/"):
                await self._command_before_consent(turn, incoming.text.strip())
            else:
                try:
                    chosen = self._consent_answer(incoming.text)
                except InvalidAnswer as exc:
                    turn.replies.append(
                        turn.present.error(exc.code, exc.params, step=CONSENT_STEP)
                    )
        if chosen == CONSENT_AGREE:
            name = turn.who.display_name if turn.who is not None else None
            await self._set_user(  # type: ignore[attr-defined]
                turn, consented_at=to_text(self.clock.now()), pending=None, display_name=name
            )
            await self._open_flow(turn, self.catalog.flows[ONBOARDING], announce=False)
            return
        if chosen == CONSENT_DECLINE:
            turn.replies.append(turn.present.message(turn.present.ui("consent.declined")))
            await users.delete(turn.conn, turn.user.id)
            turn.no_transcript = True
            return
        await self._set_user(turn, pending=PENDING_CONSENT)
        present = turn.present
        if not turn.replies:
            turn.replies.append(present.message(present.ui("welcome")))
        turn.replies.append(present.ui_question("consent", CONSENT_STEP, CONSENT_OPTIONS))
        turn.no_transcript = True  # keep no transcript before consent

    async def forget_unconsented(self) -> int:
        """Erase founders who were asked for consent and never agreed, 30 days after they
        first wrote.

        Such a row holds only the channel's id for them, their language and when they
        were asked. Run by the hourly upkeep (and when a console session starts), in
        batches so the write lock is never held for long.
        """
        cutoff = self.clock.now() - KEEP_UNCONSENTED
        forgotten = 0
        while True:
            async with self.db.transaction() as conn:
                batch = await users.forget_unconsented(conn, before=cutoff)
            forgotten += batch
            if batch == 0:
                break
            await asyncio.sleep(0)
        if forgotten:
            await self.db.checkpoint()
            log.info("forgot %d founder(s) who never answered the consent question", forgotten)
        return forgotten

    async def _command_before_consent(self, turn: Any, text: str) -> None:
        """/start asks again; /lang switches the language of the question (the language is
        the one thing kept before consent); any other command first needs an answer."""
        name, _, argument = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        code = argument.strip().lower()[:2]
        if name == "start":
            return
        if name == "lang" and code in self.catalog.locales:
            await self._set_user(turn, locale=code)  # type: ignore[attr-defined]
            turn.replies.append(turn.present.message(turn.present.ui("notices.language_set")))
            return
        turn.replies.append(turn.present.error("consent_first", {}, step=CONSENT_STEP))

    def _consent_answer(self, text: str) -> str:
        """Agree or decline: a number, a button's label, or a word such as ok, 同意, 不."""
        words: dict[str, tuple[str, ...]] = {}
        for option, key in ((CONSENT_AGREE, "words_agree"), (CONSENT_DECLINE, "words_decline")):
            found: list[str] = []
            for locale in self.catalog.locales:
                found.append(self.renderer.ui(f"consent.{option}", locale, Target.PLAIN))
                listed = self.renderer.ui(f"consent.{key}", locale, Target.PLAIN)
                found += [w.strip() for w in listed.replace("，", ",").split(",") if w.strip()]
            words[option] = tuple(found)
        return match_option(text, CONSENT_OPTIONS, words)

    async def farewell(self, who: UserRef, locale: str | None = None) -> str:
        """The last line of a console session, honest about what is kept.

        "Saved" only when the founder agreed and is still stored; after "Not now" (or
        /delete_my_data) nothing is; before an answer, only that they were asked.
        """
        async with self.db.reading() as conn:
            user = await users.find(conn, channel=who.channel, external_id=who.external_id)
        if user is None:
            key = "goodbye_nothing"
        elif not user.consented:
            key = "goodbye_unsaved"
        else:
            key = "goodbye"
            locale = self.locale_for(user)  # type: ignore[attr-defined]
        if locale not in self.catalog.locales:
            locale = self.renderer.default_locale
        return str(self.renderer.ui(key, locale, Target.PLAIN))

    async def _ask_delete(self, turn: Any) -> None:
        await self._set_user(turn, pending=PENDING_DELETE)
        if self.exports_dir is not None:  # the console and JSON lines write files there
            mine = founder_folder(self.exports_dir, turn.user.channel, turn.user.external_id)
            folder = str(mine) + "/"
            files = turn.present.ui("delete.files", folder=folder)
            turn.replies.append(turn.present.message(files))
        turn.replies.append(turn.present.ui_question("delete", DELETE_STEP, DELETE_OPTIONS))

    def _ui_answer(self, text: str, section: str, options: tuple[str, ...]) -> str:
        """Match typed text against a UI question's options, by number, id or any label."""
        labels = {
            option: tuple(
                self.renderer.ui(f"{section}.{option}", locale, Target.PLAIN)
                for locale in self.catalog.locales
            )
            for option in options
        }
        return match_option(text, options, labels)

    async def _confirm_delete(self, turn: Any, text: str, current: Run | None) -> None:
        try:
            chosen = self._ui_answer(text, "delete", DELETE_OPTIONS)
        except InvalidAnswer as exc:
            turn.replies.append(turn.present.error(exc.code, exc.params, step=DELETE_STEP))
            await self._ask_delete(turn)
            return
        if chosen == DELETE_KEEP:
            await self._set_user(turn, pending=None)
            turn.replies.append(turn.present.message(turn.present.ui("delete.kept")))
            await self._show_current(turn, current)
            return
        turn.replies.append(turn.present.message(turn.present.ui("delete.done")))
        for hook in self.on_forget:
            await hook(turn.conn, turn.user.id)
        await users.delete(turn.conn, turn.user.id)
        turn.no_transcript = True
        turn.after.checkpoint = True  # once committed, their words leave the WAL file too
        log.info("founder %s deleted their data", turn.user.id)

    async def _timezone(self, turn: Any, argument: str, current: Run | None) -> None:
        present = turn.present
        if not argument:
            zone = turn.user.timezone or "UTC"
            turn.replies.append(present.message(present.ui("timezone.ask", zone=zone)))
            return
        try:
            zone = parse_timezone(argument)
        except InvalidAnswer as exc:
            turn.replies.append(present.error(exc.code, exc.params))
            return
        await self._set_user(turn, timezone=zone)
        await self.move_checkins(turn, zone)
        turn.known = None  # the turn reads its facts again after this write
        await facts.put(
            turn.conn,
            user_id=turn.user.id,
            flow_id=ONBOARDING,
            name="timezone",
            value=zone,
            run_id=None,
            now=self.clock.now(),
        )
        turn.replies.append(present.message(present.ui("timezone.set", zone=zone)))
        await self._show_current(turn, current, menu_if_idle=False)

    async def _stats(self, turn: Any) -> None:
        figures = await users.stats(turn.conn, since=self.clock.now() - timedelta(days=7))
        sent = figures["checkins_sent"]
        rate = figures["checkins_answered"] / sent if sent else None
        turn.replies.append(turn.present.message(turn.present.ui("stats", rate=rate, **figures)))

    async def mark_blocked(self, who: UserRef) -> None:
        """The founder blocked the bot: stop sending to them until they write again."""
        async with self.db.transaction() as conn:
            user = await users.find(conn, channel=who.channel, external_id=who.external_id)
            if user is not None and user.active:
                await users.update(conn, user.id, self.clock.now(), active=False)
                log.info("founder %s blocked the bot; sends to them stop", user.id)

    async def is_active(self, who: UserRef) -> bool:
        """Whether sends to this founder are allowed (False after a 403 until they write again)."""
        async with self.db.reading() as conn:
            user = await users.find(conn, channel=who.channel, external_id=who.external_id)
        return user is None or user.active

    # ------------------------------------------------------------ showing state
