"""What founders type naturally, in English and Chinese, is understood (issue #11).

Labels that contain "/", goals typed on one line, Chinese numerals and counters, amounts
with a currency or "per month", yes/no as people say it, weekday words and unambiguous
dates, times of day at an hour question, a date typed at "when should I check in?", and
options that exclude the others. Each case here was refused or misread before.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import Catalog, Choose, FlowState, TextAnswer, advance, run_facts, start
from bot.engine.expressions import evaluate
from bot.engine.inputs import (
    DOLLAR,
    InvalidAnswer,
    chinese_number,
    option_time,
    parse_amount,
    parse_date,
    parse_multi,
    parse_number,
    parse_time_of_day,
    parse_yesno,
    settle_currency,
    split_items,
    time_answer,
    typed_currency,
    validate_multi,
)
from bot.engine.spec import StepSpec
from bot.errors import FlowDefinitionError

SATURDAY = date(2026, 12, 5)  # the founder's local today in the date cases below
MONDAY = date(2026, 12, 7)


def refusal(parse: Any, *args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    with pytest.raises(InvalidAnswer) as info:
        parse(*args, **kwargs)
    return info.value.code, info.value.params


# ---------------------------------------------------------------- 1. labels with "/"

ROLES = StepSpec(
    id="roles",
    kind="multi",
    options=(
        "data_scientist",
        "ml_engineer",
        "software_engineer",
        "product_manager",
        "marketing_sales",
        "domain_expert",
    ),
)
ROLE_LABELS = {
    "data_scientist": ("Data scientist", "数据科学家"),
    "ml_engineer": ("ML engineer", "算法工程师"),
    "software_engineer": ("Software engineer", "软件/研发工程师"),
    "product_manager": ("Product manager", "产品经理"),
    "marketing_sales": ("Marketing / sales", "市场/销售"),
    "domain_expert": ("Domain expert", "行业专家"),
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ML engineer, Marketing / sales", ["ml_engineer", "marketing_sales"]),
        ("Marketing / sales, ML engineer", ["marketing_sales", "ml_engineer"]),
        ("ML engineer, Marketing/sales", ["ml_engineer", "marketing_sales"]),
        ("marketing / sales; data scientist", ["marketing_sales", "data_scientist"]),
        ("算法工程师，软件/研发工程师，行业专家，市场/销售",
         ["ml_engineer", "software_engineer", "domain_expert", "marketing_sales"]),
        ("市场/销售、算法工程师", ["marketing_sales", "ml_engineer"]),
        ("Marketing / sales/ML engineer", ["marketing_sales", "ml_engineer"]),
        ("市场 / 销售、2", ["marketing_sales", "ml_engineer"]),
    ],
)  # fmt: skip
def test_labels_containing_a_slash_are_picked_together(raw: str, expected: list[str]) -> None:
    """Whole labels are matched before the text is cut at "/" (was: not one of the options)."""
    assert parse_multi(raw, ROLES, ROLE_LABELS) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1/3", ["data_scientist", "software_engineer"]), ("1 / 3", ["data_scientist",
     "software_engineer"]), ("Marketing / sales", ["marketing_sales"]), ("1 3", ["data_scientist",
     "software_engineer"]), ("2, 2/5", ["ml_engineer", "marketing_sales"])],
)  # fmt: skip
def test_slash_still_separates_numbers_and_a_lone_label_still_works(
    raw: str, expected: list[str]
) -> None:
    assert parse_multi(raw, ROLES, ROLE_LABELS) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("ML engineer, astronaut", "unknown_option"), ("1/9", "no_such_number"),
     ("Marketing / astronauts", "unknown_option")],
)  # fmt: skip
def test_a_bad_part_is_still_named(raw: str, code: str) -> None:
    assert refusal(parse_multi, raw, ROLES, ROLE_LABELS)[0] == code


LABEL_WORDS = st.sampled_from(
    [label for labels in ROLE_LABELS.values() for label in labels]
    + [option.replace("_", " ") for option in ROLES.options]
    + [str(number) for number in range(1, len(ROLES.options) + 1)]
)
SEPARATORS = st.sampled_from([", ", ",", "，", "、", "; ", "；", "\n", " / ", "/"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(LABEL_WORDS, SEPARATORS), min_size=1, max_size=6))
def test_any_list_of_labels_reads_back_as_those_options(picks: list[tuple[str, str]]) -> None:
    """Labels (with or without "/" in them), ids and numbers, joined by any separator,
    read back as exactly the options they name, in order, without repeats."""
    text = "".join(word + separator for word, separator in picks[:-1]) + picks[-1][0]
    expected: list[str] = []
    for word, _ in picks:
        option = next(
            option
            for index, option in enumerate(ROLES.options, start=1)
            if word in (*ROLE_LABELS[option], option.replace("_", " "), str(index))
        )
        if option not in expected:
            expected.append(option)
    assert parse_multi(text, ROLES, ROLE_LABELS) == expected


# ---------------------------------------------------------------- 2. goals, one text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Close a pilot\nHire a PM\nShip export", ["Close a pilot", "Hire a PM", "Ship export"]),
        ("A; B; C", ["A", "B", "C"]),
        ("完成三家律所的试点交付；和两家律所签年框；招到产品经理",
         ["完成三家律所的试点交付", "和两家律所签年框", "招到产品经理"]),
        ("1. Close one pilot 2. Hire a PM", ["Close one pilot", "Hire a PM"]),
        ("1) Close one pilot\n2) Hire a PM", ["Close one pilot", "Hire a PM"]),
        ("1、完成试点 2、招到产品经理", ["完成试点", "招到产品经理"]),
        ("①完成试点②招到产品经理", ["完成试点", "招到产品经理"]),
        ("（1）完成试点（2）招到产品经理", ["完成试点", "招到产品经理"]),
        ("- Close one pilot\n- Hire a PM", ["Close one pilot", "Hire a PM"]),
        ("1. A; B 2. C", ["A", "B", "C"]),
        ("A;;  ;B\n\n", ["A", "B"]),
        ("Raise 1.5M from angels", ["Raise 1.5M from angels"]),
        ("Hire 2. backend engineers", ["Hire 2. backend engineers"]),
        ("Close 2 pilots, then 3 more", ["Close 2 pilots, then 3 more"]),
        ("2. B 3. C", ["2. B 3. C"]),
        ("", []),
    ],
)  # fmt: skip
def test_split_items(raw: str, expected: list[str]) -> None:
    assert split_items(raw) == expected


@pytest.mark.parametrize("value", [None, 3, ["a"]])
def test_split_items_of_no_text_is_no_items(value: Any) -> None:
    assert split_items(value) == []


def test_the_filter_is_in_the_expression_sandbox() -> None:
    facts = {"update": {"goals_next": "A; B；C"}}
    assert evaluate("update.goals_next | split_items", facts) == ["A", "B", "C"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(
            st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";；\u2028"),
            min_size=1,
            max_size=20,
        ).filter(lambda item: item.strip() and item == item.strip()),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["\n", "; ", "；", ";"]),
)
def test_goals_joined_by_a_break_split_back(items: list[str], separator: str) -> None:
    """Goals joined by a new line or a semicolon come back one by one (numbered or not)."""
    items = [item for item in items if split_items(item) == [item]]  # one item each
    if not items:
        return
    assert split_items(separator.join(items)) == items


def _update_run(catalog: Catalog, goals: str, locale_facts: dict[str, Any]) -> list[str]:
    flow = catalog.flows["update"]
    state = FlowState(
        flow_id="update", version=1, step_id="goals_next", answers={"goals_next": goals}
    )
    return run_facts(flow, state, locale_facts)["update"]["goals"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ship the pilot; Hire a PM; Book demos", ["Ship the pilot", "Hire a PM", "Book demos"]),
        ("完成试点；和律所签年框；招到产品经理", ["完成试点", "和律所签年框", "招到产品经理"]),
        ("1. Ship the pilot 2. Hire a PM", ["Ship the pilot", "Hire a PM"]),
        ("Ship the pilot\nHire a PM", ["Ship the pilot", "Hire a PM"]),
    ],
)  # fmt: skip
def test_weekly_update_goals_become_several(
    real_catalog: Catalog, typed: str, expected: list[str]
) -> None:
    """The update flow's derived goals split the typed text (was: one goal holding all)."""
    assert _update_run(real_catalog, typed, {}) == expected


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_goals_prompt_says_a_semicolon_works(real_catalog: Catalog, locale: str) -> None:
    prompt = real_catalog.flows["update"].texts[locale].steps["goals_next"].prompt
    assert ("; " if locale == "en" else "；") in prompt


# ---------------------------------------------------------------- 3. numbers

MONEY = StepSpec(id="cash", kind="number", unit="money", min=0, max=100_000_000_000)
COUNT = StepSpec(id="pipeline", kind="number", unit="count", min=0, max=1_000_000)
PEOPLE = StepSpec(id="hiring_plan", kind="number", unit="people", min=0, max=100)
MONTHS = StepSpec(id="runway", kind="number", unit="months", min=0)


@pytest.mark.parametrize(
    ("raw", "step", "expected"),
    [
        ("两个", PEOPLE, 2),
        ("两个人", PEOPLE, 2),
        ("十五", COUNT, 15),
        ("4家", COUNT, 4),
        ("4家律所", COUNT, 4),
        ("15个客户", COUNT, 15),
        ("3位", PEOPLE, 3),
        ("十二个月", MONTHS, 12),
        ("每月两万", MONEY, 20_000),
        ("1.5亿", MONEY, 150_000_000),
        ("三百万", MONEY, 3_000_000),
        ("二十五万", MONEY, 250_000),
        ("一千二百", COUNT, 1_200),
        ("两万五", MONEY, 25_000),
        ("2万5", MONEY, 25_000),
        ("一百零五", COUNT, 105),
        ("十", COUNT, 10),
        ("5万/月", MONEY, 50_000),
        ("月薪2万", MONEY, 20_000),
        ("55k/mo", MONEY, 55_000),
        ("55k a month", MONEY, 55_000),
        ("55k per month", MONEY, 55_000),
        ("$55k / month", MONEY, 55_000),
        ("每个月 3万元", MONEY, 30_000),
    ],
)
def test_chinese_numerals_counters_and_per_month(raw: str, step: StepSpec, expected: int) -> None:
    value = parse_number(raw, step)
    assert (value, type(value)) == (expected, int)


@pytest.mark.parametrize(
    ("raw", "step", "code"),
    [("两万", PEOPLE, "no_suffix"), ("一二", COUNT, "not_a_number"),
     ("百五", COUNT, "not_a_number"), ("万", MONEY, "not_a_number"),
     ("2万3万", MONEY, "not_a_number"), ("年薪20万", MONEY, "not_a_number")],
)  # fmt: skip
def test_chinese_numerals_that_are_not_numbers(raw: str, step: StepSpec, code: str) -> None:
    assert refusal(parse_number, raw, step)[0] == code


@pytest.mark.parametrize(
    ("text", "value"),
    [("零", 0), ("一", 1), ("十一", 11), ("二十", 20), ("九十九", 99), ("一百", 100),
     ("一百一十", 110), ("一千零一", 1001), ("一万", 10_000), ("十万", 100_000),
     ("一亿二千万", 120_000_000), ("3千万", 30_000_000), ("两千五百万", 25_000_000)],
)  # fmt: skip
def test_chinese_number(text: str, value: int) -> None:
    result = chinese_number(text)
    assert result is not None
    assert result[0] == value


DIGITS = "零一二三四五六七八九"


def _spell(number: int) -> str:
    """A number below 10^8 written out as in print: 一千零五, 二十五万."""
    if number == 0:
        return "零"

    def group(value: int) -> str:  # below 10 000
        out, zero = "", False
        for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = value // unit % 10
            if digit:
                if zero and out:
                    out += "零"
                out += DIGITS[digit] + name
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(number, 10_000)
    if not high:
        return group(low)
    text = group(high) + "万"
    if low:
        text += ("零" if low < 1000 else "") + group(low)
    return text


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_numerals_read_back(number: int) -> None:
    """Every number written out in Chinese numerals (二十五万, 一千零五) reads back."""
    assert parse_number(_spell(number), COUNT.model_copy(update={"max": None})) == number


def test_the_money_error_example_is_worded_per_locale(real_catalog: Catalog) -> None:
    """Errors carry the unit; each locale words its example (zh: 25万, not 250k)."""
    assert refusal(parse_number, "lots", MONEY) == ("not_a_number", {"unit": "money"})
    from bot.rendering import Renderer, Target

    renderer = Renderer(real_catalog)
    zh = renderer.ui("errors.not_a_number", "zh", Target.PLAIN, unit="money")
    en = renderer.ui("errors.not_a_number", "en", Target.PLAIN, unit="money")
    assert "25万" in zh
    assert "250k" not in zh
    assert "250k" in en


# ---------------------------------------------------------------- 8. currencies


@pytest.mark.parametrize(
    ("raw", "value", "currency"),
    [
        ("450k CAD", 450_000, "CAD"),
        ("CAD 450k", 450_000, "CAD"),
        ("C$450k", 450_000, "CAD"),
        ("450k 加元", 450_000, "CAD"),
        ("1.5M USD", 1_500_000, "USD"),
        ("US$ 2m", 2_000_000, "USD"),
        ("€450k", 450_000, "EUR"),
        ("450k euros", 450_000, "EUR"),
        ("£80k", 80_000, "GBP"),
        ("￥8万", 80_000, "CNY"),
        ("8万元", 80_000, "CNY"),
        ("RMB 80万", 800_000, "CNY"),
        ("50万美元", 500_000, "USD"),
        ("$12k", 12_000, DOLLAR),
        ("$50k USD", 50_000, "USD"),
        ("12k", 12_000, None),
        ("三百万人民币", 3_000_000, "CNY"),
    ],
)
def test_amounts_keep_their_currency(raw: str, value: int, currency: str | None) -> None:
    """Before or after the amount, sign, code or name: the number and the currency."""
    assert parse_amount(raw, MONEY) == (value, currency)
    assert typed_currency(raw) == currency


def test_two_currencies_are_refused() -> None:
    assert refusal(parse_number, "450k CAD USD", MONEY) == ("two_currencies", {})


@pytest.mark.parametrize(
    ("typed", "current", "settled"),
    [(DOLLAR, None, "USD"), (DOLLAR, "CAD", "CAD"), (DOLLAR, "CNY", "USD"), ("EUR", "CAD", "EUR"),
     ("CNY", None, "CNY")],
)  # fmt: skip
def test_a_bare_dollar_keeps_the_founders_dollar(
    typed: str, current: str | None, settled: str
) -> None:
    assert settle_currency(typed, current) == settled


def test_a_typed_currency_reaches_the_profile(real_catalog: Catalog) -> None:
    """The engine reports the currency through Transition.profile; the number stays a number."""
    flow = real_catalog.flows["funding"]
    state = start(flow, {"onboarding": {"stage": "mvp"}}).state
    state = state.model_copy(update={"step_id": "cash"})
    moved = advance(flow, state, TextAnswer("450k CAD"), {})
    assert (moved.notice, moved.state.answers["cash"], dict(moved.profile)) == (
        None,
        450_000,
        {"currency": "CAD"},
    )
    plain = advance(flow, state, TextAnswer("450k"), {})
    assert dict(plain.profile) == {}


# ---------------------------------------------------------------- 4. yes / no


@pytest.mark.parametrize(
    ("raw", "meaning"),
    [("能", True), ("可以", True), ("行", True), ("没问题", True), ("可以的", True),
     ("是啊", True), ("没错", True), ("yes please", True), ("of course", True),
     ("yes, we did", True), ("Yes we have.", True), ("no problem", True), ("签了", True),
     ("不能", False), ("不可以", False), ("不行", False), ("nope", False), ("no thanks", False),
     ("no, not yet", False), ("没有，还在谈", False), ("还没签", False), ("不用", False),
     ("not really", False), ("没有呢", False)],
)  # fmt: skip
def test_yes_and_no_as_founders_say_them(raw: str, meaning: bool) -> None:
    assert parse_yesno(raw, {}) is meaning


@pytest.mark.parametrize("raw", ["不确定", "不知道", "maybe", "不太清楚", "no idea yet maybe"])
def test_unsure_is_neither_yes_nor_no(raw: str) -> None:
    assert refusal(parse_yesno, raw, {})[0] == "unknown_option"


# ---------------------------------------------------------------- 5. dates


@pytest.mark.parametrize(
    ("raw", "today", "expected"),
    [
        ("下周三", SATURDAY, "2026-12-09"),
        ("周五", SATURDAY, "2026-12-11"),
        ("星期五", SATURDAY, "2026-12-11"),
        ("礼拜五", SATURDAY, "2026-12-11"),
        ("周日", SATURDAY, "2026-12-06"),
        ("这周五", MONDAY, "2026-12-11"),
        ("本周五", MONDAY, "2026-12-11"),
        ("下周五", MONDAY, "2026-12-18"),
        ("下个星期一", MONDAY, "2026-12-14"),
        ("下下周一", MONDAY, "2026-12-21"),
        ("friday", MONDAY, "2026-12-11"),
        ("fri", MONDAY, "2026-12-11"),
        ("Friday.", MONDAY, "2026-12-11"),
        ("on friday", MONDAY, "2026-12-11"),
        ("this friday", MONDAY, "2026-12-11"),
        ("next friday", MONDAY, "2026-12-18"),
        ("next friday", SATURDAY, "2026-12-11"),
        ("monday", MONDAY, "2026-12-14"),
        ("明天", SATURDAY, "2026-12-06"),
        ("tomorrow", SATURDAY, "2026-12-06"),
        ("in 2 weeks", SATURDAY, "2026-12-19"),
        ("in two weeks", SATURDAY, "2026-12-19"),
        ("两周后", SATURDAY, "2026-12-19"),
        ("三天后", SATURDAY, "2026-12-08"),
        ("next week", SATURDAY, "2026-12-12"),
        ("in a month", SATURDAY, "2027-01-05"),
        ("2026-12-20", SATURDAY, "2026-12-20"),
        ("20 Dec", SATURDAY, "2026-12-20"),
        ("Dec 20", SATURDAY, "2026-12-20"),
        ("December 20th", SATURDAY, "2026-12-20"),
        ("20th of December", SATURDAY, "2026-12-20"),
        ("dec 20, 2026", SATURDAY, "2026-12-20"),
        ("12月20日", SATURDAY, "2026-12-20"),
        ("12月20号", SATURDAY, "2026-12-20"),
        ("1月3日", SATURDAY, "2027-01-03"),
        ("12/20", SATURDAY, "2026-12-20"),
        ("20/12", SATURDAY, "2026-12-20"),
        ("20/12/2026", SATURDAY, "2026-12-20"),
        ("6/6", SATURDAY, "2027-06-06"),
    ],
)
def test_dates_as_founders_write_them(raw: str, today: date, expected: str) -> None:
    assert parse_date(raw, today) == expected


@pytest.mark.parametrize(
    ("raw", "month_first", "day_first"),
    [("12/01", "2026-12-01", "2027-01-12"), ("01/12", "2027-01-12", "2026-12-01"),
     ("1/12", "2027-01-12", "2026-12-01"), ("12-01", "2026-12-01", "2027-01-12"),
     ("12.01", "2026-12-01", "2027-01-12"), ("01/12/2027", "2027-01-12", "2027-12-01")],
)  # fmt: skip
def test_ambiguous_dates_are_not_guessed(raw: str, month_first: str, day_first: str) -> None:
    """12/01 is 1 Dec in New York and 12 Jan in Berlin: ask, with both readings."""
    today = date(2026, 11, 30)
    assert refusal(parse_date, raw, today) == (
        "date_ambiguous",
        {"month_first": month_first, "day_first": day_first},
    )


@pytest.mark.parametrize("raw", ["这周一", "2026-12-01", "yesterday"])
def test_past_days_are_refused_with_an_example_from_today(raw: str) -> None:
    code, params = refusal(parse_date, raw, SATURDAY)
    assert code in ("date_not_future", "not_a_date")
    assert params == {"example": "2026-12-12"}


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_ambiguity_error_has_words_that_do_not_guess(
    real_catalog: Catalog, locale: str
) -> None:
    from bot.rendering import Renderer, Target

    text = Renderer(real_catalog).ui(
        "errors.date_ambiguous",
        locale,
        Target.PLAIN,
        month_first="2026-12-01",
        day_first="2027-01-12",
    )
    assert ("1 Dec" if locale == "en" else "12月1日") in text
    assert ("12 Jan" if locale == "en" else "1月12日") in text
    assert "2026-12-01" in text
    assert "12/01" not in text


@settings(max_examples=300, deadline=None)
@given(
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    weekday=st.integers(min_value=0, max_value=6),
    which=st.sampled_from(["", "next "]),
)
def test_weekday_words_land_on_that_weekday(today: date, weekday: int, which: str) -> None:
    """``friday`` is within the coming week; ``next friday`` is in the week after this one;
    ``周五``/``下周五`` the same in Chinese."""
    english = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    chinese = "一二三四五六日"
    day = date.fromisoformat(parse_date(which + english[weekday], today))
    same = date.fromisoformat(parse_date(("下" if which else "") + "周" + chinese[weekday], today))
    assert day == same
    assert day.weekday() == weekday
    if which:
        assert day.isocalendar()[:2] == (today + timedelta(weeks=1)).isocalendar()[:2]
    else:
        assert 1 <= (day - today).days <= 7


# ---------------------------------------------------------------- 5. times of day

HOURS = ("h08", "h09", "h12", "h15", "h18", "h20")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("9点", "h09"), ("九点", "h09"), ("下午3点", "h15"), ("晚上8点", "h20"),
     ("晚上8点半", "20:30"), ("中午12点", "h12"), ("中午1点", "13:00"), ("早上7点", "07:00"),
     ("9am", "h09"), ("9 a.m.", "h09"),
     ("3pm", "h15"), ("3:30 pm", "15:30"), ("12pm", "h12"), ("09:00", "h09"), ("9:00", "h09"),
     ("21:30", "21:30"), ("21：30", "21:30"), ("noon", "h12")],
)  # fmt: skip
def test_times_of_day(raw: str, expected: str) -> None:
    assert time_answer(raw, HOURS) == expected


@pytest.mark.parametrize("raw", ["9", "25:00", "13pm", "9:75", "soon", "下午"])
def test_not_times_of_day(raw: str) -> None:
    assert refusal(parse_time_of_day, raw)[0] == "not_a_time"


@pytest.mark.parametrize(
    ("value", "expected"), [("h09", (9, 0)), ("h20", (20, 0)), ("21:30", (21, 30)), ("x", None),
                            (None, None), ("25:00", None)]
)  # fmt: skip
def test_option_time(value: Any, expected: tuple[int, int] | None) -> None:
    assert option_time(value) == expected


def _commit_at(catalog: Catalog, step_id: str) -> tuple[Any, FlowState]:
    flow = catalog.flows["commit"]
    context = {"offered": ["Email five pilot customers"]}
    state = start(flow, {}, context=context).state
    answers: dict[str, Any] = {"pick": ["Email five pilot customers"], "own": None}
    if step_id == "hour":
        answers["when"] = "in_a_week"
    return flow, state.model_copy(update={"step_id": step_id, "answers": answers})


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("9点", "h09"), ("下午3点", "h15"), ("9am", "h09"), ("09:00", "h09"), ("21:30", "21:30"),
     ("2", "h09"), ("h20", "h20"), ("20:00", "h20")],
)  # fmt: skip
def test_a_typed_time_answers_the_hour_question(
    real_catalog: Catalog, typed: str, stored: str
) -> None:
    flow, state = _commit_at(real_catalog, "hour")
    moved = advance(flow, state, TextAnswer(typed), {}, today=SATURDAY)
    assert (moved.notice, moved.state.answers.get("hour")) == (None, stored)


def test_a_number_at_the_hour_question_is_still_an_option_number(real_catalog: Catalog) -> None:
    """9 is not 9:00 there: numbers pick options (there are six), so 9 is no option."""
    flow, state = _commit_at(real_catalog, "hour")
    moved = advance(flow, state, TextAnswer("9"), {}, today=SATURDAY)
    assert moved.notice is not None
    assert moved.notice.code == "no_such_number"


# ---------------------------------------------------------------- 5. a date at "when?"


@pytest.mark.parametrize(
    ("typed", "day"),
    [("明天", "2026-12-06"), ("next friday", "2026-12-11"), ("下周三", "2026-12-09"),
     ("20 Dec", "2026-12-20"), ("12月20日", "2026-12-20"), ("in 10 days", "2026-12-15")],
)  # fmt: skip
def test_a_date_typed_at_when_means_on_that_date(
    real_catalog: Catalog, typed: str, day: str
) -> None:
    """No need to pick "on a date I choose" first: the date answers both questions."""
    flow, state = _commit_at(real_catalog, "when")
    moved = advance(flow, state, TextAnswer(typed), {}, today=SATURDAY)
    assert moved.notice is None
    assert (moved.state.answers["when"], moved.state.answers["date"]) == ("on_date", day)
    assert [(saved.step_id, saved.value) for saved in moved.saved] == [
        ("when", "on_date"),
        ("date", day),
    ]
    assert moved.prompt is not None
    assert moved.prompt.step_id == "hour"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("12/01", "date_ambiguous"), ("yesterday", "unknown_option"), ("这周一", "date_not_future"),
     ("banana", "unknown_option"), ("9", "no_such_number")],
)  # fmt: skip
def test_when_explains_a_date_it_cannot_take(real_catalog: Catalog, typed: str, code: str) -> None:
    """A date that reads as one but cannot be used says why; anything else is no option."""
    flow, state = _commit_at(real_catalog, "when")
    moved = advance(flow, state, TextAnswer(typed), {}, today=SATURDAY)
    assert moved.notice is not None
    assert moved.notice.code == code
    assert moved.state == state


def test_options_still_win_at_when(real_catalog: Catalog) -> None:
    flow, state = _commit_at(real_catalog, "when")
    moved = advance(flow, state, TextAnswer("In two weeks"), {}, today=SATURDAY)
    assert moved.state.answers["when"] == "in_two_weeks"
    assert "date" not in moved.state.answers


def test_an_alternative_must_name_a_later_step(tmp_path: Any) -> None:
    from bot.catalog import load_checked_catalog
    from tests.conftest import copy_flows

    flows, content = copy_flows(tmp_path, ["commit"])
    path = flows / "commit.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "alternative: {option: on_date, step: date}",
            "alternative: {option: on_date, step: pick}",
        ),
        encoding="utf-8",
    )
    with pytest.raises(FlowDefinitionError, match="must come after it"):
        load_checked_catalog(flows, content)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"kind": "multi", "options": ["a", "b"], "exclusive": ["c"]}, "unknown options: c"),
        ({"kind": "choice", "options": ["a", "b"], "exclusive": ["a"]}, "multi steps"),
        ({"kind": "choice", "options": ["h09", "x"], "any_time": True}, "hour options"),
        ({"kind": "multi", "options": ["h09", "h10"], "any_time": True}, "choice steps"),
        ({"kind": "choice", "options": ["a", "b"], "alternative": {"option": "c", "step": "d"}},
         "unknown option 'c'"),
    ],
)  # fmt: skip
def test_new_step_keys_are_checked(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StepSpec(id="s", **extra)


# ---------------------------------------------------------------- 9. exclusive options


@pytest.mark.parametrize(
    ("flow_id", "step_id"),
    [("funding", "milestones"), ("team", "incentives"), ("marketing", "channels"),
     ("marketing", "metrics")],
)  # fmt: skip
def test_nothing_yet_options_are_declared_exclusive(
    real_catalog: Catalog, flow_id: str, step_id: str
) -> None:
    assert real_catalog.flows[flow_id].step(step_id).exclusive == ("none_yet",)


def milestones() -> StepSpec:
    return StepSpec(
        id="milestones",
        kind="multi",
        options=("prototype", "paying_users", "none_yet"),
        exclusive=("none_yet",),
    )


MILESTONE_LABELS = {
    "prototype": ("Working prototype or demo", "原型或演示"),
    "paying_users": ("Paying users or customers", "付费用户或客户"),
    "none_yet": ("None of these yet", "以上都还没有"),
}


@pytest.mark.parametrize(
    "raw", ["1, 3", "Working prototype or demo, None of these yet", "以上都还没有、原型或演示"]
)
def test_an_exclusive_option_with_another_is_refused_typed(raw: str) -> None:
    assert refusal(parse_multi, raw, milestones(), MILESTONE_LABELS, key="funding.milestones") == (
        "exclusive_choice",
        {"option": "none_yet", "question_key": "funding.milestones"},
    )


def test_an_exclusive_option_with_another_is_refused_tapped() -> None:
    assert (
        refusal(validate_multi, ["prototype", "none_yet"], milestones())[0] == "exclusive_choice"
    )


@pytest.mark.parametrize("picked", [["none_yet"], ["prototype", "paying_users"], ["none_yet"] * 2])
def test_an_exclusive_option_alone_is_fine(picked: list[str]) -> None:
    assert validate_multi(picked, milestones()) == list(dict.fromkeys(picked))


@pytest.mark.parametrize("event", [TextAnswer("1, 6"), Choose(("prototype", "none_yet"))])
def test_funding_refuses_a_milestone_with_none_of_these(real_catalog: Catalog, event: Any) -> None:
    flow = real_catalog.flows["funding"]
    state = FlowState(flow_id="funding", version=1, step_id="milestones", answers={})
    moved = advance(flow, state, event, {})
    assert moved.notice is not None
    assert (moved.notice.code, dict(moved.notice.params)) == (
        "exclusive_choice",
        {"option": "none_yet", "question_key": "funding.milestones"},
    )
    assert moved.state == state


@pytest.mark.parametrize(
    ("locale", "words"), [("en", "“None of these yet”"), ("zh", "“以上都还没有”")]
)
def test_the_exclusive_error_names_the_option(
    real_catalog: Catalog, locale: str, words: str
) -> None:
    from bot.rendering import Renderer, Target

    text = Renderer(real_catalog).ui(
        "errors.exclusive_choice",
        locale,
        Target.PLAIN,
        option="none_yet",
        question_key="funding.milestones",
    )
    assert text.startswith(words)
