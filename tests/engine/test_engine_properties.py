"""Property-based tests: arbitrary text never breaks the engine or its parsers.

Whatever a founder types (control characters, emoji, right-to-left text, 10 000 characters
of it), every step of the real flows either takes the answer, storing what the parser
returns, or refuses it with a notice and leaves the run as it was; the run stays
serialisable. The parsers raise nothing but :class:`InvalidAnswer`, keep numbers within the
step's bounds, and read back what the documented forms say.
"""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.engine import (
    Catalog,
    Choose,
    Event,
    Flow,
    FlowState,
    SavedAnswer,
    StepKind,
    StepSpec,
    TextAnswer,
    advance,
    current_prompt,
    review_options,
    run_facts,
    start,
)
from bot.engine.inputs import (
    MAX_DAYS_AHEAD,
    InvalidAnswer,
    is_timezone,
    match_option,
    option_time,
    parse_date,
    parse_number,
    parse_scale,
    parse_text,
    parse_yesno,
    text_width,
)
from bot.engine.machine import dynamic_options, parse_answer

FAST = settings(max_examples=200, deadline=None)
TODAY = date(2026, 3, 2)

# ---------------------------------------------------------------- what a founder may type

CHARS = st.characters(exclude_categories=("Cs",))  # any code point but surrogates
CONTROLS = st.sampled_from(["\x00", "\x07", "\x1b", "\r", "\n", "\t", "\x7f", "\x85", "\u2028"])
EMOJI = st.sampled_from(["😀", "👩‍💻", "🇨🇳", "1️⃣", "❤️", "🏳️‍🌈", "\ufe0f", "\u200d"])
RTL = st.sampled_from(["مرحبا", "שלום", "\u200f", "\u202e", "١٢٣", "۱۲۳", "٫", "؟"])
# Forms the parsers know, so that generated text is often (nearly) a valid answer.
FORMS = st.sampled_from(
    [
        "12k", "1.5m", "$2m", "300万", "1,200", "1 200", "1_200", "-5", "+3", ".5", "1e3",
        "0", "1", "2", "3", "5", "7", "4/5", "10000000000000", "$", "%", "k", "万",
        "yes", "no", "是", "否", "ok", "none", "无", "keep", "KEEP", "/skip", "/", "confirm",
        "1, 2", "1 3", "2、3", "tomorrow", "in 5 days", "2 weeks", "12/01", "2026-12-01",
        "12月1日", "Berlin", "UTC+8", "utc-3:30", "上海", "ml engineer", "Product manager",
        ",", ".", "。", "!", " ", "\n\n\n", "⓵", "፩", "①", "²", "３",
    ]
)  # fmt: skip
PIECES = st.one_of(st.text(CHARS, max_size=12), CONTROLS, EMOJI, RTL, FORMS)
COMPOSED = st.lists(PIECES, max_size=6).map("".join)
HUGE = st.builds(
    lambda unit, times: (unit * times)[:10_000],
    st.one_of(st.text(CHARS, min_size=1, max_size=8), FORMS, EMOJI, RTL),
    st.integers(min_value=200, max_value=10_000),
)
TEXTS = st.one_of(st.text(CHARS), COMPOSED, FORMS, HUGE)

# ---------------------------------------------------------------- the real flows, step by step

# Facts that make every conditional step of the real flows apply somewhere.
FACTS: dict[str, dict[str, Any]] = {
    "onboarding": {"name": "Lin", "startup": "Acme AI", "stage": "mvp", "sector": "vertical_ai",
                   "team_size": 6, "timezone": "Asia/Shanghai", "language": "en"},
    "funding": {"stage": "mvp", "cash": 900_000, "burn": 60_000, "runway_months": 15.0},
    "update": {"metric_name": "Weekly active users", "metric_value": 120, "morale": 3,
               "goals": ["Ship the pilot", "Call ten users"]},
}  # fmt: skip
CONTEXTS: dict[str, dict[str, Any]] = {
    "commit": {
        "offered": ["Write a plan that cuts burn by 20%", "Book five customer calls", "My own"],
        "own_option": "My own",
    },
    "checkin": {"topic": "funding", "commitment": "Write a plan that cuts burn by 20%"},
}
# Which option the walk picks where the first would pass over a conditional step.
PICKS = {
    ("commit", "pick"): "item3",  # one's own words: asks what, when (a date) and the hour
    ("commit", "when"): "on_date",
    ("checkin", "outcome"): "partly",
}


class Station:
    """A run waiting at one step of a real flow (a plain class: short in Hypothesis' reports)."""

    def __init__(self, flow: Flow, state: FlowState) -> None:
        self.flow = flow
        self.state = state

    @property
    def step(self) -> StepSpec:
        assert self.state.step_id is not None
        return self.flow.step(self.state.step_id)

    def __repr__(self) -> str:
        return f"Station({self.flow.id}.{self.state.step_id})"


def valid_event(flow: Flow, step: StepSpec) -> Event:
    """An answer the step takes, chosen so that the walk meets every conditional step."""
    if step.options_from is not None:
        return Choose((PICKS.get((flow.id, step.id), "item1"),))
    match step.kind:
        case StepKind.CHOICE:
            return Choose((PICKS.get((flow.id, step.id), step.options[0]),))
        case StepKind.MULTI:
            return Choose((step.options[0],))
        case StepKind.YESNO:
            return Choose(("yes",))
        case StepKind.SCALE:
            return Choose(("3",))
        case StepKind.NUMBER:
            low = 0 if step.min is None else step.min
            high = 10**6 if step.max is None else step.max
            return TextAnswer(str(int(min(max(3, low), high))))
        case StepKind.TIMEZONE:
            return TextAnswer("Berlin")
        case StepKind.DATE:
            return TextAnswer("in 5 days")
    return TextAnswer("A long enough answer")


def walk(flow: Flow) -> list[Station]:
    """Every step a run of ``flow`` stops at with FACTS, up to and including the review."""
    stations: list[Station] = []
    transition = start(flow, FACTS, context=CONTEXTS.get(flow.id))
    while transition.prompt is not None:
        stations.append(Station(flow, transition.state))
        step = flow.step(transition.prompt.step_id)
        if step.kind is StepKind.REVIEW:
            break
        transition = advance(flow, transition.state, valid_event(flow, step), FACTS, today=TODAY)
        assert transition.notice is None, (flow.id, step.id, transition.notice)
    return stations


@pytest.fixture(scope="module")
def stations(real_catalog: Catalog) -> list[Station]:
    found = [station for flow in real_catalog.flows.values() for station in walk(flow)]
    kinds = {station.step.kind for station in found}
    assert kinds == set(StepKind), f"the walk misses {set(StepKind) - kinds}"
    assert any(station.step.options_from for station in found)
    return found


@pytest.fixture(scope="module")
def error_codes(real_catalog: Catalog) -> set[str]:
    """Codes that have words in every locale."""
    return set.intersection(*(set(ui["errors"]) for ui in real_catalog.ui.values()))


def outcome(parse: Any, *args: Any) -> tuple[Any, str | None]:
    """What a parser made of its input: ``(value, None)``, or ``(None, code)`` if it refused."""
    try:
        return parse(*args), None
    except InvalidAnswer as exc:
        code = exc.code
    assert isinstance(code, str)
    assert code
    return None, code


def check_value(station: Station, value: Any, merged: Any) -> None:
    """What a stored answer of each kind must look like."""
    step = station.step
    if value is None:
        assert step.optional
        return
    if step.options_from is not None:
        items = dynamic_options(step, merged)
        chosen = value if step.kind is StepKind.MULTI else [value]
        assert all(item in items for item in chosen)
        return
    match step.kind:
        case StepKind.TEXT:
            assert isinstance(value, str)
            assert step.min_length <= text_width(value)
            assert len(value) <= step.max_length
            assert value == value.strip()
            assert not any(
                unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in value
            )
            assert unicodedata.is_normalized("NFC", value)
        case StepKind.NUMBER:
            assert isinstance(value, int | float)
            assert not isinstance(value, bool)
            assert math.isfinite(value)
            assert (0 if step.min is None else step.min) <= value
            assert step.max is None or value <= step.max
        case StepKind.CHOICE:
            assert value in step.options or (step.any_time and option_time(value) is not None)
        case StepKind.MULTI:
            assert isinstance(value, list)
            assert len(set(value)) == len(value)
            assert set(value) <= set(step.options)
            assert step.min_choices <= len(value) <= step.choice_limit
            assert len(value) == 1 or not set(value) & set(step.exclusive)
        case StepKind.YESNO:
            assert isinstance(value, bool)
        case StepKind.SCALE:
            assert type(value) is int
            assert 1 <= value <= 5
        case StepKind.TIMEZONE:
            assert is_timezone(value)
        case StepKind.DATE:
            assert TODAY < date.fromisoformat(value) <= TODAY + timedelta(days=MAX_DAYS_AHEAD)


def check_serialisable(state: FlowState) -> None:
    raw = state.to_json()
    assert FlowState.from_json(raw) == state
    json.dumps(json.loads(raw), allow_nan=False)


def check_transition(station: Station, event: Event, error_codes: set[str]) -> None:
    """Advance one run with ``event`` and check what the engine did with it."""
    flow, state, step = station.flow, station.state, station.step
    transition = advance(flow, state, event, FACTS, today=TODAY)
    check_serialisable(transition.state)
    if transition.notice is not None:  # refused: nothing moves
        assert transition.notice.code in error_codes
        assert transition.state == state
        assert transition.saved == ()
        assert transition.prompt is not None
        assert transition.prompt.step_id == step.id
        return
    if step.kind is StepKind.REVIEW:  # confirmed, or gone back to edit an answer
        assert transition.state.answers == state.answers
        if transition.completed:
            assert transition.state.step_id is None
        else:
            assert transition.state.step_id in review_options(flow, state, FACTS)[1:]
        return
    prompt = current_prompt(flow, state, FACTS)
    assert prompt is not None
    merged = run_facts(flow, state, FACTS)
    try:
        expected = parse_answer(flow, step, event, prompt.default, facts=merged, today=TODAY)
    except InvalidAnswer:  # no option, but the answer of the step's alternative: both answered
        assert step.alternative is not None
        assert isinstance(event, TextAnswer)
        target = flow.step(step.alternative.step)
        value = parse_answer(flow, target, event, None, facts=merged, today=TODAY)
        option = step.alternative.option
        assert transition.state.answers == {**state.answers, step.id: option, target.id: value}
        return
    assert transition.state.answers == {**state.answers, step.id: expected}
    assert transition.saved == (SavedAnswer(step.id, expected, step.id in state.answers),)
    assert transition.completed or transition.state.step_id != step.id
    check_value(station, expected, merged)


KIND_WORDS: dict[StepKind, list[str]] = {
    StepKind.YESNO: ["yes", "no", "Y", "n", "是", "否", "没有", "1", "2", "3"],
    StepKind.SCALE: ["1", "3", "5", "6", "0", "4/5", "４", "3 / 5"],
    StepKind.TIMEZONE: ["Berlin", "北京", "UTC+8", "utc-3:30", "GMT+14", "UTC+15", "Asia/Shanghai",
                        "new york", "Atlantis"],
    StepKind.DATE: ["tomorrow", "today", "in 5 days", "in 400 days", "2 weeks", "12/01",
                    "2026-12-01", "2026-02-30", "2/29", "3月5日", "明天", "下周三", "周五",
                    "next friday", "这周一", "20 Dec", "Dec 20", "12/20", "yesterday"],
}  # fmt: skip
DECOR = st.sampled_from(["", "", "", " ", "\n", ".", "!", "\u200f", "\x00", "😀", "/"])


def answers_for(station: Station) -> st.SearchStrategy[str]:
    """Text at or near a valid answer of this step: its options by number, id or label,
    numbers around its bounds, dates, places; alone, listed, or with a little around them."""
    flow, step = station.flow, station.step
    options: list[str] = list(step.options)
    if step.options_from is not None:
        options = dynamic_options(step, run_facts(flow, station.state, FACTS))
    elif step.kind is StepKind.REVIEW:
        options = list(review_options(flow, station.state, FACTS))
    words = [*KIND_WORDS.get(step.kind, []), *options]
    if step.alternative is not None:  # a date typed at "when should I check in?"
        words += KIND_WORDS[flow.step(step.alternative.step).kind]
    if step.any_time:
        words += ["9点", "下午3点", "9am", "09:00", "21:30", "25:00", "12pm", "晚上8点半"]
    words += [option.replace("_", " ") for option in options]
    words += [str(index) for index in range(1, len(options) + 1)]
    for labels in flow.option_labels(step.id).values() if step.options else ():
        words += labels
    words += ["keep", "none", "ok", "0", str(len(options) + 1)]
    word = st.sampled_from(words)
    strategies = [word]
    if step.kind is StepKind.MULTI:
        strategies.append(st.lists(word, min_size=1, max_size=4).map(", ".join))
    if step.kind is StepKind.NUMBER:
        low = -(10**15) if step.min is None else int(step.min) - 10
        high = 10**15 if step.max is None else int(step.max) + 10
        number = st.integers(min_value=low, max_value=high)
        strategies += [number.map(str), number.map("{:,}".format), number.map("${}k".format)]
    return st.tuples(DECOR, st.one_of(strategies), DECOR).map("".join)


@FAST
@given(data=st.data())
def test_any_text_is_taken_or_refused_at_every_step(
    stations: list[Station], error_codes: set[str], data: st.DataObject
) -> None:
    station = data.draw(st.sampled_from(stations), label="station")
    text = data.draw(st.one_of(TEXTS, answers_for(station)), label="text")
    check_transition(station, TextAnswer(text), error_codes)


@FAST
@given(data=st.data())
def test_parse_answer_raises_only_invalid_answer(
    stations: list[Station], data: st.DataObject
) -> None:
    asking = [station for station in stations if station.step.asks]
    station = data.draw(st.sampled_from(asking), label="station")
    text = data.draw(st.one_of(TEXTS, answers_for(station)), label="text")
    flow, state, step = station.flow, station.state, station.step
    merged = run_facts(flow, state, FACTS)
    event = TextAnswer(text)
    value, refused = outcome(
        lambda: parse_answer(flow, step, event, None, facts=merged, today=TODAY)
    )
    if refused is None:
        check_value(station, value, merged)


@pytest.mark.parametrize("text", ["⓵", "፩", "١" * 5000, "3" * 5000, "9" * 400, "e\x00\u0301"])
def test_texts_that_broke_a_parser_are_taken_or_refused_at_every_step(
    stations: list[Station], error_codes: set[str], text: str
) -> None:
    """Regressions: ⓵ and 4 300+ digits made int() raise ValueError out of advance()."""
    for station in stations:
        check_transition(station, TextAnswer(text), error_codes)


@FAST
@given(data=st.data(), ids=st.lists(st.one_of(st.text(CHARS, max_size=12), FORMS), max_size=4))
def test_any_buttons_are_taken_or_refused_at_every_step(
    stations: list[Station], error_codes: set[str], data: st.DataObject, ids: list[str]
) -> None:
    station = data.draw(st.sampled_from(stations), label="station")
    options = [*station.step.options, "keep", "confirm", "yes", "no", "3", "item1", "item2"]
    picked = data.draw(st.lists(st.sampled_from(options), max_size=3), label="picked")
    check_transition(station, Choose(tuple(picked + ids)), error_codes)


# ---------------------------------------------------------------- numbers

UNITS = ("money", "count", "people", "months", "percent")
SCALED = ("money", "count")  # the units that take k, m, 万 ...
WHOLE = ("people", "count")
SUFFIXES = {"k": 1000, "K": 1000, "m": 10**6, "M": 10**6, "mm": 10**6, "b": 10**9, "bn": 10**9,
            "千": 1000, "万": 10**4, "w": 10**4, "百万": 10**6, "亿": 10**8}  # fmt: skip
LIMIT = 10**15
FULLWIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")


@st.composite
def number_steps(draw: st.DrawFn) -> StepSpec:
    """A number step of any unit, with or without bounds (as the flow format allows)."""
    unit = draw(st.sampled_from(UNITS))
    low = draw(st.one_of(st.none(), st.sampled_from([0, 1, -1000, -(10**12)])))
    high = draw(st.one_of(st.none(), st.sampled_from([10, 100, 10_000, 10**10, 10**11, 10**12])))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return StepSpec(id="amount", kind="number", unit=unit, min=low, max=high)


def bounds(step: StepSpec) -> tuple[int, int]:
    low = 0 if step.min is None else int(step.min)
    high = LIMIT if step.max is None else int(step.max)
    return max(low, -LIMIT), min(high, LIMIT)


@FAST
@given(step=number_steps(), text=TEXTS)
@example(step=StepSpec(id="amount", kind="number", unit="money"), text="9" * 400)
def test_parse_number_is_finite_and_within_bounds(step: StepSpec, text: str) -> None:
    value, refused = outcome(parse_number, text, step)
    if refused is not None:
        assert refused in {"empty", "not_a_number", "no_suffix", "not_whole", "too_small",
                           "too_large", "two_currencies"}  # fmt: skip
        return
    assert isinstance(value, int | float)
    assert not isinstance(value, bool)
    assert math.isfinite(value)
    assert (0 if step.min is None else step.min) <= value
    assert step.max is None or value <= step.max
    if step.unit in WHOLE:
        assert value == int(value)


@FAST
@given(data=st.data(), step=number_steps())
def test_whole_numbers_read_back_in_every_documented_form(
    data: st.DataObject, step: StepSpec
) -> None:
    low, high = bounds(step)
    number = data.draw(st.integers(min_value=low, max_value=high), label="number")
    forms = [str(number), f"{number:,}", f"{number:_}", f"{number:,}".replace(",", " "),
             f" {number}. ", f"+{number}" if number >= 0 else str(number),
             str(number).translate(FULLWIDTH)]  # fmt: skip
    if step.unit == "money":
        forms += [f"${number:,}", f"¥{number}", f"{number} USD", f"{number}元", f"US${number}"]
    elif step.unit == "people":
        forms += [f"{number} people", f"{number}人"]
    elif step.unit == "months":
        forms += [f"{number} months", f"{number}个月"]
    elif step.unit == "percent":
        forms += [f"{number}%", f"{number} %"]
    for text in forms:
        value = parse_number(text, step)
        assert value == number, text
        assert type(value) is int, text


@FAST
@given(data=st.data(), step=number_steps())
def test_decimals_read_back_where_the_unit_allows_them(
    data: st.DataObject, step: StepSpec
) -> None:
    low, high = bounds(step)
    places = data.draw(st.integers(min_value=1, max_value=4), label="places")
    scaled = data.draw(
        st.integers(min_value=low * 10**places, max_value=high * 10**places), label="scaled"
    )
    sign = "-" if scaled < 0 else ""
    whole, fraction = divmod(abs(scaled), 10**places)
    text = f"{sign}{whole}.{fraction:0{places}d}"
    exact = Decimal(text)
    if step.unit in WHOLE and exact != exact.to_integral_value():
        with pytest.raises(InvalidAnswer) as info:
            parse_number(text, step)
        assert info.value.code == "not_whole"
        return
    value = parse_number(text, step)
    assert value == scaled / 10**places
    assert type(value) is (int if exact == exact.to_integral_value() else float)


@FAST
@given(
    step=number_steps(),
    mantissa=st.decimals(min_value=0, max_value=999, places=2, allow_nan=False),
    suffix=st.sampled_from(sorted(SUFFIXES)),
    spaced=st.booleans(),
    currency=st.sampled_from(["", "$", "¥", "€"]),
)
def test_suffixes_scale_money_and_counts_only(
    step: StepSpec, mantissa: Decimal, suffix: str, spaced: bool, currency: str
) -> None:
    text = f"{currency}{mantissa:f}{' ' if spaced else ''}{suffix}"
    exact = mantissa * SUFFIXES[suffix]
    low = 0 if step.min is None else step.min
    value, refused = outcome(parse_number, text, step)
    if step.unit not in SCALED:
        assert refused == "no_suffix"
        return
    if step.unit in WHOLE and exact != exact.to_integral_value():
        assert refused == "not_whole"
        return
    if exact < low or (step.max is not None and exact > step.max):
        assert refused == ("too_small" if exact < low else "too_large"), text
        return
    assert refused is None, text
    assert value == float(exact)
    assert type(value) is (int if exact == exact.to_integral_value() else float)


# ---------------------------------------------------------------- scale, dates, yes/no, options


@FAST
@given(text=TEXTS)
@example(text="3" * 5000)  # was a ValueError: int() refuses 4 300 digits or more
def test_parse_scale_gives_one_to_five_or_refuses(text: str) -> None:
    value, refused = outcome(parse_scale, text)
    if refused is not None:
        assert refused in {"empty", "not_scale"}
        return
    assert type(value) is int
    assert 1 <= value <= 5


@FAST
@given(
    value=st.integers(min_value=1, max_value=5),
    form=st.sampled_from(["{}", " {} ", "{}/5", "{} / 5", "{}.", "{}!"]),
    wide=st.booleans(),
)
def test_parse_scale_reads_back_its_forms(value: int, form: str, wide: bool) -> None:
    text = form.format(value)
    assert parse_scale(text.translate(FULLWIDTH) if wide else text) == value


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@FAST
@given(text=TEXTS, today=DAYS)
def test_parse_date_gives_a_date_in_the_next_year_or_refuses(text: str, today: date) -> None:
    value, refused = outcome(parse_date, text, today)
    if refused is not None:
        assert refused in {"empty", "not_a_date", "date_not_future", "date_too_far",
                           "date_ambiguous"}  # fmt: skip
        return
    assert today < date.fromisoformat(value) <= today + timedelta(days=MAX_DAYS_AHEAD)


@FAST
@given(today=DAYS, ahead=st.integers(min_value=1, max_value=MAX_DAYS_AHEAD))
def test_parse_date_reads_back_full_and_relative_forms(today: date, ahead: int) -> None:
    day = today + timedelta(days=ahead)
    expected = day.isoformat()
    chinese = f"{day.year}年{day.month}月{day.day}日"
    for text in [expected, f"{day.year}/{day.month}/{day.day}", f"{day:%Y.%m.%d}", chinese,
                 f"in {ahead} days", f"{ahead}天后"]:  # fmt: skip
        assert parse_date(text, today) == expected, text


@FAST
@given(today=DAYS, ahead=st.integers(min_value=1, max_value=364))
@example(today=date(2027, 3, 10), ahead=356)  # 2/29 of next year, typed in a common year
def test_parse_date_reads_month_and_day_as_the_next_such_day(today: date, ahead: int) -> None:
    day = today + timedelta(days=ahead)
    month = f"{day:%b}"
    for text in [f"{day.month}月{day.day}日", f"{day.day} {month}", f"{month} {day.day}",
                 f"{day.day} {day:%B}", f"{day:%B} {day.day}th"]:  # fmt: skip
        assert parse_date(text, today) == day.isoformat(), text
    for text in [f"{day.month}/{day.day}", f"{day:%m-%d}", f"{day.day}/{day.month}"]:
        if day.day > 12 or day.day == day.month:  # only one reading is a date
            assert parse_date(text, today) == day.isoformat(), text
        else:  # 12/01: 1 Dec or 12 Jan? Never guessed
            assert outcome(parse_date, text, today) == (None, "date_ambiguous"), text


YES_WORDS = ["yes", "Y", "yeah", "sure", "OK", "是", "是的", "对", "有", "好", "1", "能", "可以",
             "行", "没问题", "yes please", "of course", "可以的", "是啊"]  # fmt: skip
NO_WORDS = ["no", "N", "nope", "not yet", "否", "不", "没有", "还没", "2", "不能", "不可以",
            "不行", "no thanks", "还没签", "没有呢"]  # fmt: skip


@FAST
@given(text=TEXTS)
def test_parse_yesno_gives_a_bool_or_refuses(text: str) -> None:
    value, refused = outcome(parse_yesno, text, {})
    if refused is not None:
        assert refused in {"empty", "no_such_number", "unknown_option"}
        return
    assert isinstance(value, bool)


@FAST
@given(
    answer=st.sampled_from([(word, True) for word in YES_WORDS] + [(w, False) for w in NO_WORDS]),
    form=st.sampled_from(["{}", " {} ", "{}!", "{}.", "“{}”"]),
    upper=st.booleans(),
)
def test_parse_yesno_reads_back_yes_and_no(
    answer: tuple[str, bool], form: str, upper: bool
) -> None:
    word, meaning = answer
    text = form.format(word.upper() if upper else word)
    assert parse_yesno(text, {}) is meaning


def choice_steps(catalog: Catalog) -> list[tuple[Flow, StepSpec]]:
    return [
        (flow, step)
        for flow in catalog.flows.values()
        for step in flow.spec.steps
        if step.kind in (StepKind.CHOICE, StepKind.MULTI) and step.options
    ]


@FAST
@given(text=TEXTS)
@example(text="١٢٣" * 3000)  # was a ValueError: int() refuses 4 300 digits or more
@example(text="⓵")  # was a ValueError: a digit (isdigit) that is not a decimal
@example(text="፩")
def test_match_option_gives_an_option_or_refuses(text: str) -> None:
    options = ("idea", "mvp", "revenue")
    option, refused = outcome(match_option, text, options, {"mvp": ("Pilot", "试点阶段")})
    if refused is not None:
        assert refused in {"empty", "no_such_number", "unknown_option"}
        return
    assert option in options


@FAST
@given(data=st.data(), text=TEXTS)
def test_match_option_gives_an_option_of_a_real_step_or_refuses(
    real_catalog: Catalog, data: st.DataObject, text: str
) -> None:
    flow, step = data.draw(st.sampled_from(choice_steps(real_catalog)), label="step")
    option, refused = outcome(match_option, text, step.options, flow.option_labels(step.id))
    if refused is not None:
        assert refused in {"empty", "no_such_number", "unknown_option"}
        return
    assert option in step.options


@FAST
@given(
    data=st.data(),
    form=st.sampled_from(["{}", "  {}  ", "{}.", "{}!", "{}？", "“{}”"]),
    upper=st.booleans(),
)
def test_match_option_reads_back_numbers_ids_and_labels(
    real_catalog: Catalog, data: st.DataObject, form: str, upper: bool
) -> None:
    flow, step = data.draw(st.sampled_from(choice_steps(real_catalog)), label="step")
    labels = flow.option_labels(step.id)
    index = data.draw(st.integers(min_value=0, max_value=len(step.options) - 1), label="index")
    option = step.options[index]
    for said in [str(index + 1), option, option.replace("_", " "), *labels[option]]:
        text = form.format(said.upper() if upper else said)
        picked = match_option(text, step.options, labels)
        # a label may repeat another option's id or label; then the first such option wins
        assert picked == option or said.casefold() in {
            picked,
            picked.replace("_", " "),
            *(label.casefold() for label in labels[picked]),
        }, text


# ---------------------------------------------------------------- text


@FAST
@given(
    text=TEXTS,
    limits=st.tuples(st.integers(0, 20), st.integers(1, 4000)).filter(
        lambda lim: lim[0] <= lim[1]
    ),
)
@example(text="e\x00\u0301", limits=(1, 1000))  # was 'e\u0301': the NFC ran before \x00 went
def test_parse_text_stores_clean_text_within_bounds(text: str, limits: tuple[int, int]) -> None:
    step = StepSpec(id="note", kind="text", min_length=limits[0], max_length=limits[1])
    value, refused = outcome(parse_text, text, step)
    if refused is not None:
        assert refused in {"empty", "too_short", "too_long"}
        return
    assert value
    assert step.min_length <= text_width(value)
    assert len(value) <= step.max_length
    assert value == value.strip()
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in value)
    assert "\n\n\n" not in value
    assert unicodedata.is_normalized("NFC", value)
    assert parse_text(value, step) == value  # storing is idempotent: an edit keeps it as is
