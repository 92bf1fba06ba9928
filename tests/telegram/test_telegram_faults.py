"""What goes wrong in production: 429 storms, blocked founders, 5xx, long replies."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from bot.adapters.telegram.split import utf16_len
from bot.engine import Catalog
from bot.models import OutMessage, UserRef
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder, bot_settings, rows, running_bot, until


async def test_a_429_storm_is_ridden_out(bot: Application, fake: FakeBotApi) -> None:
    """Three 429s in a row: the rate limiter waits and the reply arrives exactly once."""
    fake.fail_next("sendMessage", 429, retry_after=1, times=3)
    ada = Founder(fake, 401)
    await ada.start()
    assert fake.count_429 == 3
    questions = [m for m in ada.messages() if "(1/8)" in (m.text or "")]
    assert len(questions) == 1


async def test_server_errors_are_retried(bot: Application, fake: FakeBotApi) -> None:
    fake.fail_next("sendMessage", 502, times=2)
    ada = Founder(fake, 402)
    await ada.start()
    assert len([m for m in ada.messages() if "(1/8)" in (m.text or "")]) == 1


async def test_a_blocked_founder_gets_nothing_more(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    """403: the founder is marked inactive and the rest of that turn's replies are dropped."""
    ada = Founder(fake, 403)
    await ada.start()
    fake.block(403)
    before = len(fake.calls_of("sendMessage"))
    fake.user_sends(403, "Ada")
    await until(lambda: rows(tmp_path / "bot.db", "SELECT active FROM users") == [(0,)])
    await fake.wait_for_call("sendMessage", n=before + 1)
    assert len(fake.calls_of("sendMessage")) == before + 1  # one refused send, no more
    # the answer itself was stored before anything was sent
    assert rows(tmp_path / "bot.db", "SELECT value_json FROM answers") == [('"Ada"',)]
    fake.unblock(403)
    await ada.send("Acme", expect="(3/8)")
    assert rows(tmp_path / "bot.db", "SELECT active FROM users") == [(1,)]


async def test_long_replies_are_split_under_the_limit(bot: Application, fake: FakeBotApi) -> None:
    """A 15 000-character reply with emoji and escaped text arrives in valid chunks."""
    transport = bot.bot_data["transport"]
    paragraph = "🚀 <b>Runway</b> &amp; burn: " + "data " * 150
    text = "\n\n".join([paragraph] * 20)
    who = UserRef(channel="telegram", external_id="404")
    fake.user_sends(404, "hello")  # the chat exists
    await until(lambda: fake.bot_messages(404))
    start = len(fake.bot_messages(404))
    await transport.send(who, 404, [OutMessage(type="message", text=text)])
    chunks = fake.bot_messages(404)[start:]
    assert len(chunks) >= 4
    assert all(utf16_len(c.raw_text or "") <= 4096 for c in chunks)
    assert "\n\n".join(c.raw_text or "" for c in chunks) == text


async def test_delete_my_data_over_telegram(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    ada = Founder(fake, 405)
    await ada.start()
    await ada.send("Ada", expect="(2/8)")
    ask = await ada.send("/delete_my_data", expect="Delete everything?")
    await ada.tap(ask, "Delete everything", expect="everything I had stored about you is deleted")
    assert rows(tmp_path / "bot.db", "SELECT COUNT(*) FROM users") == [(0,)]
    assert rows(tmp_path / "bot.db", "SELECT COUNT(*) FROM answers") == [(0,)]
    assert rows(tmp_path / "bot.db", "SELECT COUNT(*) FROM transcript") == [(0,)]


async def test_stats_only_for_configured_admins(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    settings = bot_settings(fake, tmp_path / "bot.db", telegram_admin_ids="900, 901")
    async with running_bot(settings, real_catalog):
        ada = Founder(fake, 406)
        await ada.start()
        stats = await Founder(fake, 900, name="Ops").send("/stats", expect="Founder Coach figures")
        assert "Founders: 2" in stats.text
        refused = await ada.send("/stats", expect="not a command I know")
        assert "figures" not in refused.text
