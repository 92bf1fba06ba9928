"""Founders with check-ins due, written straight into a bot's database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage import Database, checkins, users
from tests.fakes.bot_api import FakeBotApi

COMMITMENT = "Send the deck to five angels"


async def seed(
    db_path: Path, founders: range, *, due: datetime, spread: timedelta = timedelta(0)
) -> None:
    """Consented Telegram founders, each with one commitment check-in due.

    The first is due at ``due``, each next one ``spread`` later.
    """
    db = await Database.open(db_path)
    now = datetime.now(UTC)
    try:
        async with db.transaction() as conn:
            for index, tg_id in enumerate(founders):
                user, _ = await users.get_or_create(
                    conn, channel="telegram", external_id=str(tg_id), now=now, display_name="Ada"
                )
                await users.update(
                    conn, user.id, now, consented_at=now.isoformat(), timezone="UTC", locale="en"
                )
                commitment = await checkins.add_commitment(
                    conn, user_id=user.id, topic="funding", text=COMMITMENT, now=now
                )
                await checkins.create(
                    conn, user_id=user.id, kind="commitment", due_at=due + index * spread,
                    timezone="UTC", local_intent=None, now=now, commitment_id=commitment,
                )  # fmt: skip
    finally:
        await db.close()


def checkin_messages(fake: FakeBotApi, chat_id: int) -> list[str]:
    """The check-in prompts a founder received."""
    return [m.text or "" for m in fake.bot_messages(chat_id) if COMMITMENT in (m.text or "")]
