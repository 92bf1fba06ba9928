"""The fake Bot API server, driven by the real python-telegram-bot over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fakes.bot_api import FakeBotApi, parse_html, utf16_len

TOKEN = "123:TEST"
REPO = Path(__file__).resolve().parents[2]
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB >= 22.2 warns when RetryAfter.retry_after is read as an int, and reads it in the
    # constructor; under filterwarnings=error that warning would replace the RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server
        assert not server.unknown_methods or server.unknown_methods == ["getChatAdministrators"]


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d)] for d in data])


# -- basics ---------------------------------------------------------------------------------------


async def test_get_me_and_ports(fake: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == 123
    assert me.username == fake.bot_username
    assert fake.port > 0
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/bot"
    assert fake.base_file_url == f"http://127.0.0.1:{fake.port}/file/bot"
    assert fake.token_seen == {TOKEN}
    # PTB sends getMe as a POST with an empty body
    assert [(c.method, c.http_method, c.params) for c in fake.calls] == [
        ("getMe", "POST", {}),
        ("getMe", "POST", {}),
    ]


async def test_send_plain_and_html(fake: FakeBotApi, bot: Bot) -> None:
    plain = await bot.send_message(42, "Hello, founder")
    assert plain.text == "Hello, founder"
    assert plain.chat.id == 42
    assert plain.from_user is not None
    assert plain.from_user.is_bot
    assert isinstance(plain.date, dtm.datetime)

    html = await bot.send_message(
        42, "<b>Bold</b> &amp; <i>it&#233;</i> <a href='https://x.io/?a=1&amp;b=2'>l</a>", "HTML"
    )
    assert html.text == "Bold & ité l"
    assert [(e.type, e.offset, e.length) for e in html.entities] == [
        ("bold", 0, 4),
        ("italic", 7, 3),
        ("text_link", 11, 1),
    ]
    assert html.entities[2].url == "https://x.io/?a=1&b=2"
    assert html.message_id == plain.message_id + 1

    state = fake.bot_messages(42)
    assert [m.text for m in state] == ["Hello, founder", "Bold & ité l"]
    assert state[1].raw_text.startswith("<b>Bold</b>")
    [call] = fake.calls_of("sendMessage", parse_mode="HTML")
    assert call.params["chat_id"] == 42  # form values are decoded


async def test_text_length_counts_utf16_after_entities(bot: Bot) -> None:
    await bot.send_message(1, "a" * 4096)
    await bot.send_message(1, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(1, "&lt;" * 4096, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(1, "a" * 4097)
    # 2049 code points but 4098 UTF-16 units
    assert utf16_len("😀" * 2049) == 4098
    with pytest.raises(BadRequest, match=r"too long"):
        await bot.send_message(1, "😀" * 2049)


@pytest.mark.parametrize("text", ["", "   ", "<b></b>"])
async def test_empty_text(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(1, text, parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    "text",
    [
        "Tom & Jerry",
        "R&D",
        "&nbsp;",
        "a < b",
        "<b>unclosed",
        "<b><i>crossed</b></i>",
        "closed</b>",
        "<div>x</div>",
        "<br/>",
        '<span class="x">s</span>',
        "<tg-emoji>x</tg-emoji>",
        "<b",
    ],
)
async def test_bad_html_is_rejected(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"^Can't parse entities: ") as caught:
        await bot.send_message(1, text, parse_mode=ParseMode.HTML)
    # PTB drops "Bad Request: " and capitalizes, which lower-cases the rest
    assert caught.value.message == caught.value.message.capitalize()


async def test_ampersand_is_fine_without_parse_mode(bot: Bot) -> None:
    message = await bot.send_message(1, "Tom & Jerry <3")
    assert message.text == "Tom & Jerry <3"


def test_html_parser_entities() -> None:
    text, entities = parse_html(
        '😀<tg-spoiler>s</tg-spoiler><pre><code class="language-py">x</code></pre>'
        "<blockquote expandable>q</blockquote>"
    )
    assert text == "😀sxq"
    assert entities == [
        {"type": "spoiler", "offset": 2, "length": 1},
        {"type": "pre", "language": "py", "offset": 3, "length": 1},
        {"type": "expandable_blockquote", "offset": 4, "length": 1},
    ]


# -- keyboards, edits, callbacks ------------------------------------------------------------------


async def test_callback_data_limit_is_bytes(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(1, "ok", reply_markup=keyboard("x" * 64))
    for data in ("x" * 65, "é" * 33):  # 33 characters, 66 bytes
        with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
            await bot.send_message(1, "no", reply_markup=keyboard(data))
    assert len(fake.bot_messages(1)) == 1


async def test_button_needs_exactly_one_action(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("bare")]])
    with pytest.raises(BadRequest, match=r"inline keyboard button"):
        await bot.send_message(1, "x", reply_markup=markup)


async def test_edit_message_text(fake: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(7, "<b>Q1</b>", parse_mode="HTML", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest) as caught:
        await bot.edit_message_text(
            "<b>Q1</b>", 7, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    assert caught.value.message == (
        "Message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    # same characters, different formatting: modified
    edited = await bot.edit_message_text("Q1", 7, sent.message_id, reply_markup=keyboard("a"))
    assert edited.edit_date is not None
    assert edited.text == "Q1"
    # no reply_markup removes the keyboard
    edited = await bot.edit_message_text("Q1", 7, sent.message_id)
    assert edited.reply_markup is None
    [state] = fake.bot_messages(7)
    assert state.edited
    assert state.reply_markup is None

    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", 7, 999)
    fake.user_sends(7, "hi")
    user_message_id = fake.pending_updates()[-1]["message"]["message_id"]
    with pytest.raises(BadRequest, match=r"can't be edited"):
        await bot.edit_message_text("x", 7, user_message_id)


async def test_edit_reply_markup_and_delete(fake: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(7, "Q", reply_markup=keyboard("a", "b"))
    edited = await bot.edit_message_reply_markup(7, sent.message_id, reply_markup=keyboard("a"))
    assert isinstance(edited, type(sent))
    assert edited.reply_markup == keyboard("a")
    with pytest.raises(BadRequest, match=r"not modified"):
        await bot.edit_message_reply_markup(7, sent.message_id, reply_markup=keyboard("a"))
    await bot.edit_message_reply_markup(7, sent.message_id)
    assert fake.bot_messages(7)[0].reply_markup is None

    assert await bot.delete_message(7, sent.message_id)
    assert fake.bot_messages(7)[0].deleted
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(7, sent.message_id)
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("gone", 7, sent.message_id)


async def test_callback_query_answered_once(fake: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(42, "Pick", reply_markup=keyboard("yes", "no"))
    query_id = fake.user_taps(42, sent.message_id, "yes")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "yes"
    assert query.from_user.id == 42
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup == keyboard("yes", "no")

    assert await bot.answer_callback_query(query_id, text="Noted")
    with pytest.raises(BadRequest, match=r"^Query is too old and response timeout expired"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await bot.answer_callback_query("31337")
    assert fake.callback_answers[query_id]["text"] == "Noted"

    with pytest.raises(LookupError, match=r"no button"):
        fake.user_taps(42, sent.message_id, "maybe")
    with pytest.raises(LookupError, match=r"no message"):
        fake.user_taps(42, 999, "yes")


# -- files, commands, chat ------------------------------------------------------------------------


async def test_send_document_bytes(fake: FakeBotApi, bot: Bot) -> None:
    content = b"date,score\n2026-03-02,7\n"
    message = await bot.send_document(
        42, content, filename="report.csv", caption="<b>Your export</b>", parse_mode="HTML"
    )
    document = message.document
    assert document is not None
    assert document.file_name == "report.csv"
    assert document.mime_type == "text/csv"
    assert document.file_size == len(content)
    assert message.caption == "Your export"

    [call] = fake.calls_of("sendDocument")
    assert call.files["document"].filename == "report.csv"
    assert call.files["document"].content == content
    assert call.params["caption"] == "<b>Your export</b>"
    assert fake.bot_messages(42)[0].file.content == content

    again = await bot.send_document(42, document.file_id)  # re-send by file_id
    assert again.document.file_unique_id == document.file_unique_id
    with pytest.raises(BadRequest, match=r"^Wrong file identifier/http url specified$"):
        await bot.send_document(42, "no-such-file-id")

    downloaded = await (await bot.get_file(document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == content


async def test_upload_limits() -> None:
    async with (
        FakeBotApi(max_document_bytes=1000) as fake,
        Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot,
    ):
        await bot.send_document(1, b"x" * 1000, filename="ok.bin")
        with pytest.raises(NetworkError, match=r"Request Entity Too Large"):
            await bot.send_document(1, b"x" * 1001, filename="big.bin")
        with pytest.raises(BadRequest, match=r"caption is too long"):
            await bot.send_document(1, b"x", filename="a.txt", caption="c" * 1025)
        assert fake.calls_of("sendDocument")[1].status == 413


async def test_send_photo_and_chat_action(fake: FakeBotApi, bot: Bot) -> None:
    assert await bot.send_chat_action(42, "upload_photo")
    message = await bot.send_photo(42, PNG_1X1, filename="card.png", caption="Your card")
    [size] = message.photo
    assert (size.width, size.height, size.file_size) == (1, 1, len(PNG_1X1))
    assert fake.calls_of("sendPhoto")[0].files["photo"].filename == "card.png"
    with pytest.raises(BadRequest, match=r"^Wrong parameter action in request$"):
        await bot.send_chat_action(42, "dancing")


async def test_set_my_commands_per_language(fake: FakeBotApi, bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Start")])
    assert await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands([BotCommand("help", "Help")], scope=scope)

    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["开始"]
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["help"]
    assert await bot.get_my_commands(language_code="de") == ()
    assert fake.my_commands(language_code="zh") == [{"command": "start", "description": "开始"}]

    for bad in (BotCommand("Start", "x"), BotCommand("a" * 33, "x"), BotCommand("ok", "")):
        with pytest.raises(BadRequest, match=r"^Bot_command"):
            await bot.set_my_commands([bad])
    with pytest.raises(BadRequest, match=r"^Too many commands$"):
        await bot.set_my_commands([BotCommand(f"c{i}", "d") for i in range(101)])


async def test_get_chat(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(42, "hi", first_name="Grace")
    chat = await bot.get_chat(42)
    assert (chat.id, chat.type, chat.first_name) == (42, "private", "Grace")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat(9999)


async def test_strict_chats() -> None:
    async with (
        FakeBotApi(strict_chats=True) as fake,
        Bot(TOKEN, base_url=fake.base_url) as bot,
    ):
        with pytest.raises(BadRequest, match=r"^Chat not found$"):
            await bot.send_message(5, "hello?")
        fake.user_sends(5, "/start")
        await bot.send_message(5, "hello!")


# -- faults ---------------------------------------------------------------------------------------


async def test_retry_after(fake: FakeBotApi, bot: Bot) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    await bot.send_message(1, "x")  # only the next one failed
    assert fake.count_429 == 1
    assert [c.status for c in fake.calls_of("sendMessage")] == [429, 200]


async def test_fail_next_5xx_times_and_any_method(fake: FakeBotApi, bot: Bot) -> None:
    fake.fail_next("sendMessage", 502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"Bad Gateway"):
            await bot.send_message(1, "x")
    await bot.send_message(1, "x")
    fake.fail_next("*", 500, "Internal Server Error")
    with pytest.raises(NetworkError, match=r"Internal Server Error"):
        await bot.get_me()


async def test_blocked_user(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(42, "hi")
    fake.block(42)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(42, "still there?")
    with pytest.raises(Forbidden):
        await bot.send_document(42, b"x", filename="x.txt")
    await bot.send_message(43, "others are fine")
    fake.unblock(42)
    await bot.send_message(42, "welcome back")


async def test_rate_limit(fake: FakeBotApi, bot: Bot) -> None:
    fake.rate_limit(3)
    results = await asyncio.gather(
        *(bot.send_message(i, "x") for i in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, RetryAfter) for r in results) == 2
    assert fake.count_429 == 2
    fake.rate_limit(None)
    await bot.send_message(1, "x")


async def test_delay_hang_and_after_processing(fake: FakeBotApi) -> None:
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=fake.base_url, request=request) as bot:
        fake.delay("sendMessage", math.inf)
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(1, "lost")
        assert time.monotonic() - started < 1
        assert fake.bot_messages(1) == []  # the hung call was never performed

        fake.delay("sendMessage", 0.6, after_processing=True)
        with pytest.raises(TimedOut):
            await bot.send_message(1, "delivered, but the bot timed out")
        assert [m.text for m in fake.bot_messages(1)] == ["delivered, but the bot timed out"]

        fake.delay("sendMessage", None)
        await bot.send_message(1, "fast")


async def test_unknown_method_is_recorded(fake: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(InvalidToken, match=r"not implemented by fake"):
        await bot.get_chat_administrators(1)
    assert fake.unknown_methods == ["getChatAdministrators"]
    [call] = fake.calls_of("getChatAdministrators")
    assert call.status == 404


async def test_wrong_token_when_pinned() -> None:
    async with FakeBotApi(token="1:RIGHT") as fake:
        with pytest.raises(InvalidToken, match=r"was rejected by the server"):
            async with Bot("2:WRONG", base_url=fake.base_url):
                pass
        async with Bot("1:RIGHT", base_url=fake.base_url) as bot:
            await bot.send_message(1, "x")
    assert fake.token_seen == {"1:RIGHT", "2:WRONG"}
    assert fake.calls[0].status == 401


async def test_wait_for_call_times_out_with_a_dump(fake: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(1, "only one")
    [call] = await fake.wait_for_call("sendMessage", chat_id=1)
    assert call.params["text"] == "only one"
    with pytest.raises(TimeoutError, match=r"(?s)got 1\..*sendMessage -> 200"):
        await fake.wait_for_call("sendMessage", n=2, timeout=0.1)


async def test_json_and_form_bodies(fake: FakeBotApi) -> None:
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with httpx.AsyncClient(base_url=f"{fake.base_url}{TOKEN}/") as client:
        as_json = await client.post(
            "sendMessage", json={"chat_id": 5, "text": "json", "reply_markup": markup}
        )
        as_form = await client.post(
            "sendMessage",
            data={"chat_id": "5", "text": "form", "reply_markup": json.dumps(markup)},
        )
        bad = await client.post(
            "sendMessage", json={"chat_id": 5, "text": "<b>", "parse_mode": "HTML"}
        )
    assert as_json.json()["result"]["reply_markup"] == markup
    assert as_form.json()["result"]["reply_markup"] == markup
    assert bad.status_code == 400
    assert bad.json()["ok"] is False
    assert bad.json()["error_code"] == 400
    assert bad.json()["description"].startswith("Bad Request: can't parse entities: ")
    assert [m.message_id for m in fake.bot_messages(5)] == [1, 2]


# -- getUpdates -----------------------------------------------------------------------------------


async def test_long_poll_is_released_by_an_update(fake: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_poll()
    await asyncio.sleep(0.05)
    assert not poll.done()  # held
    started = time.monotonic()
    update_id = fake.user_sends(42, "/start", first_name="Grace")
    [update] = await poll
    assert time.monotonic() - started < 1  # returned because of the update, not the timeout
    assert update.update_id == update_id
    assert update.message.text == "/start"
    assert update.message.from_user.first_name == "Grace"
    assert update.message.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in update.message.entities] == [
        ("bot_command", 0, 6)
    ]


async def test_long_poll_timeout_and_zero(fake: FakeBotApi, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0) == ()
    assert time.monotonic() - started < 0.5
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2


async def test_offset_confirms_updates(fake: FakeBotApi, bot: Bot) -> None:
    first = fake.user_sends(1, "one")
    second = fake.user_sends(2, "two")
    fake.user_sends(3, "three")
    assert [u.update_id for u in await bot.get_updates(limit=2)] == [first, second]
    assert fake.confirmed_offset == 0
    assert len(fake.pending_updates()) == 3  # delivered but not confirmed
    [third] = await bot.get_updates(offset=second + 1)
    assert fake.confirmed_offset == second + 1
    assert await bot.get_updates(offset=third.update_id + 1) == ()
    assert fake.pending_updates() == []
    assert fake.confirmed_offset == third.update_id + 1


async def test_message_ids_per_chat(fake: FakeBotApi, bot: Bot) -> None:
    fake.user_sends(1, "hi")
    a = await bot.send_message(1, "a")
    b = await bot.send_message(2, "b")
    c = await bot.send_message(1, "c")
    assert (a.message_id, b.message_id, c.message_id) == (2, 1, 3)


async def test_second_poll_conflicts_and_webhook_blocks_polling(
    fake: FakeBotApi, bot: Bot
) -> None:
    # A Bot's getUpdates pool has one connection, so the rival is a second bot instance.
    held = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_poll()
    async with Bot(TOKEN, base_url=fake.base_url) as rival:
        assert await rival.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"terminated by other getUpdates request"):
        await held

    fake.user_sends(1, "queued")
    assert await bot.set_webhook("https://example.invalid/hook")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Conflict, match=r"webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert fake.pending_updates() == []
    assert await bot.get_updates() == ()


async def test_stop_releases_a_held_poll() -> None:
    fake = FakeBotApi()
    await fake.start()
    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await fake.wait_for_poll()
        started = time.monotonic()
        await fake.stop()
        assert await poll == ()
        assert time.monotonic() - started < 1


# -- a real Application ---------------------------------------------------------------------------


async def test_application_polls_and_answers(fake: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Echo: {update.effective_message.text}")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.updater.start_polling(timeout=1, poll_interval=0)
        await app.start()
        fake.user_sends(42, "/start")
        [call] = await fake.wait_for_call("sendMessage", chat_id=42)
        assert call.params["text"] == "Echo: /start"
        [message] = fake.bot_messages(42)
        assert message.text == "Echo: /start"
        await fake.wait_for_poll()  # the next poll is held
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
        assert time.monotonic() - started < 1
    assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]
    assert fake.calls[-1].method == "getUpdates"
    assert fake.calls[-1].params["timeout"] == 0  # PTB's final call to confirm the offset
    assert fake.confirmed_offset == 2
    assert fake.pending_updates() == []
    assert fake.unknown_methods == []


# -- standalone process ---------------------------------------------------------------------------


def test_standalone_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.bot_api", "--port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("READY http://127.0.0.1:")
            base_url = line.split()[1]
            root = base_url.removesuffix("/bot")
            with httpx.Client(base_url=root, timeout=5) as client:
                sent = client.post("/_sim/user_sends", json={"user_id": 42, "text": "/start"})
                update_id = sent.json()["update_id"]
                updates = client.post(f"/bot{TOKEN}/getUpdates", data={"timeout": "1"}).json()
                assert [u["update_id"] for u in updates["result"]] == [update_id]
                reply = client.post(
                    f"/bot{TOKEN}/sendMessage",
                    data={
                        "chat_id": "42",
                        "text": "hi",
                        "reply_markup": json.dumps(
                            {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
                        ),
                    },
                ).json()["result"]
                tapped = client.post(
                    "/_sim/user_taps",
                    json={"user_id": 42, "message_id": reply["message_id"], "data": "a"},
                )
                assert tapped.json()["callback_query_id"]
                client.post("/_sim/fail_next", json={"method": "sendMessage", "status": 429})
                limited = client.post(f"/bot{TOKEN}/sendMessage", data={"chat_id": 1, "text": "x"})
                assert limited.status_code == 429
                assert limited.json()["parameters"] == {"retry_after": 1}
                calls = client.get("/_sim/calls", params={"method": "sendMessage"}).json()
                assert [c["status"] for c in calls["calls"]] == [200, 429]
                later = client.get("/_sim/calls", params={"since": calls["next"]}).json()
                assert later["calls"] == []
                messages = client.get("/_sim/messages", params={"chat_id": 42}).json()
                assert messages["messages"][0]["text"] == "hi"
                state = client.get("/_sim/state").json()
                assert state["count_429"] == 1
                assert len(state["pending_updates"]) == 2
                assert client.post("/_sim/nope", json={}).status_code == 404
                bad_tap = client.post(
                    "/_sim/user_taps", json={"user_id": 42, "message_id": 99, "data": "a"}
                )
                assert bad_tap.status_code == 400

                client.post("/_sim/block", json={"user_id": 42})
                blocked = client.post(
                    f"/bot{TOKEN}/sendMessage", data={"chat_id": 42, "text": "x"}
                )
                assert blocked.status_code == 403
                client.post("/_sim/unblock", json={"user_id": 42})
                client.post("/_sim/rate_limit", json={"per_second": 1})
                statuses = [
                    client.post(
                        f"/bot{TOKEN}/sendMessage", data={"chat_id": 7, "text": "x"}
                    ).status_code
                    for _ in range(2)
                ]
                assert statuses == [200, 429]
                client.post("/_sim/rate_limit", json={"per_second": None})
                client.post("/_sim/delay", json={"method": "getMe", "seconds": 0.2})
                started = time.monotonic()
                assert client.get(f"/bot{TOKEN}/getMe").status_code == 200
                assert time.monotonic() - started >= 0.2
                waited = client.get("/_sim/wait_for_call", params={"method": "getMe"}).json()
                assert len(waited["calls"]) == 1
                missing = client.get(
                    "/_sim/wait_for_call", params={"method": "getMe", "n": 2, "timeout": 0.1}
                )
                assert missing.status_code == 408
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
