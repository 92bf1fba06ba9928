"""Answer parsers: turn what a founder typed into a stored value, or say why not.

Each parser raises :class:`InvalidAnswer` with a code (``content/<locale>/ui.yaml`` has
the words for it under ``errors``) and the parameters those words need. Pure functions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from bot.engine.spec import StepSpec, Unit


class InvalidAnswer(ValueError):
    """The input does not answer the question; ``code`` names the reason."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# ---------------------------------------------------------------- text

_KEEP_CONTROLS = {"\n", "\t"}


def clean_text(raw: str) -> str:
    """Normalise to NFC, drop control characters (keep newlines and tabs), trim."""
    text = "".join(
        ch for ch in raw if ch in _KEEP_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    text = unicodedata.normalize("NFC", text)  # after: e\x00\u0301 composes once \x00 is gone
    # line by line: a regex for trailing blanks backtracks quadratically on long runs
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def parse_text(raw: str, step: StepSpec) -> str:
    """A free-text answer within the step's length bounds."""
    text = clean_text(raw)
    if not text:
        raise InvalidAnswer("empty")
    if len(text) < step.min_length:
        raise InvalidAnswer("too_short", min=step.min_length)
    if len(text) > step.max_length:
        raise InvalidAnswer("too_long", max=step.max_length, length=len(text))
    return text


# ---------------------------------------------------------------- numbers

_MULTIPLIERS: dict[str, int] = {
    "k": 1000, "thousand": 1000, "千": 1000,
    "w": 10000, "万": 10000, "萬": 10000,
    "十万": 100000, "百万": 1000000, "千万": 10000000,
    "m": 1000000, "mm": 1000000, "mn": 1000000, "mio": 1000000, "million": 1000000,
    "b": 1000000000, "bn": 1000000000, "billion": 1000000000,
    "亿": 100000000, "億": 100000000,
}  # fmt: skip
_CURRENCY = re.compile(
    r"(usd|rmb|cny|eur|gbp|hkd|sgd|us\$|\$|¥|￥|€|£|人民币|美元|美金|元|块|欧元)", re.IGNORECASE
)
_UNIT_WORDS = re.compile(
    r"(people|persons|person|ppl|members|hires|months|month|mos|mo|个月|月|人|个|名|位|次)$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d+)?|\.\d+)\s*([a-z\u4e00-\u9fff]*)$", re.IGNORECASE)
_SCALED_UNITS = (Unit.MONEY, Unit.COUNT)
_WHOLE_UNITS = (Unit.PEOPLE, Unit.COUNT)


def _normalise_number_text(raw: str, unit: Unit | None) -> str:
    text = unicodedata.normalize("NFKC", clean_text(raw)).lower()
    text = _CURRENCY.sub("", text)
    if unit is Unit.PERCENT:
        text = text.replace("%", "")
    text = text.strip().rstrip(".。")
    text = _UNIT_WORDS.sub("", text).strip()
    # thousands separators: 1,200,000 / 1 200 000 / 1_200
    if re.fullmatch(r"[+-]?\d{1,3}([, _]\d{3})+(\.\d+)?\s*[a-z\u4e00-\u9fff]*", text):
        text = re.sub(r"(?<=\d)[, _](?=\d{3})", "", text)
    return text


def parse_number(raw: str, step: StepSpec) -> int | float:
    """A number in the step's unit and bounds; accepts ``12k``, ``1.5m``, ``300万``."""
    unit = step.unit
    text = _normalise_number_text(raw, unit)
    if not text:
        raise InvalidAnswer("empty")
    match = _NUMBER.match(text)
    if match is None:
        raise InvalidAnswer("not_a_number", example=_example(unit))
    sign, digits, suffix = match.groups()
    exact = Decimal(digits)  # exact: 4.1m is 4100000, not 4099999.9999999995
    if suffix:
        if suffix not in _MULTIPLIERS:
            raise InvalidAnswer("not_a_number", example=_example(unit))
        if unit not in _SCALED_UNITS:
            raise InvalidAnswer("no_suffix", example=_example(unit))
        exact *= Decimal(_MULTIPLIERS[suffix])
    if sign == "-":
        exact = -exact
    if unit in _WHOLE_UNITS and exact != exact.to_integral_value():
        raise InvalidAnswer("not_whole")
    value = float(exact)
    if not math.isfinite(value):  # more digits than a float holds, on a step without a max
        raise InvalidAnswer("not_a_number", example=_example(unit))
    low = 0.0 if step.min is None else step.min
    if value < low:
        raise InvalidAnswer("too_small", min=low, unit=str(unit))
    if step.max is not None and value > step.max:
        raise InvalidAnswer("too_large", max=step.max, unit=str(unit))
    if exact == exact.to_integral_value() and abs(exact) < 2**53:
        return int(exact)
    return round(value, 4)


def _example(unit: Unit | None) -> str:
    return {
        Unit.MONEY: "250k",
        Unit.COUNT: "12",
        Unit.PEOPLE: "5",
        Unit.MONTHS: "18",
        Unit.PERCENT: "20%",
    }.get(unit or Unit.COUNT, "12")


# ---------------------------------------------------------------- choices


def _key(text: str) -> str:
    # invisible format marks (right-to-left marks from RTL keyboards, zero-width joiners)
    # and control characters never decide which option was meant
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .。!！?？'\"“”‘’`")


def match_option(raw: str, options: Sequence[str], labels: Mapping[str, Iterable[str]]) -> str:
    """One option by its number (1-based), id or label in any language."""
    key = _key(raw)
    if not key:
        raise InvalidAnswer("empty")
    if key.isdecimal():  # isdigit() also takes ⓵ and ፩, which int() refuses
        index = int(key) if len(key) <= 9 else 0  # int() refuses 4 300 digits or more
        if 1 <= index <= len(options):
            return options[index - 1]
        raise InvalidAnswer("no_such_number", count=len(options))
    for option in options:
        if key == option or key == option.replace("_", " "):
            return option
    for option in options:
        if any(key == _key(label) for label in labels.get(option, ())):
            return option
    raise InvalidAnswer("unknown_option", count=len(options))


_SEPARATORS = re.compile(r"[,，、;；\n/]+")


_NONE = {"none", "nothing", "no", "-", "0", "无", "没有", "都没有", "暂无", "不", "否"}


def parse_multi(raw: str, step: StepSpec, labels: Mapping[str, Iterable[str]]) -> list[str]:
    """Several options, comma separated; each by number, id or label ('none' if allowed)."""
    text = clean_text(raw)
    if not text:
        raise InvalidAnswer("empty")
    if step.min_choices == 0 and _key(text) in _NONE:
        return []
    try:  # a whole label may itself contain a separator ("marketing/sales")
        return _check_count([match_option(text, step.options, labels)], step)
    except InvalidAnswer:
        pass
    parts = [part for part in _SEPARATORS.split(text) if part.strip()]
    if len(parts) == 1 and re.fullmatch(r"\d+(\s+\d+)+", parts[0].strip()):
        parts = parts[0].split()
    chosen: list[str] = []
    for part in parts:
        option = match_option(part, step.options, labels)
        if option not in chosen:
            chosen.append(option)
    return _check_count(chosen, step)


def validate_multi(option_ids: Sequence[str], step: StepSpec) -> list[str]:
    """Options picked by id (buttons): known ids, no repeats, within the bounds."""
    chosen: list[str] = []
    for option in option_ids:
        if option not in step.options:
            raise InvalidAnswer("unknown_option", count=len(step.options))
        if option not in chosen:
            chosen.append(option)
    return _check_count(chosen, step)


def _check_count(chosen: list[str], step: StepSpec) -> list[str]:
    if len(chosen) < step.min_choices:
        raise InvalidAnswer("too_few_choices", min=step.min_choices)
    if len(chosen) > step.choice_limit:
        raise InvalidAnswer("too_many_choices", max=step.choice_limit)
    return chosen


_YES = {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "true", "是", "是的", "对",
        "对的", "有", "好", "嗯", "当然", "已经", "已"}  # fmt: skip
_NO = {"no", "n", "nope", "nah", "not yet", "false", "否", "不", "不是", "没有", "没", "无",
       "还没", "还没有", "未"}  # fmt: skip
YESNO_OPTIONS = ("yes", "no")


def parse_yesno(raw: str, labels: Mapping[str, Iterable[str]]) -> bool:
    """Yes or no, in either language, or by number (1 yes, 2 no)."""
    key = _key(raw)
    if key in _YES:
        return True
    if key in _NO:
        return False
    return match_option(raw, YESNO_OPTIONS, labels) == "yes"


SCALE_OPTIONS = ("1", "2", "3", "4", "5")


def parse_scale(raw: str) -> int:
    """A whole number from 1 to 5 (``4``, ``4/5``)."""
    key = _key(raw)
    key = re.sub(r"\s*/\s*5$", "", key)
    if not key:
        raise InvalidAnswer("empty")
    if not re.fullmatch(r"\d{1,9}", key):  # int() refuses 4 300 digits or more
        raise InvalidAnswer("not_scale")
    value = int(key)
    if not 1 <= value <= 5:
        raise InvalidAnswer("not_scale")
    return value


# ---------------------------------------------------------------- time zones

_CITY_ZONES = {
    "beijing": "Asia/Shanghai", "北京": "Asia/Shanghai", "上海": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai", "深圳": "Asia/Shanghai", "hangzhou": "Asia/Shanghai",
    "杭州": "Asia/Shanghai", "guangzhou": "Asia/Shanghai", "广州": "Asia/Shanghai",
    "chengdu": "Asia/Shanghai", "成都": "Asia/Shanghai", "nanjing": "Asia/Shanghai",
    "南京": "Asia/Shanghai", "wuhan": "Asia/Shanghai", "武汉": "Asia/Shanghai",
    "suzhou": "Asia/Shanghai", "苏州": "Asia/Shanghai", "xi'an": "Asia/Shanghai",
    "西安": "Asia/Shanghai", "china": "Asia/Shanghai", "中国": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong", "台北": "Asia/Taipei", "新加坡": "Asia/Singapore",
    "东京": "Asia/Tokyo", "首尔": "Asia/Seoul", "伦敦": "Europe/London",
    "巴黎": "Europe/Paris", "柏林": "Europe/Berlin", "纽约": "America/New_York",
    "旧金山": "America/Los_Angeles", "硅谷": "America/Los_Angeles",
    "洛杉矶": "America/Los_Angeles", "西雅图": "America/Los_Angeles",
    "悉尼": "Australia/Sydney", "迪拜": "Asia/Dubai",
    "san francisco": "America/Los_Angeles", "sf": "America/Los_Angeles",
    "bay area": "America/Los_Angeles", "silicon valley": "America/Los_Angeles",
    "palo alto": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "nyc": "America/New_York", "boston": "America/New_York", "washington": "America/New_York",
    "austin": "America/Chicago", "munich": "Europe/Berlin", "zurich": "Europe/Zurich",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "india": "Asia/Kolkata",
    "tel aviv": "Asia/Jerusalem", "uk": "Europe/London", "utc": "UTC", "gmt": "UTC",
}  # fmt: skip
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(00|30|45))?$")
# Offsets with minutes have no Etc/ zone; these are the places that keep them.
_HALF_HOURS = {
    "+3:30": "Asia/Tehran", "+4:30": "Asia/Kabul", "+5:30": "Asia/Kolkata",
    "+5:45": "Asia/Kathmandu", "+6:30": "Asia/Yangon", "+9:30": "Australia/Darwin",
    "-3:30": "America/St_Johns", "-9:30": "Pacific/Marquesas",
}  # fmt: skip


@lru_cache(maxsize=1)
def _zone_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        index.setdefault(name.casefold(), name)
        city = name.rsplit("/", 1)[-1].replace("_", " ").casefold()
        index.setdefault(city, name)
    return index


def parse_timezone(raw: str) -> str:
    """An IANA zone from a zone name, a city (English or Chinese) or ``UTC+8``."""
    key = _key(raw)
    if not key:
        raise InvalidAnswer("empty")
    if key in _CITY_ZONES:
        return _CITY_ZONES[key]
    found = _zone_index().get(key) or _zone_index().get(key.replace(" ", "_"))
    if found:
        return found
    offset = _OFFSET.match(key.replace(" ", ""))
    if offset:
        sign, hours, minutes = offset.groups()
        if minutes and minutes != "00":
            zone = _HALF_HOURS.get(f"{sign}{int(hours)}:{minutes}")
            if zone:
                return zone
            raise InvalidAnswer("unknown_timezone")
        if int(hours) == 0:
            return "UTC"
        # POSIX-style Etc zones invert the sign: UTC+8 is Etc/GMT-8 (they reach +14 and -12).
        zone = f"Etc/GMT{'-' if sign == '+' else '+'}{int(hours)}"
        if is_timezone(zone):
            return zone
    raise InvalidAnswer("unknown_timezone")


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


# ---------------------------------------------------------------- dates

_RELATIVE = {"today": 0, "今天": 0, "tomorrow": 1, "明天": 1, "后天": 2, "day after tomorrow": 2}
_IN_DAYS = re.compile(r"^(?:in\s+)?(\d{1,3})\s*(?:days?|天后|天之后|天)$")
_IN_WEEKS = re.compile(r"^(?:in\s+)?(\d{1,2})\s*(?:weeks?|周后|周|个星期后|星期后)$")
_FULL = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_SHORT = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")
MAX_DAYS_AHEAD = 366


def parse_date(raw: str, today: date | None) -> str:
    """A future date as ISO text (``2026-12-01``, ``12/01``, ``12月1日``, ``tomorrow``).

    ``today`` is the founder's local date, passed in (the engine never reads a clock).
    """
    key = _key(raw)
    if not key:
        raise InvalidAnswer("empty")
    if today is None:
        raise InvalidAnswer("not_a_date")
    day: date | None = None
    if key in _RELATIVE:
        day = today + timedelta(days=_RELATIVE[key])
    elif match := _IN_DAYS.match(key):
        day = today + timedelta(days=int(match[1]))
    elif match := _IN_WEEKS.match(key):
        day = today + timedelta(weeks=int(match[1]))
    elif match := _FULL.match(key):
        day = _make_date(int(match[1]), int(match[2]), int(match[3]))
    elif match := _SHORT.match(key):
        day = _make_date(today.year, int(match[1]), int(match[2]))
        if day is None or day < today:  # None: 2/29 of next year, typed in a common year
            day = _make_date(today.year + 1, int(match[1]), int(match[2]))
    if day is None:
        raise InvalidAnswer("not_a_date")
    if day <= today:
        raise InvalidAnswer("date_not_future")
    if (day - today).days > MAX_DAYS_AHEAD:
        raise InvalidAnswer("date_too_far")
    return day.isoformat()


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
