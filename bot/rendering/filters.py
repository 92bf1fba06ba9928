"""Formatting filters for templates: money, numbers, months, percentages, option labels,
days and time zones.

Numbers are formatted the way a founder reading that language expects: ``1.5M`` in
English, ``150万`` in Chinese. Filters read ``locale`` (and, for money, the founder's
``currency``) from the template context.
"""

from __future__ import annotations

import math
import re
from datetime import date
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


# How an amount in a currency is written: English puts a sign (or the ISO code) before
# the number, Chinese puts the currency's name after it.
_SIGNS_EN = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥"}
_NAMES_ZH = {"CNY": "元", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "CAD": "加元",
             "AUD": "澳元", "NZD": "新西兰元", "SGD": "新加坡元", "HKD": "港元", "TWD": "新台币",
             "JPY": "日元", "KRW": "韩元", "INR": "卢比", "CHF": "瑞士法郎"}  # fmt: skip


def format_money(value: Any, locale: str = "en", currency: str | None = None) -> str:
    """An amount: ``600,000`` / ``1.5M`` (en), ``60万`` / ``2000万`` (zh); with the founder's
    currency ``$600,000``, ``CAD 1.5M`` (en), ``60万元``, ``60万加元`` (zh).

    Chinese amounts take no thousands separators: ``2000万``, ``8000``.
    """
    number = _as_number(value)
    if number is None:
        return str(value)
    size = abs(number)
    if locale == "zh":
        if size >= 1e8:
            amount = f"{_trim(number / 1e8, 2, group=False)}亿"
        elif size >= 1e4:
            amount = f"{_trim(number / 1e4, 1, group=False)}万"
        else:
            amount = _trim(number, 0, group=False)
        if not currency:
            return amount
        name = _NAMES_ZH.get(currency)
        return f"{amount}{name}" if name else f"{amount} {currency}"
    if size >= 1e9:
        amount = f"{_trim(size / 1e9, 2)}B"
    elif size >= 1e6:
        amount = f"{_trim(size / 1e6, 2)}M"
    else:
        amount = _trim(size, 0)
    sign = "-" if number < 0 else ""
    if not currency:
        return f"{sign}{amount}"
    if currency in _SIGNS_EN:
        return f"{sign}{_SIGNS_EN[currency]}{amount}"
    return f"{sign}{currency} {amount}"


def format_months(value: Any, locale: str = "en") -> str:
    """``12`` → ``12 months`` / ``12 个月``; one decimal at most."""
    number = _as_number(value)
    if number is None:
        return str(value)
    text = _trim(number, 1)
    if locale == "zh":
        return f"{text} 个月"  # "约 9.1 个月": a number and its unit, as the zh words write "3 个"
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


def join_phrases(phrases: list[str], locale: str = "en") -> str:
    """Join phrases as a sentence does: ``a and b``, ``a, b and c`` / ``a和b``, ``a、b和c``."""
    if len(phrases) <= 1:
        return "".join(phrases)
    if locale == "zh":  # "VC 和政府补贴": a space where Latin letters meet 和
        head, last = "、".join(phrases[:-1]), phrases[-1]
        before = " " if head[-1:].isascii() and head[-1:].isalnum() else ""
        after = " " if last[:1].isascii() and last[:1].isalnum() else ""
        return f"{head}{before}和{after}{last}"
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(value: Any, locale: str = "en") -> str:
    """An ISO date the way a person writes it, with no doubt about day and month:
    ``11 Dec`` (en), ``12月11日`` (zh). Anything else is shown as it is."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if locale == "zh":
        return f"{day.month}月{day.day}日"
    return f"{day.day} {_MONTH_ABBR[day.month - 1]}"


_ETC_OFFSET = re.compile(r"^Etc/GMT([+-])(\d{1,2})$")


def zone_label(name: Any, locale: str = "en") -> str:
    """A time zone as a person writes it: ``Etc/GMT+3`` is ``UTC-3``.

    POSIX ``Etc/`` zones invert the sign (``Etc/GMT+3`` is three hours *behind* UTC); the
    store keeps the IANA name, and this is what a founder reads. Named zones
    (``Asia/Shanghai``) are shown as they are.
    """
    text = str(name)
    if text in ("UTC", "Etc/UTC", "Etc/GMT", "Etc/GMT+0", "Etc/GMT-0", "GMT", "Etc/Zulu"):
        return "UTC"
    match = _ETC_OFFSET.match(text)
    if match:
        sign = "-" if match[1] == "+" else "+"
        return f"UTC{sign}{int(match[2])}"
    return text
