"""Formatting filters for templates: money, numbers, months, percentages, option labels.

Numbers are formatted the way a founder reading that language expects: ``1.5M`` in
English, ``150万`` in Chinese. Filters read ``locale`` from the template context.
"""

from __future__ import annotations

import math
from typing import Any


def _trim(value: float, digits: int = 1, *, group: bool = True) -> str:
    text = f"{value:,.{digits}f}" if group else f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def format_num(value: Any, locale: str = "en") -> str:
    """``1234.5`` → ``1,234.5``; anything that is not a number is shown as it is."""
    number = _as_number(value)
    if number is None:
        return str(value)
    return _trim(number, 1)


def format_money(value: Any, locale: str = "en") -> str:
    """An amount without currency: ``600,000`` / ``1.5M`` (en), ``60万`` / ``2000万`` (zh).

    Chinese amounts take no thousands separators: ``2000万``, ``8000``.
    """
    number = _as_number(value)
    if number is None:
        return str(value)
    size = abs(number)
    if locale == "zh":
        if size >= 1e8:
            return f"{_trim(number / 1e8, 2, group=False)}亿"
        if size >= 1e4:
            return f"{_trim(number / 1e4, 1, group=False)}万"
        return _trim(number, 0, group=False)
    if size >= 1e9:
        return f"{_trim(number / 1e9, 2)}B"
    if size >= 1e6:
        return f"{_trim(number / 1e6, 2)}M"
    return _trim(number, 0)


def format_months(value: Any, locale: str = "en") -> str:
    """``12`` → ``12 months`` / ``12个月``; one decimal at most."""
    number = _as_number(value)
    if number is None:
        return str(value)
    text = _trim(number, 1)
    if locale == "zh":
        return f"{text}个月"
    return f"{text} month" if text == "1" else f"{text} months"


def format_pct(value: Any, locale: str = "en") -> str:
    """A fraction as a percentage: ``0.25`` → ``25%``."""
    number = _as_number(value)
    if number is None:
        return str(value)
    return f"{_trim(number * 100, 1)}%"


def join_labels(labels: list[str], locale: str = "en") -> str:
    """Join labels the way the language does: ``a, b`` / ``a、b``."""
    return ("、" if locale == "zh" else ", ").join(labels)
