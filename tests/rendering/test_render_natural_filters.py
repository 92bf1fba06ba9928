"""Money in the founder's currency, days without day/month doubt, and zones as UTC-3."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.inputs import parse_date, parse_timezone
from bot.rendering import filters as fmt


@pytest.mark.parametrize(
    ("value", "locale", "currency", "expected"),
    [
        (450_000, "en", "USD", "$450,000"),
        (450_000, "en", "EUR", "€450,000"),
        (450_000, "en", "GBP", "£450,000"),
        (450_000, "en", "CNY", "¥450,000"),
        (450_000, "en", "CAD", "CAD 450,000"),
        (2_500_000, "en", "CAD", "CAD 2.5M"),
        (2_500_000, "en", "USD", "$2.5M"),
        (-5_000, "en", "USD", "-$5,000"),
        (450_000, "en", None, "450,000"),
        (450_000, "zh", "CNY", "45万元"),
        (150_000_000, "zh", "CNY", "1.5亿元"),
        (5_000, "zh", "CNY", "5000元"),
        (450_000, "zh", "USD", "45万美元"),
        (450_000, "zh", "CAD", "45万加元"),
        (450_000, "zh", "SEK", "45万 SEK"),
        (450_000, "zh", None, "45万"),
        (20_000_000, "zh", None, "2000万"),  # never 2,000万
        (123_456_789, "zh", "CNY", "1.23亿元"),
        (8_000, "zh", None, "8000"),
        ("n/a", "en", "USD", "n/a"),
    ],
)
def test_money_in_the_founders_currency(
    value: Any, locale: str, currency: str | None, expected: str
) -> None:
    assert fmt.format_money(value, locale, currency) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Etc/GMT+3", "UTC-3"), ("Etc/GMT-8", "UTC+8"), ("Etc/GMT-14", "UTC+14"),
     ("Etc/GMT+12", "UTC-12"), ("UTC", "UTC"), ("Etc/UTC", "UTC"),
     ("Asia/Shanghai", "Asia/Shanghai"), ("America/St_Johns", "America/St_Johns")],
)  # fmt: skip
def test_zone_label(name: str, expected: str) -> None:
    assert fmt.zone_label(name) == expected


@pytest.mark.parametrize("offset", range(-12, 15))
def test_a_typed_offset_is_shown_as_typed(offset: int) -> None:
    """What the founder typed (UTC-3) is what they read back, though Etc/GMT+3 is stored."""
    typed = "UTC" if offset == 0 else f"UTC{offset:+d}"
    assert fmt.zone_label(parse_timezone(typed)) == typed


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [("2026-12-11", "en", "11 Dec"), ("2026-12-11", "zh", "12月11日"),
     ("2027-01-02", "en", "2 Jan"), ("soon", "en", "soon")],
)  # fmt: skip
def test_format_day(value: str, locale: str, expected: str) -> None:
    assert fmt.format_day(value, locale) == expected


@settings(max_examples=300, deadline=None)
@given(
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 1)),
    ahead=st.integers(min_value=1, max_value=300),
    locale=st.sampled_from(["en", "zh"]),
)
def test_a_shown_day_reads_back_as_that_day(today: date, ahead: int, locale: str) -> None:
    """Every day we show as an example (11 Dec, 12月11日) is one the parser reads back."""
    day = today + timedelta(days=ahead)
    assert parse_date(fmt.format_day(day.isoformat(), locale), today) == day.isoformat()


@pytest.mark.parametrize(
    ("phrases", "locale", "expected"),
    [
        (["angels"], "en", "angels"),
        (["angels", "VCs"], "en", "angels and VCs"),
        (["angels", "VCs", "grants"], "en", "angels, VCs and grants"),
        (["天使投资人", "VC", "政府补贴"], "zh", "天使投资人、VC 和政府补贴"),
        (["用户增长", "CAC"], "zh", "用户增长和 CAC"),
        (["市场", "技术"], "zh", "市场和技术"),
    ],
)
def test_phrases_join_as_a_sentence_does(phrases: list[str], locale: str, expected: str) -> None:
    assert fmt.join_phrases(phrases, locale) == expected
