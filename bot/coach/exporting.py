"""Exports for the Coach: /export offers the files, a choice builds one.

A mixin of :class:`~bot.coach.service.Coach`. Everything is filtered by the founder's id
(:mod:`bot.storage.records`), so an export only ever holds that founder's data.

A file is not built inside the turn's transaction: the turn records the choice and leaves
a :class:`PendingExport`, which :meth:`Exports.build_export` builds once the transaction is
committed, reading on a connection of its own (:meth:`~bot.storage.Database.snapshot`)
and rendering in a worker thread. So a long history never holds the write lock or the
event loop, and other founders' turns go on meanwhile. The transcript in a file is bounded:
the latest :data:`MAX_TRANSCRIPT_MESSAGES` messages, at most
:data:`MAX_TRANSCRIPT_CHARS` characters, each message cut at :data:`MAX_MESSAGE_CHARS`;
the caption says how many earlier messages were left out.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.engine.inputs import InvalidAnswer
from bot.errors import RenderError, StorageError
from bot.export.data import safe_filename, to_csv, to_json
from bot.export.summary import Summary, build_summary
from bot.models import Option, OutFile, OutMessage, UserRef
from bot.rendering import Target
from bot.rendering.markup import format_text
from bot.storage import Connection, records

if TYPE_CHECKING:
    from bot.storage import User

log = logging.getLogger(__name__)

EXPORT_STEP = "export"
PENDING_EXPORT = "export"
PENDING_EXPORT_TRANSCRIPT = "export+transcript"
FORMATS = ("md", "html", "json", "csv", "investor", "investor_public")
INVESTOR_FORMATS = ("investor", "investor_public")
MIME = {"md": "text/markdown", "html": "text/html", "json": "application/json", "csv": "text/csv"}
MAX_BYTES = 50 * 1024 * 1024  # Telegram's limit for documents a bot sends
MAX_TRANSCRIPT_MESSAGES = 2_000  # the transcript in a file: the latest messages only
MAX_TRANSCRIPT_CHARS = 2_000_000
MAX_MESSAGE_CHARS = 20_000


@dataclass(frozen=True)
class PendingExport:
    """A file chosen in a turn, built after its transaction (``index``: its reply's place)."""

    index: int
    user: User
    fmt: str
    locale: str
    transcript: bool


class Exports:
    """/export and the builders behind it (see the module docstring)."""

    # provided by Coach, with the method _set_user
    catalog: Any
    clock: Any
    renderer: Any

    def _presenter(self, user: User) -> Any:  # pragma: no cover - Coach implements it
        raise NotImplementedError

    async def export_menu(self, turn: Any, argument: str = "") -> None:
        """Offer the four files and the investor drafts; ``/export transcript`` adds the chat."""
        summary = await self.summary_of(turn.conn, turn.user)
        present = turn.present
        if summary.is_empty:
            turn.replies.append(present.message(present.ui("exporting.nothing")))
            return
        with_transcript = argument.strip().lower() in ("transcript", "full", "对话", "全部")
        pending = PENDING_EXPORT_TRANSCRIPT if with_transcript else PENDING_EXPORT
        await self._set_user(turn, pending=pending)  # type: ignore[attr-defined]
        options = [Option(id=fmt, label=present.plain(f"exporting.{fmt}")) for fmt in FORMATS]
        turn.replies.append(
            OutMessage(
                type="question",
                text=present.ui("exporting.ask"),
                step=EXPORT_STEP,
                kind="choice",
                options=options,
            )
        )

    async def export_choice(self, turn: Any, text: str) -> None:
        """A format picked by typing (console) or by a button (Telegram)."""
        try:
            fmt = self._ui_answer(text, "exporting", FORMATS)  # type: ignore[attr-defined]
        except InvalidAnswer as exc:
            turn.replies.append(turn.present.error(exc.code, exc.params, step=EXPORT_STEP))
            await self.export_menu(turn)
            return
        transcript = turn.user.pending == PENDING_EXPORT_TRANSCRIPT
        await self._set_user(turn, pending=None)  # type: ignore[attr-defined]
        present = turn.present
        if fmt in INVESTOR_FORMATS:
            summary = await self.summary_of(turn.conn, turn.user)
            private = fmt == "investor"
            draft = self.investor_draft(summary, present.locale, turn.user, private=private)
            if draft is None:
                turn.replies.append(present.message(present.ui("exporting.no_updates")))
                return
            gaps = self.draft_gaps(summary, turn.user)
            if gaps:  # drafted from what there is; beside it, not in it: what would complete it
                lines = [present.ui(f"exporting.draft_gap_{gap}") for gap in gaps]
                turn.replies.append(
                    present.message(present.ui("exporting.draft_gaps", gaps=lines))
                )
            if private and self.private_notes(summary, turn.user):
                turn.replies.append(present.message(present.ui("exporting.private_notes")))
            turn.replies.append(present.message(format_text(draft, present.target)))
            return
        # the file itself is built once this turn is committed (see the module docstring)
        turn.after.exports.append(
            PendingExport(len(turn.replies), turn.user, fmt, present.locale, transcript)
        )
        caption = present.ui(f"exporting.caption_{fmt}")
        turn.replies.append(OutMessage(type="message", text=caption))

    async def build_export(self, pending: PendingExport, who: UserRef) -> OutMessage:
        """The file a turn left pending, read on its own connection, rendered off the loop."""
        try:
            async with self.db.snapshot() as conn:  # type: ignore[attr-defined]
                summary = await self.summary_of(conn, pending.user, transcript=pending.transcript)
            file = await asyncio.to_thread(self.render_file, summary, pending.fmt, pending.locale)
        except StorageError:
            log.exception("storage unavailable; the export was not built")
            return self._fallback(who, "storage")  # type: ignore[attr-defined, no-any-return]
        except RenderError:
            log.exception("a template failed to render; the export was not built")
            return self._fallback(who, "internal")  # type: ignore[attr-defined, no-any-return]
        return OutMessage(type="file", text=file.caption, file=file, locale=pending.locale)

    async def summary_of(
        self, conn: Connection, user: User, *, transcript: bool = False
    ) -> Summary:
        """The founder's summary, read in this transaction (the transcript bounded)."""
        stored = await records.founder_records(conn, user.id)
        total = 0
        if transcript:
            stored["transcript"], total = await records.transcript_tail(
                conn,
                user.id,
                messages=MAX_TRANSCRIPT_MESSAGES,
                chars=MAX_TRANSCRIPT_CHARS,
                each=MAX_MESSAGE_CHARS,
            )
        present = self._presenter(user)
        present.target = Target.PLAIN
        summary = build_summary(
            stored,
            catalog=self.catalog,
            present=present,
            founder=user.display_name or "",
            timezone=user.timezone,
            now=self.clock.now(),
            transcript=transcript,
        )
        if transcript:
            summary.transcript_left_out = total - len(stored["transcript"])
        return summary

    def words(self, locale: str) -> Any:
        """The export's own words (ui.yaml ``export``), for the document renderers."""

        def word(key: str, **context: Any) -> str:
            return str(self.renderer.ui(f"export.{key}", locale, Target.PLAIN, **context))

        return word

    def render_file(self, summary: Summary, fmt: str, locale: str) -> OutFile:
        """One export file; over Telegram's 50 MB the transcript, then the edit history, go."""
        note = ""
        data = self._render(summary, fmt, locale)
        if len(data) > MAX_BYTES and summary.transcript is not None:
            summary = summary.model_copy(update={"transcript": None, "transcript_left_out": 0})
            data, note = self._render(summary, fmt, locale), "exporting.trimmed_transcript"
        if len(data) > MAX_BYTES:
            summary = summary.model_copy(
                update={"answers": [], "transcript": None, "transcript_left_out": 0}
            )
            data, note = self._render(summary, fmt, locale), "exporting.trimmed_history"
        caption = self.renderer.ui(f"exporting.caption_{fmt}", locale, Target.PLAIN)
        if summary.transcript is not None and summary.transcript_left_out:
            caption += "\n" + self.renderer.ui(
                "exporting.transcript_capped",
                locale,
                Target.PLAIN,
                kept=len(summary.transcript),
                left_out=summary.transcript_left_out,
            )
        if note:
            caption += "\n" + self.renderer.ui(note, locale, Target.PLAIN)
        return OutFile(
            filename=safe_filename(summary, fmt), data=data, mime=MIME[fmt], caption=caption
        )

    def _render(self, summary: Summary, fmt: str, locale: str) -> bytes:
        if fmt == "json":
            return to_json(summary)
        if fmt == "csv":
            return to_csv(summary, self.words(locale))
        if fmt == "md":
            from bot.export.markdown import to_markdown

            return to_markdown(summary, self.words(locale)).encode("utf-8")
        from bot.export.html import to_html

        return to_html(summary, self.words(locale)).encode("utf-8")

    def _today(self, user: User) -> date:
        zone = ZoneInfo(user.timezone or "UTC")
        today: date = self.clock.now().astimezone(zone).date()
        return today

    def investor_draft(
        self, summary: Summary, locale: str, user: User, *, private: bool = True
    ) -> str | None:
        """The investor-update draft from what the founder gave, or None with nothing at all.

        ``private=False``: without the founder's private notes (their weekly obstacles).
        """
        from bot.export.investor import investor_update

        return investor_update(
            summary, self.words(locale), today=self._today(user), private=private
        )

    def draft_gaps(self, summary: Summary, user: User) -> list[str]:
        """The conversations the investor draft has nothing from (see ``investor.missing``)."""
        from bot.export.investor import missing

        return missing(summary, self._today(user))

    def private_notes(self, summary: Summary, user: User) -> list[str]:
        """The private notes the default draft quotes (the founder is warned before it)."""
        from bot.export.investor import private_notes

        return private_notes(summary, self._today(user))
