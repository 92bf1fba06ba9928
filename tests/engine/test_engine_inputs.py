"""Answer parsers: what a founder may type for each kind of step, and why input is refused."""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine.inputs import (
    InvalidAnswer,
    clean_text,
    is_timezone,
    match_option,
    parse_multi,
    parse_number,
    parse_scale,
    parse_text,
    parse_timezone,
    parse_yesno,
)
from bot.engine.spec import StepSpec


def number_step(unit: str, **bounds: Any) -> StepSpec:
    return StepSpec(id="amount", kind="number", unit=unit, **bounds)


def refusal(parse: Any, *args: Any) -> tuple[str, dict[str, Any]]:
    """The code and params of the InvalidAnswer a parser raises."""
    with pytest.raises(InvalidAnswer) as info:
        parse(*args)
    return info.value.code, info.value.params


MONEY = number_step("money", max=10_000_000_000)
COUNT = number_step("count")
PEOPLE = number_step("people", min=1, max=10_000)

# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12k", 12_000),
        ("12K", 12_000),
        ("12 k", 12_000),
        ("1.5m", 1_500_000),
        ("1.5M", 1_500_000),
        ("300万", 3_000_000),
        ("30w", 300_000),
        ("1亿", 100_000_000),
        ("3千万", 30_000_000),
        ("2bn", 2_000_000_000),
        ("$50k", 50_000),
        ("50k USD", 50_000),
        ("1,200,000", 1_200_000),
        ("1,200万", 12_000_000),
        ("¥2 000", 2_000),
        ("１２", 12),
        ("１２万", 120_000),
        ("0", 0),
        ("1234.5", 1234.5),
        ("600000元", 600_000),
    ],
)
def test_money_forms(raw: str, expected: float) -> None:
    """Money accepts suffixes, currency signs, separators and full-width digits."""
    assert parse_number(raw, MONEY) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12k", 12_000), ("3万", 30_000), ("1,200", 1_200), ("7次", 7)],
)
def test_count_forms(raw: str, expected: int) -> None:
    """Counts accept the same suffixes as money."""
    assert parse_number(raw, COUNT) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("5", 5), ("5 people", 5), ("5人", 5), ("１２", 12)],
)
def test_people_forms(raw: str, expected: int) -> None:
    """People are plain whole numbers, optionally with a unit word."""
    assert parse_number(raw, PEOPLE) == expected


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [("18", "months", 18), ("18 months", "months", 18), ("18个月", "months", 18),
     ("20%", "percent", 20), ("12.5", "percent", 12.5), ("百分之二十", "percent", 20),
     ("百分之六十", "percent", 60), ("百分之 35", "percent", 35), ("六成", "percent", 60),
     ("三成半", "percent", 35), ("2成", "percent", 20), ("60 percent", "percent", 60),
     ("15 per cent", "percent", 15)],
)  # fmt: skip
def test_months_and_percent_forms(raw: str, unit: str, expected: float) -> None:
    """Months take unit words; percentages take a % sign, or the words founders use for a
    share: 百分之六十 and 六成 (tenths) in Chinese, "60 percent" in English."""
    assert parse_number(raw, number_step(unit)) == expected


@pytest.mark.parametrize(
    ("raw", "step", "expected"),
    [
        ("-5", MONEY, ("too_small", {"min": 0.0, "unit": "money"})),
        ("-1k", MONEY, ("too_small", {"min": 0.0, "unit": "money"})),
        ("0", PEOPLE, ("too_small", {"min": 1, "unit": "people"})),
        ("20000", PEOPLE, ("too_large", {"max": 10_000, "unit": "people"})),
        ("11b", MONEY, ("too_large", {"max": 10_000_000_000, "unit": "money"})),
        ("3.5", PEOPLE, ("not_whole", {})),
        ("2.5", COUNT, ("not_whole", {})),
        ("12k", PEOPLE, ("no_suffix", {"unit": "people"})),
        ("2万", PEOPLE, ("no_suffix", {"unit": "people"})),
        ("1.5m", number_step("months"), ("no_suffix", {"unit": "months"})),
        ("lots", MONEY, ("not_a_number", {"unit": "money"})),
        ("12 apples", MONEY, ("not_a_number", {"unit": "money"})),
        ("1.2.3", MONEY, ("not_a_number", {"unit": "money"})),
        ("", MONEY, ("empty", {})),
        ("   ", MONEY, ("empty", {})),
        ("$", MONEY, ("empty", {})),
    ],
)
def test_number_refusals(raw: str, step: StepSpec, expected: tuple[str, dict[str, Any]]) -> None:
    """Input that is not a usable number is refused with a code and the words' params."""
    assert refusal(parse_number, raw, step) == expected


@pytest.mark.parametrize(("raw", "expected"), [("4.1m", 4_100_000), ("0.57万", 5_700)])
def test_decimal_suffix_count_is_whole(raw: str, expected: int) -> None:
    """A count such as 4.1m is the whole number 4,100,000."""
    assert parse_number(raw, COUNT) == expected


def test_decimal_suffix_money_is_stored_as_int() -> None:
    """A whole amount typed as 4.1m is stored as an int, like 4100000 typed out."""
    value = parse_number("4.1m", MONEY)
    assert (value, type(value)) == (4_100_000, int)


# ---------------------------------------------------------------- text

TEXT = StepSpec(id="note", kind="text")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b\x07c\x1b", "abc"),
        ("  padded  ", "padded"),
        ("two\nlines", "two\nlines"),
        ("🚀 launch 👩‍💻 now", "🚀 launch 👩‍💻 now"),
        ("مرحبا بالعالم", "مرحبا بالعالم"),
        ("שלום עולם", "שלום עולם"),
        ("We sell to 律所 in 上海", "We sell to 律所 in 上海"),
    ],
)
def test_text_is_cleaned_but_kept(raw: str, expected: str) -> None:
    """Control characters go; emoji, right-to-left scripts and newlines stay intact."""
    assert parse_text(raw, TEXT) == expected


def test_text_too_long_reports_length_and_limit() -> None:
    """Ten thousand characters exceed the default 1000 and the notice says both numbers."""
    assert refusal(parse_text, "x" * 10_000, TEXT) == ("too_long", {"max": 1000, "length": 10_000})


@pytest.mark.parametrize("raw", ["", "   ", "\n\t \n", "\x00\x01"])
def test_blank_text_is_empty(raw: str) -> None:
    """Whitespace or control characters only count as no answer."""
    assert refusal(parse_text, raw, TEXT) == ("empty", {})


def test_text_below_min_length_is_too_short() -> None:
    """A text shorter than min_length is refused with the minimum."""
    step = StepSpec(id="pitch", kind="text", min_length=10)
    assert refusal(parse_text, "tiny", step) == ("too_short", {"min": 10, "min_wide": 5})


def test_text_at_min_length_is_accepted() -> None:
    """Exactly min_length characters is enough."""
    step = StepSpec(id="pitch", kind="text", min_length=4)
    assert parse_text("four", step) == "four"


# ---------------------------------------------------------------- choices

OPTIONS = ("idea", "mvp", "bank_loan")
LABELS = {
    "idea": ("Idea stage", "想法阶段"),
    "mvp": ("Pilot or MVP", "试点阶段"),
    "bank_loan": ("Bank loan", "银行贷款"),
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", "idea"),
        ("2", "mvp"),
        (" 3 ", "bank_loan"),
        ("２", "mvp"),
        ("mvp", "mvp"),
        ("MVP", "mvp"),
        ("bank_loan", "bank_loan"),
        ("bank loan", "bank_loan"),
        ("Idea stage", "idea"),
        ("idea STAGE.", "idea"),
        ("Pilot or MVP", "mvp"),
        ("想法阶段", "idea"),
        ("银行贷款。", "bank_loan"),
    ],
)
def test_match_option(raw: str, expected: str) -> None:
    """An option is picked by number, id or label in either language."""
    assert match_option(raw, OPTIONS, LABELS) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", ("no_such_number", {"count": 3})),
        ("4", ("no_such_number", {"count": 3})),
        ("banana", ("unknown_option", {"count": 3})),
        ("", ("empty", {})),
    ],
)
def test_match_option_refusals(raw: str, expected: tuple[str, dict[str, Any]]) -> None:
    """Out-of-range numbers and unknown words are refused with the option count."""
    assert refusal(match_option, raw, OPTIONS, LABELS) == expected


MULTI_OPTIONS = ("angel", "vc", "grants", "bank_loan")
MULTI_LABELS = {
    "angel": ("Angel", "天使投资"),
    "vc": ("Venture capital", "风险投资"),
    "grants": ("Grants", "政府补助"),
    "bank_loan": ("Bank loan", "银行贷款"),
}


def multi_step(**bounds: Any) -> StepSpec:
    return StepSpec(id="channels", kind="multi", options=MULTI_OPTIONS, **bounds)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1, 3", ["angel", "grants"]),
        ("1,3", ["angel", "grants"]),
        ("1 3", ["angel", "grants"]),
        ("1，3", ["angel", "grants"]),
        ("1、3", ["angel", "grants"]),
        ("1；3", ["angel", "grants"]),
        ("3, 1", ["grants", "angel"]),
        ("Angel, Bank loan", ["angel", "bank_loan"]),
        ("天使投资、银行贷款", ["angel", "bank_loan"]),
        ("vc, 政府补助", ["vc", "grants"]),
        ("2", ["vc"]),
        ("1, 1, 3, angel", ["angel", "grants"]),
    ],
)
def test_parse_multi(raw: str, expected: list[str]) -> None:
    """Several options, in any separator, by number, id or label; repeats collapse."""
    assert parse_multi(raw, multi_step(), MULTI_LABELS) == expected


@pytest.mark.parametrize(
    ("raw", "step", "expected"),
    [
        ("1", multi_step(min_choices=2), ("too_few_choices", {"min": 2})),
        ("1, 1", multi_step(min_choices=2), ("too_few_choices", {"min": 2})),
        ("1, 2, 3", multi_step(max_choices=2), ("too_many_choices", {"max": 2})),
        ("1, banana", multi_step(), ("unknown_option", {"count": 4})),
        ("1, 9", multi_step(), ("no_such_number", {"count": 4})),
        (" ", multi_step(), ("empty", {})),
    ],
)
def test_parse_multi_refusals(
    raw: str, step: StepSpec, expected: tuple[str, dict[str, Any]]
) -> None:
    """Too few, too many (after collapsing repeats) or unknown picks are refused."""
    assert refusal(parse_multi, raw, step, MULTI_LABELS) == expected


@pytest.mark.parametrize("raw", ["none", "None.", "nothing", "无", "都没有", "0"])
def test_parse_multi_none_when_allowed(raw: str) -> None:
    """With min_choices 0 a founder can say none, which stores an empty list."""
    assert parse_multi(raw, multi_step(min_choices=0), MULTI_LABELS) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("none", ("unknown_option", {"count": 4})), ("0", ("no_such_number", {"count": 4}))],
)
def test_parse_multi_none_when_not_allowed(raw: str, expected: tuple) -> None:
    """With at least one choice required, none is not an answer."""
    assert refusal(parse_multi, raw, multi_step(), MULTI_LABELS) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("yes", True), ("Y", True), ("是", True), ("是的", True), ("1", True), ("yes!", True),
     ("no", False), ("N", False), ("否", False), ("没有", False), ("2", False),
     ("not yet", False)],
)  # fmt: skip
def test_parse_yesno(raw: str, expected: bool) -> None:
    """Yes and no in English, Chinese, or as option numbers 1 and 2."""
    assert parse_yesno(raw, {}) is expected


@pytest.mark.parametrize(
    ("raw", "code"), [("maybe", "unknown_option"), ("3", "no_such_number"), ("", "empty")]
)
def test_parse_yesno_refusals(raw: str, code: str) -> None:
    """Anything else is not a yes or a no."""
    assert refusal(parse_yesno, raw, {})[0] == code


@pytest.mark.parametrize(
    ("raw", "expected"), [("4", 4), ("4/5", 4), (" 5 / 5 ", 5), ("1", 1), ("４", 4)]
)
def test_parse_scale(raw: str, expected: int) -> None:
    """A scale answer is 1..5, optionally written out of 5."""
    assert parse_scale(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("0", "not_scale"), ("6", "not_scale"), ("x", "not_scale"), ("3.5", "not_scale"),
     ("-1", "not_scale"), ("", "empty")],
)  # fmt: skip
def test_parse_scale_refusals(raw: str, code: str) -> None:
    """Numbers outside 1..5 and non-numbers are refused."""
    assert refusal(parse_scale, raw)[0] == code


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Shanghai", "Asia/Shanghai"),
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("San Francisco", "America/Los_Angeles"),
        ("北京", "Asia/Shanghai"),
        ("深圳", "Asia/Shanghai"),
        ("柏林", "Europe/Berlin"),
        ("纽约", "America/New_York"),
        ("new york", "America/New_York"),
        ("New  York", "America/New_York"),
        ("America/New_York", "America/New_York"),
        ("asia/tokyo", "Asia/Tokyo"),
        ("ASIA/TOKYO", "Asia/Tokyo"),
        ("Europe/London", "Europe/London"),
        ("UTC+8", "Etc/GMT-8"),
        ("utc + 8", "Etc/GMT-8"),
        ("GMT-5", "Etc/GMT+5"),
        ("+8", "Etc/GMT-8"),
        ("UTC+08:00", "Etc/GMT-8"),
        ("UTC+0", "UTC"),
        ("utc", "UTC"),
    ],
)
def test_parse_timezone(raw: str, expected: str) -> None:
    """Cities in English or Chinese, IANA names in any case, and UTC offsets."""
    assert parse_timezone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("UTC+15", "unknown_timezone"), ("UTC-20", "unknown_timezone"),
     ("Atlantis", "unknown_timezone"), ("Mars/Olympus", "unknown_timezone"), ("", "empty")],
)  # fmt: skip
def test_parse_timezone_refusals(raw: str, code: str) -> None:
    """Impossible offsets and unknown places are refused."""
    assert refusal(parse_timezone, raw)[0] == code


def _known_or_refused(raw: str) -> bool:
    try:
        return is_timezone(parse_timezone(raw))
    except InvalidAnswer as exc:
        return exc.code == "unknown_timezone"


@pytest.mark.parametrize("offset", range(-14, 15))
def test_every_offset_gives_a_real_zone_or_a_refusal(offset: int) -> None:
    """An accepted UTC offset is always a zone this machine can load."""
    assert _known_or_refused(f"UTC{offset:+d}") is True


def test_invisible_marks_do_not_hide_an_option() -> None:
    options = ("daily_standup", "weekly")
    assert match_option("\u200fdaily_standup", options, {}) == "daily_standup"
    assert match_option("\x00weekly\u200b", options, {}) == "weekly"


def test_trailing_blanks_are_trimmed_per_line() -> None:
    indented = " " * 5000 + "x"
    assert clean_text(f"first   \nsecond\t \n{indented}") == f"first\nsecond\n{indented}"


def test_a_chinese_character_counts_as_two_letters_towards_the_minimum() -> None:
    """A nine-character Chinese pitch says as much as a 30-letter English one: accepted."""
    step = StepSpec(id="pitch", kind="text", min_length=10)
    assert parse_text("给小律所做合同审查", step) == "给小律所做合同审查"
    assert refusal(parse_text, "合同审查", step) == ("too_short", {"min": 10, "min_wide": 5})
