"""The load generator of the update benchmarks: the fake Bot API plus simulated founders.

Runs in its own process so that simulating founders never takes CPU from the bot under
test, which runs in another process and long-polls this one like it would Telegram::

    python -m bench.loadgen --port 0      # prints "READY http://127.0.0.1:PORT/bot"

:class:`LoadFake` is the strict fake of ``tests/fakes/bot_api.py`` with a driver inside:
every bot reply (``sendMessage``, ``editMessageText``, ``editMessageReplyMarkup``) is seen
as it arrives, and the founder it went to answers at once (closed loop) or becomes idle
until an open-loop arrival picks them. Founders run our real coaching flows: consent,
onboarding, then team, funding and marketing with valid answers, in a loop; buttons are
tapped, text and numbers typed (answers derived from ``flows/*.yaml``). In ``echo`` mode
a founder sends a text and the next one when the echo arrives.

Controlled over the fake's sim API (JSON, POST ``/_sim/bench_<action>``):

- ``start``: ``mode`` (``flows`` or ``echo``), ``founders``, ``warmup``, ``duration``, and
  either ``rate`` (an open loop: Poisson arrivals, updates per second) or nothing (a
  closed loop), optionally with ``limit`` and ``spread`` (founder i then sends
  ``limit + i % spread`` updates and stops) and ``flood`` (one more founder sends that many
  messages, 500 a second, from the window's start; their replies are not measured);
- ``settle``: wait until no update is outstanding;
- ``stop``: stop issuing updates, wait up to ``drain`` seconds for the outstanding ones
  and return the figures;
- ``wait_poll``: return once the bot is long-polling;
- ``calls``: ``[arrival time, status, chat_id]`` of every answered call of ``method``
  from index ``since``, and the index to ask from next time;
- ``webhooks``: ``urls`` and ``secret``: from now on every update is POSTed to one of the
  workers at random instead of waiting for ``getUpdates`` (this process then plays
  Telegram's webhook delivery and the load balancer: a request that fails is posted
  again to another worker); ``urls`` empty goes back to ``getUpdates``.

Times are ``time.monotonic()`` in this process. An update's clock starts when it is
queued for ``getUpdates``; its first reply is the first message to the founder's chat to
arrive here (for a toggle, the re-drawn keyboard; an edit of an earlier question is
not a reply: it may be made beside the turns), its final reply the one that asks the
next question (a message with a keyboard or a "(k/n)" progress prefix).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import re
import signal
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from tests.fakes.bot_api import Call, FakeBotApi

FLOWS_DIR = Path(__file__).resolve().parent.parent / "flows"
FIRST_USER_ID = 700_000_001
FLOODER = 700_000_000  # the founder who floods (``flood``); never one of the measured ones
REPLY_METHODS = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup"})
# "(4/8) " or, where later answers may still leave questions out, "(1 of up to 13) "
PROGRESS = re.compile(r"(?:^|\n)\(\d+(?:/| of up to )\d+\) ")
NEXT_FLOWS = ("/team", "/funding", "/marketing")
# Buttons that ask something (a question's, the menu's, the consent's): the message that
# carries them is a turn's last. A "More advice" button does not: the menu or the
# commitments question follows it in the same turn, and taking the advice for the turn's
# end left a founder answering every later turn's previous question.
ASKING = frozenset({"q", "t", "d", "b", "s", "m", "c"})
FALLBACK_TEXT = "Ada Lovelace"
STALL_SECONDS = 30.0


def typed_answers(flows_dir: Path = FLOWS_DIR) -> dict[str, str]:
    """A valid typed answer for every step answered by typing (text, number, zone, date)."""
    answers: dict[str, str] = {}
    for path in sorted(flows_dir.glob("*.yaml")):
        flow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for step in flow.get("steps", []):
            answer = _typed(step)
            if answer is not None:
                answers.setdefault(step["id"], answer)
    return answers


def _typed(step: dict[str, Any]) -> str | None:
    kind = step["kind"]
    if kind == "number":
        low, high = step.get("min", 0), step.get("max", 10**12)
        value = 50_000 if step.get("unit") == "money" else 3
        return str(min(max(value, low), high))
    if kind == "text":
        text = "Finding the time to talk to customers every single week"
        low, high = step.get("min_length", 1), step.get("max_length", 4096)
        return text[:high].ljust(low, ".")
    if kind == "timezone":
        return "Shanghai"
    if kind == "date":
        return (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    return None


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def _callbacks(message: dict[str, Any] | None) -> list[str]:
    rows = ((message or {}).get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def _question_key(message: dict[str, Any] | None) -> str | None:
    """``RUN:STEP`` of the question a message asks, read off its buttons."""
    for data in _callbacks(message):
        parts = data.split(":")
        if parts[0] in ("q", "t", "d", "b", "s") and len(parts) >= 3:
            return f"{parts[1]}:{parts[2]}"
    return None


@dataclass(eq=False)
class Founder:
    """One simulated founder with at most one update outstanding."""

    user_id: int
    busy: bool = False
    action: str = ""  # "send", "tap" or "toggle": what the outstanding update is
    question: str | None = None  # RUN:STEP the outstanding update answers
    queued: float = 0.0
    first: float | None = None
    last: dict[str, Any] | None = None  # the bot's latest question to this founder
    toggled: int | None = None  # the message a toggle was tapped on (its keyboard re-drawn)
    flow: int = -1
    sent: int = 0
    in_run: int = 0  # updates sent in the current run
    index: int = 0


@dataclass
class Sample:
    """One answered update."""

    queued: float
    first: float
    final: float
    action: str


@dataclass
class Run:
    """One measurement: its parameters, its window and what was seen in it."""

    mode: str
    rate: float | None
    window_start: float
    window_end: float
    samples: list[Sample] = field(default_factory=list)
    issued: int = 0  # updates queued inside the window
    skipped: int = 0  # open-loop arrivals that found no idle founder
    invalid: int = 0  # a question asked again after our answer: the answer was refused
    flows_completed: int = 0
    stalls: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    stopping: bool = False
    limit: int | None = None  # closed loop: updates per founder in this run (None: no limit)
    spread: int = 1  # founder i sends limit + i % spread updates


class Driver:
    """The simulated founders; called by :class:`LoadFake` for every bot reply."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.answers = typed_answers()
        self.founders: dict[int, Founder] = {}
        self.idle: deque[Founder] = deque()
        self.run: Run | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.answered = asyncio.Event()  # set whenever an outstanding update is answered

    # -- commands ---------------------------------------------------------------------------

    async def command(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action == "wait_poll":
            await self.fake.wait_for_poll(timeout=float(body.get("timeout", 60)))
            return {}
        if action == "start":
            return self.start(body)
        if action == "stop":
            return await self.stop(float(body.get("drain", 10)))
        if action == "settle":
            return {"outstanding": await self.settle(float(body.get("timeout", 60)))}
        raise ValueError(f"unknown bench action {action!r}")

    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.run is not None and not self.run.stopping:
            raise ValueError("a run is already under way")
        mode = str(body.get("mode", "flows"))
        if mode not in ("flows", "echo"):
            raise ValueError(f"unknown mode {mode!r}")
        rate = body.get("rate")
        now = time.monotonic()
        start = now + float(body.get("warmup", 0))
        self.run = Run(mode, rate, start, start + float(body["duration"]))
        self.run.limit = None if body.get("limit") is None else int(body["limit"])
        self.run.spread = max(1, int(body.get("spread", 1)))
        for founder in self.founders.values():
            founder.in_run = 0
        for index in range(int(body["founders"])):
            user_id = FIRST_USER_ID + index
            if user_id not in self.founders:
                founder = Founder(user_id, index=index)
                self.founders[user_id] = founder
                self.idle.append(founder)
        self._spawn(self._watchdog())
        flood = int(body.get("flood", 0))
        if flood:
            self._spawn(self._flood(flood, float(body.get("warmup", 0))))
        if rate is None:  # closed loop: everyone answers the moment a reply arrives
            while self.idle:
                self.act(self.idle.popleft())
        else:
            self._spawn(self._arrivals(float(rate), int(body.get("seed", 7))))
        return {"window_start": self.run.window_start, "window_end": self.run.window_end}

    async def stop(self, drain: float) -> dict[str, Any]:
        run = self.run
        if run is None:
            raise ValueError("no run to stop")
        run.stopping = True
        outstanding = await self.settle(drain)
        for task in list(self.tasks):
            task.cancel()
        return self.figures(run, outstanding)

    async def settle(self, timeout: float) -> int:  # noqa: ASYNC109 - a sim API parameter
        """Wait until no founder has an update outstanding; return how many still have."""
        deadline = time.monotonic() + timeout
        while busy := sum(f.busy for f in self.founders.values()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return busy
            self.answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.answered.wait(), remaining)
        return 0

    # -- founders ---------------------------------------------------------------------------

    def act(self, founder: Founder) -> None:
        """Queue the founder's next update now."""
        run = self.run
        assert run is not None
        action, payload = self.decide(founder) if run.mode == "flows" else ("send", "")
        if run.mode == "echo":
            payload = f"Hello number {founder.sent}"
        founder.busy, founder.action, founder.first = True, action, None
        founder.question = _question_key(founder.last)
        founder.toggled = (founder.last or {}).get("message_id") if action == "toggle" else None
        founder.sent += 1
        founder.in_run += 1
        if action == "send":
            self.fake.user_sends(founder.user_id, payload, first_name="Ada")
        else:
            assert founder.last is not None
            self.fake.user_taps(founder.user_id, founder.last["message_id"], payload)
        founder.queued = now = time.monotonic()
        if run.window_start <= now < run.window_end:
            run.issued += 1

    def decide(self, founder: Founder) -> tuple[str, str]:
        """The next valid input for the question the founder was last asked."""
        message = founder.last
        if message is None:
            return "send", "/start"
        data = _callbacks(message)
        if "c:0" in data:  # the privacy consent: agree
            return "tap", "c:0"
        toggles = [d for d in data if d.startswith("t:")]
        if toggles:  # multiple choice: tick the first option, then Done
            if int(toggles[0].rsplit(":", 1)[1], 16) == 0:
                return "toggle", toggles[0]
            return "tap", next(d for d in data if d.startswith("d:"))
        picks = [d for d in data if d.startswith("q:")]
        if picks:  # a choice, yes/no, scale or review (the first option confirms)
            return "tap", picks[0]
        key = _question_key(message)
        if key is not None or PROGRESS.search(message.get("text") or ""):
            step = key.split(":", 1)[1] if key else ""
            return "send", self.answers.get(step, FALLBACK_TEXT)
        founder.flow += 1  # the menu, or anything that asks nothing: the next flow
        return "send", NEXT_FLOWS[founder.flow % len(NEXT_FLOWS)]

    def reply(self, call: Call, result: Any) -> None:
        """A bot call to a founder's chat was answered successfully."""
        run = self.run
        method = call.method.lower()
        if run is None:
            return
        if run.window_start <= call.time < run.window_end:
            run.calls[method] += 1
        founder = self.founders.get(call.params.get("chat_id"))  # type: ignore[arg-type]
        if founder is None or not founder.busy or call.time < founder.queued:
            return
        if founder.first is None and _answers(founder, method, result):
            founder.first = call.time
        if not self._final(run, founder, method, result):
            return
        run.samples.append(Sample(founder.queued, founder.first, call.time, founder.action))
        if run.window_start <= call.time < run.window_end:
            if founder.question is not None and founder.question.endswith(":review"):
                run.flows_completed += founder.action == "tap"
            if founder.action != "toggle" and founder.question is not None:
                run.invalid += _question_key(result) == founder.question
        founder.last = result
        founder.busy = False
        self.answered.set()
        if (
            run.rate is None
            and not run.stopping
            and call.time < run.window_end
            and (run.limit is None or founder.in_run < run.limit + founder.index % run.spread)
        ):
            self.act(founder)
        else:
            self.idle.append(founder)

    @staticmethod
    def _final(run: Run, founder: Founder, method: str, result: Any) -> bool:
        """Whether this reply is the last one the outstanding update gets."""
        if not isinstance(result, dict):
            return False
        if founder.action == "toggle":
            return _answers(founder, method, result)
        if method != "sendmessage":
            return False
        if run.mode == "echo":
            return True
        if any(data.split(":", 1)[0] in ASKING for data in _callbacks(result)):
            return True
        return PROGRESS.search(result.get("text") or "") is not None

    # -- background -------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _arrivals(self, rate: float, seed: int) -> None:
        """Open loop: Poisson arrivals at ``rate``, each one to a founder who is idle."""
        run = self.run
        assert run is not None
        rng = random.Random(seed)
        due = time.monotonic()
        while not run.stopping:
            due += rng.expovariate(rate)
            if due >= run.window_end:
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.idle:
                self.act(self.idle.popleft())
            elif due >= run.window_start:
                run.skipped += 1

    async def _flood(self, count: int, after: float) -> None:
        """One more founder (not measured) sends ``count`` messages, 50 every 0.1 s (500 a
        second, as Telegram delivers a flooding client's), starting with the window."""
        await asyncio.sleep(after)
        for burst in range(0, count, 50):
            for index in range(burst, min(count, burst + 50)):
                self.fake.user_sends(FLOODER, f"spam {index} " + "x" * 70, first_name="Spam")
            await asyncio.sleep(0.1)

    async def _watchdog(self) -> None:
        """A founder waiting far too long is counted and set going again."""
        run = self.run
        assert run is not None
        while not run.stopping:
            await asyncio.sleep(1)
            now = time.monotonic()
            for founder in self.founders.values():
                if founder.busy and now - founder.queued > STALL_SECONDS:
                    run.stalls += 1
                    founder.busy, founder.last = False, None  # start over with /start
                    if run.rate is None and now < run.window_end:
                        self.act(founder)
                    else:
                        self.idle.append(founder)

    # -- figures ----------------------------------------------------------------------------

    def figures(self, run: Run, outstanding: int) -> dict[str, Any]:
        """Throughput of the window and latencies of the updates queued inside it."""
        duration = run.window_end - run.window_start
        counted = [s for s in run.samples if run.window_start <= s.final < run.window_end]
        answered = len(counted)
        inside = [s for s in run.samples if run.window_start <= s.queued < run.window_end]
        first = [s.first - s.queued for s in inside]
        final = [s.final - s.queued for s in inside]
        actions = Counter(s.action for s in counted)
        return {
            "mode": run.mode,
            "rate": run.rate,
            "window_seconds": round(duration, 3),
            "answered": answered,
            "updates_per_second": round(answered / duration, 1),
            "issued": run.issued,
            "issued_per_second": round(run.issued / duration, 1),
            "skipped_arrivals": run.skipped,
            "actions": dict(actions),
            "bot_calls": dict(run.calls),
            "flows_completed": run.flows_completed,
            "invalid_answers": run.invalid,
            "stalls": run.stalls,
            "outstanding_after_drain": outstanding,
            "latency_first_reply_ms": {
                "count": len(first),
                "p50": _ms(percentile(first, 0.50)),
                "p90": _ms(percentile(first, 0.90)),
                "p99": _ms(percentile(first, 0.99)),
                "max": _ms(max(first, default=None)),
            },
            "latency_final_reply_ms": {
                "p50": _ms(percentile(final, 0.50)),
                "p99": _ms(percentile(final, 0.99)),
                "max": _ms(max(final, default=None)),
            },
        }


def _answers(founder: Founder, method: str, result: Any) -> bool:
    """Whether a call answers the founder's outstanding update: a message, or a toggle's
    re-drawn keyboard (on the message toggled). Not an edit of an earlier question
    (showing the answer, removing a keyboard): made beside the turns, it may arrive after
    the next update was sent, and taken for a toggle's answer it left the founder tapping
    an old question's buttons ("that button belongs to an earlier question")."""
    if founder.action == "toggle":
        return (
            method == "editmessagereplymarkup"
            and isinstance(result, dict)
            and result.get("message_id") == founder.toggled
        )
    return method == "sendmessage"


class WebhookPusher:
    """Telegram's webhook delivery and a load balancer in one: each update goes to a worker
    picked at random; a refused, failed or timed-out request goes to another one."""

    ATTEMPTS = 20
    TIMEOUT = 60.0

    def __init__(self, urls: list[str], secret: str) -> None:
        self.urls = urls
        self.secret = secret
        self.session: Any = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.retried = 0
        self.failed = 0

    def push(self, update: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(update))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, update: dict[str, Any]) -> None:
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.TIMEOUT),
                connector=aiohttp.TCPConnector(limit=0),
            )
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        url = random.choice(self.urls)
        for _ in range(self.ATTEMPTS):
            try:
                async with self.session.post(url, json=update, headers=headers) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.retried += 1
            others = [other for other in self.urls if other != url] or self.urls
            url = random.choice(others)
            await asyncio.sleep(0.05)
        self.failed += 1

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.session is not None:
            await self.session.close()


class LoadFake(FakeBotApi):
    """The fake Bot API with the founders' driver attached (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.driver = Driver(self)
        self.pusher: WebhookPusher | None = None

    def add_update(self, update: dict[str, Any]) -> int:
        """Queue the update for ``getUpdates``, or in webhook mode post it to a worker."""
        update_id = super().add_update(update)
        if self.pusher is not None:
            for queued in self.take_updates():
                self.pusher.push(queued)
        return update_id

    async def _process(self, call: Call) -> Any:
        result = await super()._process(call)
        if call.method.lower() in REPLY_METHODS:
            self.driver.reply(call, result)
        return result

    def compact_calls(self, method: str, since: int) -> dict[str, Any]:
        """``[arrival time, status, chat_id]`` of the answered calls of ``method`` from index
        ``since``; ``next`` stops at the first such call still in flight, so none is missed."""
        found: list[list[Any]] = []
        following = len(self.calls)
        for index in range(since, following):
            call = self.calls[index]
            if call.method.lower() != method:
                continue
            if call.status is None:
                following = index
                break
            found.append([call.time, call.status, call.params.get("chat_id")])
        return {"calls": found, "next": following}

    async def _sim(self, action: str, verb: str, body: dict[str, Any], query: Any) -> web.Response:
        if verb == "POST" and action == "bench_calls":
            answer = self.compact_calls(str(body["method"]).lower(), int(body.get("since", 0)))
            return web.json_response({"ok": True, **answer})
        if verb == "POST" and action == "bench_webhooks":
            if self.pusher is not None:
                await self.pusher.close()
            urls = [str(url) for url in body.get("urls", [])]
            self.pusher = WebhookPusher(urls, str(body.get("secret", ""))) if urls else None
            return web.json_response({"ok": True})
        if verb == "POST" and action == "bench_pushed":
            pusher = self.pusher
            counts = {"retried": pusher.retried, "failed": pusher.failed} if pusher else {}
            return web.json_response({"ok": True, **counts})
        if verb == "POST" and action.startswith("bench_"):
            answer = await self.driver.command(action.removeprefix("bench_"), body)
            return web.json_response({"ok": True, **answer})
        return await super()._sim(action, verb, body, query)


async def serve(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT; print READY and the base URL once listening."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with LoadFake(host=host, port=port) as fake:
        freezing = asyncio.create_task(_keep_frozen(stop))
        sys.stdout.write(f"READY {fake.base_url}\n")
        sys.stdout.flush()
        await stop.wait()
        await freezing


async def _keep_frozen(stop: asyncio.Event) -> None:
    """Keep the collector's full passes short: they stall the loop, and requests that
    arrive meanwhile are stamped late and together (a burst that never happened).

    The fake keeps every call and message, so a full pass over them grows to tens of
    milliseconds; moving what exists to the permanent generation every second keeps
    each pass to what is new. Cyclic garbage frozen that way is never freed: a small,
    bounded leak in a process that lives for one benchmark run.
    """
    while not stop.is_set():
        gc.freeze()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Bot API with simulated founders.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
