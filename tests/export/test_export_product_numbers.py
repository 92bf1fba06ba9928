"""Revenue and the compute bill in the investor draft, from the product and technology flow.

Investors ask what compute costs against what customers pay; the draft says it in the
founder's own figures when they gave them, and says nothing about it when they did not.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.export.investor import investor_update
from bot.export.summary import Summary
from bot.rendering import Renderer
from tests.export.test_export_documents import (
    TODAY,
    make_summary,
    renderer,  # noqa: F401
    words_for,
)

LINES = {
    "en": ["- Revenue: $20,000 a month", "- Compute: $9,000 a month, 45% of revenue"],
    "zh": ["- 每月收入：2万美元", "- 每月算力支出：9000美元，占收入的 45%"],
}
BEFORE_REVENUE = {"en": "- Compute: $12,000 a month", "zh": "- 每月算力支出：1.2万美元"}


def with_product(locale: str, **numbers: Any) -> Summary:
    from bot.export.summary import ProductNumbers  # here, so the module loads on older code

    summary = make_summary(locale)
    summary.currency = "USD"
    summary.product_numbers = ProductNumbers(as_of="2026-03-04", **numbers)
    return summary


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_revenue_and_compute_share_are_key_numbers(renderer: Renderer, locale: str) -> None:  # noqa: F811
    summary = with_product(locale, revenue=20_000, compute=9_000, compute_share=0.45)
    draft = investor_update(summary, words_for(renderer, locale), today=TODAY)
    assert draft is not None
    lines = draft.splitlines()
    at = lines.index(LINES[locale][0])
    assert lines[at : at + 2] == LINES[locale]


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_before_revenue_only_the_bill(renderer: Renderer, locale: str) -> None:  # noqa: F811
    summary = with_product(locale, revenue=0, compute=12_000, compute_share=None)
    draft = investor_update(summary, words_for(renderer, locale), today=TODAY)
    assert draft is not None
    assert BEFORE_REVENUE[locale] in draft.splitlines()
    assert LINES[locale][0] not in draft


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_no_product_numbers_no_lines(renderer: Renderer, locale: str) -> None:  # noqa: F811
    draft = investor_update(make_summary(locale), words_for(renderer, locale), today=TODAY)
    assert draft is not None
    assert BEFORE_REVENUE[locale][2:8] not in draft
