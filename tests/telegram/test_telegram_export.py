"""/export over Telegram: a menu of files, 'working…' shown, the file arrives as a document."""

from __future__ import annotations

import json
from pathlib import Path

from telegram.ext import Application

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder
from tests.telegram.test_telegram_flows import onboard


async def test_export_sends_a_document_after_a_chat_action(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    ada = Founder(fake, 901)
    await onboard(ada)
    menu = await ada.send("/export", expect="What would you like to export?")
    assert [b["text"] for b in menu.buttons()][:4] == [
        "Summary (Markdown)",
        "Report (HTML, with charts)",
        "Data (JSON)",
        "Table (CSV)",
    ]
    fake.user_taps(901, menu.message_id, menu.callback_data()[2])
    [call] = await fake.wait_for_call("sendDocument", chat_id=901, timeout=10)
    actions = fake.calls_of("sendChatAction", chat_id=901)
    assert actions
    assert actions[0].params["action"] == "upload_document"
    assert actions[0].time <= call.time
    upload = call.files["document"]
    assert upload.filename.startswith("founder-coach-acme-ai-")
    assert upload.filename.endswith(".json")
    data = json.loads(upload.content)
    assert data["founder"] == "Ada"
    assert call.params["caption"].startswith("All your data (JSON")


async def test_export_with_nothing_to_export(bot: Application, fake: FakeBotApi) -> None:
    ada = Founder(fake, 902)
    await ada.start()
    reply = await ada.send("/export", expect="nothing to export")
    assert reply.reply_markup is None
    assert fake.calls_of("sendDocument") == []
