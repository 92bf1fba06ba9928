"""The aiohttp request class raises what PTB's HTTPXRequest raises, fault for fault.

Each case runs against the fake Bot API on 127.0.0.1 with both request classes, so a
difference between them shows as one of the pair failing.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.adapters.telegram.http import AiohttpRequest
from bot.adapters.telegram.transport import _maybe_delivered
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import until

TOKEN = "123456:TEST-token-do-not-log"
KINDS: dict[str, Callable[..., BaseRequest]] = {
    "httpx": HTTPXRequest,
    "aiohttp": AiohttpRequest,
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def _bot(kind: str, base_url: str, **options: float | int) -> Bot:
    bot = Bot(
        TOKEN,
        base_url=base_url,
        request=KINDS[kind](**options),
        get_updates_request=KINDS[kind](1),
    )
    await bot.initialize()
    return bot


@pytest.fixture
async def bot(kind: str, fake: FakeBotApi) -> AsyncIterator[Bot]:
    bot = await _bot(kind, fake.base_url, read_timeout=0.5)
    yield bot
    await bot.shutdown()


async def test_a_call_and_its_answer(bot: Bot, fake: FakeBotApi) -> None:
    fake.user_sends(1, "hi")
    sent = await bot.send_message(1, "<b>Hello</b> &amp; 你好", parse_mode="HTML")
    assert sent.text == "Hello & 你好"
    assert fake.calls_of("sendMessage")[0].params["parse_mode"] == "HTML"
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None
    assert updates[0].message.text == "hi"


async def test_a_document_is_uploaded_with_its_name(bot: Bot, fake: FakeBotApi) -> None:
    fake.user_sends(2, "hi")
    content = "id,名字\n1,Ada\n".encode()
    await bot.send_document(2, InputFile(content, filename="报告.csv"), caption="yours")
    call = fake.calls_of("sendDocument")[0]
    upload = next(iter(call.files.values()))
    assert (upload.filename, upload.content) == ("报告.csv", content)
    assert call.params["caption"] == "yours"


async def test_429_is_retry_after(bot: Bot, fake: FakeBotApi) -> None:
    fake.user_sends(3, "hi")
    fake.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(3, "x")
    assert caught.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_a_network_error_of_the_answer(
    bot: Bot, fake: FakeBotApi, status: int
) -> None:
    fake.user_sends(4, "hi")
    fake.fail_next("sendMessage", status)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(4, "x")
    assert not isinstance(caught.value, BadRequest)
    assert caught.value.__cause__ is None  # raised on an answer, not by the client


async def test_403_is_forbidden(bot: Bot, fake: FakeBotApi) -> None:
    fake.user_sends(5, "hi")
    fake.block(5)
    with pytest.raises(Forbidden):
        await bot.send_message(5, "x")


async def test_400_is_bad_request(bot: Bot, fake: FakeBotApi) -> None:
    fake.user_sends(6, "hi")
    fake.fail_next("sendMessage", 400)
    with pytest.raises(BadRequest, match="njected by fake"):
        await bot.send_message(6, "x")


async def test_a_hang_times_out_as_maybe_delivered(bot: Bot, fake: FakeBotApi) -> None:
    """No answer within the read time-out: TimedOut, and the message may have arrived."""
    fake.user_sends(7, "hi")
    fake.delay("sendMessage", math.inf, after_processing=True, times=1)
    with pytest.raises(TimedOut) as caught:
        await bot.send_message(7, "x")
    assert _maybe_delivered(caught.value)
    assert fake.bot_messages(7)  # it had indeed arrived


async def test_no_free_connection_is_a_time_out_never_sent(kind: str, fake: FakeBotApi) -> None:
    """One connection, held by a hung call: the next call waits for the pool, then gives up
    without sending, and the transport knows it can send it again safely."""
    bot = await _bot(kind, fake.base_url, connection_pool_size=1, pool_timeout=0.2)
    try:
        fake.user_sends(8, "hi")
        fake.delay("getChat", math.inf, times=1)
        hung = asyncio.ensure_future(bot.get_chat(8, read_timeout=30))
        await until(lambda: any(c.method == "getChat" for c in fake.calls))
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(8, "x")
        assert not _maybe_delivered(caught.value)
        assert not fake.calls_of("sendMessage")
        hung.cancel()
    finally:
        await bot.shutdown()


async def test_a_refused_connection_is_a_network_error_of_the_client(kind: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=KINDS[kind]())
    await bot.request.initialize()  # type: ignore[attr-defined]
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.get_me()
        assert not isinstance(caught.value, TimedOut)
        assert caught.value.__cause__ is not None  # raised by the client: no answer at all
    finally:
        await bot.request.shutdown()  # type: ignore[attr-defined]


async def test_a_restart_opens_a_new_session(kind: str, fake: FakeBotApi) -> None:
    """shutdown then initialize (PTB does so when an Application is restarted)."""
    bot = await _bot(kind, fake.base_url)
    await bot.shutdown()
    await bot.initialize()
    try:
        assert (await bot.get_me()).username == fake.bot_username
    finally:
        await bot.shutdown()


async def test_a_call_after_shutdown_is_refused(kind: str, fake: FakeBotApi) -> None:
    """Nothing reopens a connection behind a stopped bot (a late cosmetic edit, say)."""
    request = KINDS[kind]()
    await request.initialize()
    await request.post(f"{fake.base_url}{TOKEN}/getMe")
    await request.shutdown()
    with pytest.raises(NetworkError, match="HTTP implementation") as caught:
        await request.post(f"{fake.base_url}{TOKEN}/getMe")
    assert isinstance(caught.value.__cause__, RuntimeError)


async def test_a_proxy_from_the_environment_is_used(
    kind: str, fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is honoured, as httpx honours it: here a proxy nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = KINDS[kind]()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"{fake.base_url}{TOKEN}/getMe")
        assert not fake.calls  # it never reached the server directly
    finally:
        await request.shutdown()


async def test_a_call_without_a_file_goes_as_one_json_body() -> None:
    """One JSON object (as the Bot API takes it), the keyboard nested in it, not a form of
    separately encoded fields: lighter to build (issue #14), the same call for Telegram."""
    from aiohttp import web
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    seen: list[tuple[str, bytes]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append((request.content_type, await request.read()))
        message = {"message_id": 1, "date": 0, "chat": {"id": 9, "type": "private"}, "text": "x"}
        return web.json_response({"ok": True, "result": message})

    server = web.Application()
    server.router.add_post("/bot{token}/{method}", answer)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="q:1")]])
        await bot.send_message(9, "你好 & <b>", reply_markup=markup)
    finally:
        await request.shutdown()
        await runner.cleanup()
    [(content_type, body)] = seen
    assert content_type == "application/json"
    assert json.loads(body) == {
        "chat_id": 9,
        "text": "你好 & <b>",
        "reply_markup": {"inline_keyboard": [[{"text": "是", "callback_data": "q:1"}]]},
    }
