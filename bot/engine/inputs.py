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


def text_width(text: str) -> int:
    """Length with a Chinese character counted as two letters: "给小律所做合同审查" says as
    much as "contract review for law firms", and a minimum must not refuse it."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def parse_text(raw: str, step: StepSpec) -> str:
    """A free-text answer within the step's length bounds."""
    text = clean_text(raw)
    if not text:
        raise InvalidAnswer("empty")
    if text_width(text) < step.min_length:
        # ``min_wide``: the same bound in Chinese characters, each as wide as two letters
        raise InvalidAnswer("too_short", min=step.min_length, min_wide=-(-step.min_length // 2))
    if len(text) > step.max_length:
        raise InvalidAnswer("too_long", max=step.max_length, length=len(text))
    return text


# A numbered list, as founders type it on one line or several: "1. a 2. b", "1) a",
# "1、a", "(1) a", "①a"; and bullets at the start of a line: "- a", "• a", "* a".
_NUMBER_MARK = re.compile(
    r"(?:(?<=\s)|^)(\d{1,2})[.)）、:：](?!\d)\s*"  # 1. 1) 1、 after a blank or at the start
    r"|[(（](\d{1,2})[)）]\s*"  # (1) anywhere
    r"|([①-⑳])\s*"  # ① anywhere
)
_BULLET = re.compile(r"^[-•·*]\s+")
_ITEM_BREAKS = re.compile(r"\s*(?:\n|;|；)\s*")


def split_items(text: Any) -> list[str]:
    """Several items typed as one answer: one per line, split by ``;``/``；``, or numbered.

    A number only starts an item when the numbers run 1, 2, 3 from the very start, so
    ``Hire 2. engineers`` or ``Raise 1.5M`` stay whole. Items come back trimmed, in order,
    without empty ones. Anything that is not text gives no items.
    """
    if not isinstance(text, str):
        return []
    items: list[str] = []
    for piece in _numbered(text.strip()):
        for line in _ITEM_BREAKS.split(piece):
            items.append(_BULLET.sub("", line.strip()))
    return [item for item in (item.strip(" \t,，") for item in items) if item]


def _numbered(text: str) -> list[str]:
    """Cut at list numbers that run 1, 2, 3 ... from the start of the text."""
    cuts: list[re.Match[str]] = []
    for marker in _NUMBER_MARK.finditer(text):
        digits = marker[1] or marker[2]
        number = int(digits) if digits else ord(marker[3]) - ord("①") + 1
        if number == len(cuts) + 1 and (cuts or marker.start() == 0):
            cuts.append(marker)
    if not cuts:
        return [text]
    ends = [marker.start() for marker in cuts[1:]] + [len(text)]
    return [text[marker.end() : end] for marker, end in zip(cuts, ends, strict=True)]


# ---------------------------------------------------------------- numbers

_MULTIPLIERS: dict[str, int] = {
    "k": 1000, "thousand": 1000, "千": 1000,
    "w": 10000, "万": 10000, "萬": 10000,
    "十万": 100000, "百万": 1000000, "千万": 10000000,
    "m": 1000000, "mm": 1000000, "mn": 1000000, "mio": 1000000, "million": 1000000,
    "b": 1000000000, "bn": 1000000000, "billion": 1000000000,
    "亿": 100000000, "億": 100000000,
}  # fmt: skip

DOLLAR = "$"
"""A bare ``$``: US dollars unless the founder already works in another dollar."""
DOLLAR_CURRENCIES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD"})

# What founders write for a currency, before or after the amount (matched after NFKC and
# casefolding, so ＄ is $ and ￥ is ¥). Longest first, so 美元 is not read as 元.
_CURRENCY_WORDS: dict[str, str] = {
    "us$": "USD", "usd": "USD", "美元": "USD", "美金": "USD", "dollars": DOLLAR,
    "dollar": DOLLAR, "bucks": DOLLAR, "$": DOLLAR,
    "c$": "CAD", "ca$": "CAD", "cad": "CAD", "加元": "CAD", "加币": "CAD",
    "a$": "AUD", "au$": "AUD", "aud": "AUD", "澳元": "AUD", "澳币": "AUD",
    "nz$": "NZD", "nzd": "NZD", "s$": "SGD", "sg$": "SGD", "sgd": "SGD", "新加坡元": "SGD",
    "新币": "SGD", "hk$": "HKD", "hkd": "HKD", "港元": "HKD", "港币": "HKD", "nt$": "TWD",
    "twd": "TWD", "新台币": "TWD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "欧元": "EUR",
    "£": "GBP", "gbp": "GBP", "pounds": "GBP", "英镑": "GBP",
    "¥": "CNY", "rmb": "CNY", "cny": "CNY", "yuan": "CNY", "人民币": "CNY", "元": "CNY",
    "块钱": "CNY", "块": "CNY",
    "jpy": "JPY", "日元": "JPY", "krw": "KRW", "₩": "KRW", "韩元": "KRW", "inr": "INR",
    "₹": "INR", "卢比": "INR", "chf": "CHF", "瑞郎": "CHF", "瑞士法郎": "CHF", "sek": "SEK",
    "nok": "NOK", "dkk": "DKK", "ils": "ILS", "₪": "ILS", "aed": "AED", "brl": "BRL",
}  # fmt: skip
_CURRENCY = re.compile(
    "|".join(
        # a word of latin letters must stand alone: "cad" is no currency inside "decade"
        rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        if word[-1].isascii() and word[-1].isalpha()
        else re.escape(word)
        for word in sorted(_CURRENCY_WORDS, key=len, reverse=True)
    )
)
# "a month" on an amount: burn, compute, budget and salaries are all asked per month
_PER_MONTH = re.compile(
    r"每个?月|月均|月薪|一个月|per\s+month|a\s+month|monthly|/\s*(?:month|mo|个月|月)"
)
_UNIT_WORDS = re.compile(
    r"(people|persons|person|ppl|members|hires|months|month|mos|mo|个月|月|人|个|名|位|次|家)$",
    re.IGNORECASE,
)
# A Chinese counter may carry its noun: 4家律所, 15个客户, 3位工程师
_COUNTED = re.compile(r"^(.*?)\s*[个名位次家条笔份场单户项款台张所件]\s*[\u4e00-\u9fff]{0,8}$")
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d+)?|\.\d+)\s*([a-z\u4e00-\u9fff]*)$", re.IGNORECASE)
# A share as founders say it: 百分之六十, 60 percent (六成, tenths, is read in parse_amount)
_PERCENT_WORDS = re.compile(r"^\s*百分之|\s*(?:per\s?cent|pct)\s*$")
_TENTHS = re.compile(r"^(.+?)成(半?)$")  # 六成 is 60%, 三成半 is 35%
_SCALED_UNITS = (Unit.MONEY, Unit.COUNT)
_WHOLE_UNITS = (Unit.PEOPLE, Unit.COUNT)


def _split_currency(text: str) -> tuple[str, str | None]:
    """The text without its currency words, and the currency they name (``$``: a dollar)."""
    found = {_CURRENCY_WORDS[match] for match in _CURRENCY.findall(text)}
    if len(found) > 1 and DOLLAR in found:
        found.discard(DOLLAR)  # "$50k USD", "C$ 450k CAD"
    if len(found) > 1:
        raise InvalidAnswer("two_currencies")
    return _CURRENCY.sub(" ", text), (found.pop() if found else None)


def settle_currency(typed: str, current: str | None) -> str:
    """The founder's currency after typing ``typed``: a bare ``$`` keeps a dollar currency
    they already use (CAD after ``C$450k``) and is US dollars otherwise."""
    if typed != DOLLAR:
        return typed
    return current if current in DOLLAR_CURRENCIES else "USD"


def typed_currency(raw: str) -> str | None:
    """The currency written with an amount (``CAD``; :data:`DOLLAR` for a bare ``$``), if any."""
    try:
        return _split_currency(unicodedata.normalize("NFKC", clean_text(raw)).casefold())[1]
    except InvalidAnswer:
        return None


def _normalise_number_text(raw: str, unit: Unit | None) -> tuple[str, str | None]:
    text = unicodedata.normalize("NFKC", clean_text(raw)).casefold()
    text, currency = _split_currency(text)
    if unit is Unit.MONEY:
        text = _PER_MONTH.sub(" ", text)
    if unit is Unit.PERCENT:
        text = _PERCENT_WORDS.sub("", text.replace("%", ""))
    text = text.strip().rstrip(".。")
    for _ in range(2):  # 两个人: a counter and a unit word
        text = _UNIT_WORDS.sub("", text).strip()
    if unit in _WHOLE_UNITS and (counted := _COUNTED.match(text)) and counted[1]:
        text = counted[1].strip()
    # thousands separators: 1,200,000 / 1 200 000 / 1_200
    if re.fullmatch(r"[+-]?\d{1,3}([, _]\d{3})+(\.\d+)?\s*[a-z\u4e00-\u9fff]*", text):
        text = re.sub(r"(?<=\d)[, _](?=\d{3})", "", text)
    return text, currency


def parse_number(raw: str, step: StepSpec) -> int | float:
    """A number in the step's unit and bounds; accepts ``12k``, ``1.5m``, ``300万``, ``两万五``."""
    return parse_amount(raw, step)[0]


def parse_amount(raw: str, step: StepSpec) -> tuple[int | float, str | None]:
    """A number as :func:`parse_number` reads it, and the currency typed with it (if any).

    The currency is an ISO code (``CAD``), or :data:`DOLLAR` for a bare ``$``.
    """
    unit = step.unit
    text, currency = _normalise_number_text(raw, unit)
    if not text:
        raise InvalidAnswer("empty")
    tenths = _TENTHS.match(text) if unit is Unit.PERCENT else None
    if tenths:
        exact = _read_number(tenths[1].strip(), unit) * 10 + (5 if tenths[2] else 0)
    else:
        exact = _read_number(text, unit)
    value = float(exact)
    if not math.isfinite(value):  # more digits than a float holds, on a step without a max
        raise InvalidAnswer("not_a_number", unit=_unit_name(unit))
    low = 0.0 if step.min is None else step.min
    if value < low:
        raise InvalidAnswer("too_small", min=low, unit=str(unit))
    if step.max is not None and value > step.max:
        raise InvalidAnswer("too_large", max=step.max, unit=str(unit))
    if exact == exact.to_integral_value() and abs(exact) < 2**53:
        return int(exact), currency
    return round(value, 4), currency


def _read_number(text: str, unit: Unit | None) -> Decimal:
    match = _NUMBER.match(text)
    if match is None:
        sign = "-" if text.startswith(("-", "−")) else ""
        chinese = chinese_number(text.lstrip("+-−").strip())
        if chinese is None:
            raise InvalidAnswer("not_a_number", unit=_unit_name(unit))
        exact, scaled = chinese
        if scaled and unit not in _SCALED_UNITS:
            raise InvalidAnswer("no_suffix", unit=_unit_name(unit))
        exact = -exact if sign else exact
    else:
        sign, digits, suffix = match.groups()
        exact = Decimal(digits)  # exact: 4.1m is 4100000, not 4099999.9999999995
        if suffix:
            if suffix not in _MULTIPLIERS:
                raise InvalidAnswer("not_a_number", unit=_unit_name(unit))
            if unit not in _SCALED_UNITS:
                raise InvalidAnswer("no_suffix", unit=_unit_name(unit))
            exact *= Decimal(_MULTIPLIERS[suffix])
        if sign == "-":
            exact = -exact
    if unit in _WHOLE_UNITS and exact != exact.to_integral_value():
        raise InvalidAnswer("not_whole")
    return exact


def _unit_name(unit: Unit | None) -> str:
    """The unit an error's example is worded for (each locale words its own example)."""
    return str(unit or Unit.COUNT)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "兩": 2, "三": 3,
              "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
              "八": 8, "捌": 8, "九": 9, "玖": 9}  # fmt: skip
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_LARGE = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CN_TOKEN = re.compile(
    r"\d+(?:\.\d+)?|[零〇一壹二贰两兩三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万萬亿億]"
)


def chinese_number(text: str) -> tuple[Decimal, bool] | None:
    """A number written with Chinese numerals (``二十五万``, ``两万五``, ``一千二百``, ``2万5``).

    Returns the value and whether 万 or 亿 scaled it (not allowed for people or months),
    or None if ``text`` is not such a number. Arabic digits may stand for a digit group.
    """
    tokens = _CN_TOKEN.findall(text)
    if not tokens or "".join(tokens) != text.replace(" ", "") or len(tokens) > 40:
        return None
    total = Decimal(0)  # the finished 亿 and 万 groups
    section = Decimal(0)  # the group under way (below 万)
    number: Decimal | None = None  # a digit waiting for its unit
    last_unit = 0  # the unit just before a trailing digit: 两万五 is 25000
    last_large = 10**9
    scaled = False
    for token in tokens:
        if token in _CN_DIGITS or token[0].isdigit():
            if number is not None:
                return None  # two numbers in a row: 一二, 3五
            if token in ("零", "〇"):
                last_unit = 0  # 一百零五: the 5 is ones again
                number = None if len(tokens) > 1 else Decimal(0)
                continue
            number = Decimal(_CN_DIGITS[token]) if token in _CN_DIGITS else Decimal(token)
        elif token in _CN_SMALL:
            unit = _CN_SMALL[token]
            if number is None:
                if unit != 10 or section or total:
                    return None  # 十五 starts with 十; 百五 is not a number
                number = Decimal(1)
            section += number * unit
            number, last_unit = None, unit
        else:
            unit = _CN_LARGE[token]
            if unit >= last_large:
                return None  # 万 after 万
            group = section + (number or 0)
            if unit == 10**8:
                if not group and not total:
                    return None
                total = (total + group) * unit
            else:
                if not group:
                    return None
                total += group * unit
                last_large = unit
            section, number, last_unit, scaled = Decimal(0), None, unit, True
    if number is not None:
        whole_digit = number == number.to_integral_value() and 0 < number < 10
        if last_unit >= 10 and whole_digit and len(tokens) > 1:
            number *= Decimal(last_unit) / 10
        section += number
    return total + section, scaled


# ---------------------------------------------------------------- choices


def _key(text: str) -> str:
    # invisible format marks (right-to-left marks from RTL keyboards, zero-width joiners)
    # and control characters never decide which option was meant
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .。!！?？'\"“”‘’`")


def _loose(key: str) -> str:
    """A key with no spaces around slashes: "Marketing / sales" is "marketing/sales"."""
    return re.sub(r"\s*/\s*", "/", key)


@lru_cache(maxsize=8192)
def _label_key(label: str) -> str:
    """A label as typed answers are compared with it; labels come from the content, a
    finite set, so each is keyed once (keying them for every typed answer was most of
    what a founder's flood of free text cost, issue #14)."""
    return _loose(_key(label))


def match_option(
    raw: str,
    options: Sequence[str],
    labels: Mapping[str, Iterable[str]],
    *,
    short_names: bool = True,
) -> str:
    """One option by its number (1-based), id or label in any language.

    With ``short_names``, also the short way a founder names an option (see :func:`_says`)
    when exactly one option fits; off while several pieces of a list are tried as one label.
    """
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
    loose = _loose(key)
    for option in options:
        if any(loose == _label_key(label) for label in labels.get(option, ())):
            return option
    for said in _day_words(loose):  # 星期三, 每周三, 下周三 at "which day?" are 周三
        for option in options:
            if any(said == _label_key(label) for label in labels.get(option, ())):
                return option
    for exact in (
        (True, False) if short_names else ()
    ):  # a whole head ("股权") before a part of one ("股权加债权")
        fitting = {
            option
            for option in options
            for label in labels.get(option, ())
            if _says(loose, _label_key(label), exact=exact)
        }
        if len(fitting) == 1:  # the short way a founder names it, when only one option fits
            return fitting.pop()
        if fitting:
            break
    raise InvalidAnswer("unknown_option", count=len(options))


_HEAD_END = re.compile(r"[:：(（]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _says(key: str, label: str, *, exact: bool = False) -> bool:
    """Whether ``key`` is how a founder would name the option ``label`` for short.

    Its head (the part before a colon or parenthesis: "原型阶段" for "原型阶段：有可用的
    Demo", "股权" for "股权（股份、SAFE 或可转债）"), the start of it ("订阅" for "订阅制",
    "pilot" for "Pilot or MVP: first real users"), a whole word of it ("agent"), or, in
    Chinese, the head inside a longer phrase ("我们还没有投资人" for "还没有投资人").
    """
    head = _head(label)
    if not head or len(key) < 2:
        return False
    if key == head or exact:
        return key == head
    if _CJK.search(key):
        return (key in head) or (len(head) >= 4 and head in key)
    if len(key) < 3:
        return False
    return head.startswith(key) or contains_word(head, key)


@lru_cache(maxsize=8192)
def _head(label: str) -> str:
    """A label's head: the part before a colon or an opening parenthesis."""
    return _HEAD_END.split(label, 1)[0].strip()


def contains_word(text: str, word: str) -> bool:
    """``re.search(rf"\\b{re.escape(word)}\\b", text)`` without compiling a pattern for
    every typed answer (a flood of distinct texts kept re's cache missing)."""
    if not word:
        return False
    start = text.find(word)
    while start != -1:
        if _boundary(text, start) and _boundary(text, start + len(word)):
            return True
        start = text.find(word, start + 1)
    return False


def _boundary(text: str, index: int) -> bool:
    """Whether ``\\b`` holds at ``index``: a word character on one side only (re's
    definition: alphanumeric or the underscore)."""
    before = index > 0 and _word_char(text[index - 1])
    after = index < len(text) and _word_char(text[index])
    return before != after


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _day_words(key: str) -> tuple[str, ...]:
    """Other ways of writing a weekday: 星期三 / 礼拜三 / 每周三 / 下周三 as 周三."""
    day = re.sub(r"^(?:每|下个?|这个?|本)?(?:星期|礼拜|周)(?=[一二三四五六日天])", "周", key)
    day = day.replace("周天", "周日")
    return (day,) if day != key else ()


# Between picks: commas, enumeration commas, semicolons, new lines and slashes ("1/3").
# A label may contain any of them ("Marketing / sales", "软件/研发工程师"), so whole
# labels are matched before the text is cut there (see _segment).
_SEPARATORS = re.compile(r"([,，、;；\n/]+)")
_LONGEST_LABEL = 4  # pieces a label may span (labels hold at most a few separators)


_NONE = {
    "none", "nothing", "no", "-", "0", "not now", "no thanks", "no thank you",
    "none of them", "none of these", "none of those", "nothing yet", "not yet",
    "无", "没有", "都没有", "暂无", "不", "否", "不用", "不用了", "暂时不用", "先不用", "算了",
    "都没", "都不是", "都不像", "都不涉及", "一个都没有", "一条都没有", "一件都没有", "还没有",
}  # fmt: skip


def parse_multi(
    raw: str, step: StepSpec, labels: Mapping[str, Iterable[str]], *, key: str | None = None
) -> list[str]:
    """Several options, comma separated; each by number, id or label ('none' if allowed).

    ``key`` (``flow.step``) lets a refusal name an option's label in the founder's words.
    """
    text = clean_text(raw)
    if not text:
        raise InvalidAnswer("empty")
    if _key(text) in _NONE:
        if step.min_choices == 0:
            return []
        if len(step.exclusive) == 1:  # "没有" at a list whose "None of these" stands alone
            return [step.exclusive[0]]
    pieces = _SEPARATORS.split(text)  # text, separator, text, ... (odd indexes: separators)
    chosen = _segment(pieces, step, labels)
    if chosen is None:  # say why, part by part, as a founder reads the list
        chosen = []
        for part in pieces[::2]:
            if part.strip():
                chosen += _pick_part(part, step, labels) or [
                    match_option(part, step.options, labels)
                ]
    unique: list[str] = []
    for option in chosen:
        if option not in unique:
            unique.append(option)
    return _check_count(unique, step, key)


def _pick_part(
    part: str, step: StepSpec, labels: Mapping[str, Iterable[str]], *, short_names: bool = True
) -> list[str] | None:
    """The options one piece of text names: an option, or numbers apart ("1 3"); or None."""
    try:
        return [match_option(part, step.options, labels, short_names=short_names)]
    except InvalidAnswer:
        pass
    if re.fullmatch(r"\s*\d+(\s+\d+)+\s*", part):
        try:
            return [match_option(number, step.options, labels) for number in part.split()]
        except InvalidAnswer:
            return None
    return None


def _segment(
    pieces: list[str], step: StepSpec, labels: Mapping[str, Iterable[str]]
) -> list[str] | None:
    """Cut the text into options, longest labels first; None if there is no such cut.

    ``pieces`` alternate text and separators; a cut joins neighbouring texts through the
    separators between them when together they are one label.
    """
    texts = pieces[::2]
    count = len(texts)
    # best[i]: the options that texts[i:] name, or None if they cannot be read as options
    best: list[list[str] | None] = [None] * count + [[]]
    for start in range(count - 1, -1, -1):
        if not texts[start].strip():  # an empty piece between two separators: ",,"
            best[start] = best[start + 1]
            continue
        for span in range(min(_LONGEST_LABEL, count - start), 0, -1):
            rest = best[start + span]
            if rest is None:
                continue
            joined = "".join(pieces[2 * start : 2 * (start + span) - 1])
            picked = _pick_part(joined, step, labels, short_names=span == 1)
            if picked is not None:
                best[start] = picked + rest
                break
    return best[0]


def validate_multi(
    option_ids: Sequence[str], step: StepSpec, *, key: str | None = None
) -> list[str]:
    """Options picked by id (buttons): known ids, no repeats, within the bounds."""
    chosen: list[str] = []
    for option in option_ids:
        if option not in step.options:
            raise InvalidAnswer("unknown_option", count=len(step.options))
        if option not in chosen:
            chosen.append(option)
    return _check_count(chosen, step, key)


def _check_count(chosen: list[str], step: StepSpec, key: str | None = None) -> list[str]:
    if len(chosen) < step.min_choices:
        raise InvalidAnswer("too_few_choices", min=step.min_choices)
    if len(chosen) > step.choice_limit:
        raise InvalidAnswer("too_many_choices", max=step.choice_limit)
    if len(chosen) > 1:
        for option in step.exclusive:
            if option in chosen:  # "None of these yet" with a milestone
                raise InvalidAnswer("exclusive_choice", option=option, question_key=key)
    return chosen


_YES = {"yes", "y", "yeah", "yep", "yup", "yes please", "sure", "ok", "okay", "true",
        "of course", "absolutely", "definitely", "certainly", "correct", "right", "indeed",
        "that's right", "no problem", "no worries", "we have", "we do", "we did", "i have",
        "i do", "i did", "yes we have", "yes we do", "yes we did", "yes i have", "yes i do",
        "是", "是的", "对", "对的", "对啊", "有", "有的", "好", "好的", "嗯", "嗯嗯", "当然",
        "当然了", "已经", "已", "能", "可以", "行", "没问题", "没错", "要", "需要", "会",
        "签了", "做了", "写了", "定了", "谈好了", "已经有了", "有了", "当然有",
        "肯定"}  # fmt: skip
YES_WORDS = frozenset(_YES)
"""Every way of saying yes that :func:`parse_yesno` knows (a review's "save it" takes them)."""
_NO = {"no", "n", "nope", "nah", "not yet", "false", "never", "not really", "no thanks",
       "no we haven't", "no we don't", "no we didn't", "we haven't", "we don't", "not at all",
       "否", "不", "不是", "没有", "没", "无", "还没", "还没有", "未", "不能", "不可以", "不行",
       "不要", "不用", "不需要", "不会", "没呢", "还没呢", "暂时没有", "暂无", "目前没有",
       "还没有呢", "没签", "没做", "没写", "没定"}  # fmt: skip
# Chinese answers a yes/no question by echoing its verb: 不能, 没签, 还没做 are all a no.
_ZH_NO = re.compile(r"^(?:还|暂时|目前|现在)?(?:不|没|未)[\u4e00-\u9fff]{1,2}$")
# ... but these are a yes, or no answer at all
_ZH_NOT_NO = {"没问题", "没错", "不错", "不客气", "不确定", "不知道", "不清楚", "不一定", "不好说"}
_PARTICLES = re.compile(r"(?<=[\u4e00-\u9fff])[啊呀呢吧哦嘛啦哈的]+$")
_FIRST_CLAUSE = re.compile(r"^([^,，;；:：.。!！]+)[,，;；:：.。!！]")
_POLITE = re.compile(r"\s+(?:please|thanks|thank you|thx)$")
YESNO_OPTIONS = ("yes", "no")


def _yes_or_no(key: str) -> bool | None:
    key = _POLITE.sub("", key)
    if key in _YES:
        return True
    if key in _NO:
        return False
    bare = _PARTICLES.sub("", key)  # 是啊, 可以的, 不行啊
    if bare in _YES:
        return True
    if bare in _NO:
        return False
    if bare not in _ZH_NOT_NO and _ZH_NO.match(bare):
        return False
    return None


def parse_yesno(raw: str, labels: Mapping[str, Iterable[str]]) -> bool:
    """Yes or no, in either language, or by number (1 yes, 2 no).

    Also as a founder says it: ``yes please``, ``nope``, ``不能``, ``没问题``, ``可以``,
    or first in a longer answer: ``yes, we did``, ``没有，还在谈``.
    """
    key = _key(raw)
    meaning = _yes_or_no(key)
    if meaning is None and (clause := _FIRST_CLAUSE.match(key)):
        meaning = _yes_or_no(_key(clause[1]))
    if meaning is not None:
        return meaning
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

_RELATIVE = {"today": 0, "今天": 0, "tomorrow": 1, "明天": 1, "明日": 1, "后天": 2,
             "day after tomorrow": 2, "the day after tomorrow": 2, "大后天": 3,
             "next week": 7, "下周": 7, "下星期": 7, "下礼拜": 7, "一周后": 7,
             "a week from now": 7, "in a week": 7, "in a fortnight": 14}  # fmt: skip
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
                "twelve": 12}  # fmt: skip
_AMOUNT = r"(\d{1,3}|" + "|".join(_COUNT_WORDS) + r"|[一二两三四五六七八九十]{1,3})"
_IN_DAYS = re.compile(rf"^(?:in\s+)?{_AMOUNT}\s*(?:days?|天后|天之后|天)(?:\s+from\s+now)?$")
_IN_WEEKS = re.compile(
    rf"^(?:in\s+)?{_AMOUNT}\s*(?:weeks?|周后|周之后|周|个星期后|星期后|个礼拜后)(?:\s+from\s+now)?$"
)
_IN_MONTHS = re.compile(rf"^(?:in\s+)?{_AMOUNT}\s*(?:months?|个月后|个月之后)(?:\s+from\s+now)?$")
_WEEKDAYS_EN = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2,
                "wed": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4,
                "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}  # fmt: skip
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0,
                "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}  # fmt: skip
_WEEKDAY_EN = re.compile(
    r"^(?:on\s+)?(?:(this|coming|the\s+coming|next)\s+)?(" + "|".join(_WEEKDAYS_EN) + r")$"
)
_WEEKDAY_ZH = re.compile(r"^(下下个?|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])$")
_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
           "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
           "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
           "nov": 11, "december": 12, "dec": 12}  # fmt: skip
_MONTH_NAME = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(rf"^{_ORDINAL}\s*(?:of\s+)?{_MONTH_NAME},?(?:\s+(\d{{4}}))?$")
_MONTH_DAY = re.compile(rf"^{_MONTH_NAME}\s*{_ORDINAL},?(?:\s+(\d{{4}}))?$")
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_ZH_SHORT = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
# digits only, no month word: 12/20 and 20/12 are clear, 12/01 is not (1 Dec or 12 Jan?)
_NUMERIC = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{4}))?$")
MAX_DAYS_AHEAD = 366


def parse_date(raw: str, today: date | None) -> str:
    """A future date as ISO text, from what a founder would type.

    ``2026-12-20``, ``20 Dec``, ``Dec 20``, ``12月20日``, ``12/20``; ``tomorrow``, ``明天``,
    ``in 2 weeks``, ``两周后``; ``friday``, ``next friday``, ``周五``, ``下周三``. Numbers
    alone that could be either day or month first (``12/01``) are refused with
    ``date_ambiguous``. ``today`` is the founder's local date, passed in (the engine never
    reads a clock).
    """
    key = _key(raw)
    if not key:
        raise InvalidAnswer("empty")
    if today is None:
        raise InvalidAnswer("not_a_date")
    day = _read_date(key, today)
    if day is None:
        raise InvalidAnswer("not_a_date", example=example_date(today))
    if day <= today:
        raise InvalidAnswer("date_not_future", example=example_date(today))
    if (day - today).days > MAX_DAYS_AHEAD:
        raise InvalidAnswer("date_too_far", example=example_date(today))
    return day.isoformat()


def example_date(today: date) -> str:
    """The date hints and errors show as an example: a week from the founder's today."""
    return (today + timedelta(days=7)).isoformat()


def _amount(word: str) -> int | None:
    if word.isdecimal():
        return int(word)
    if word in _COUNT_WORDS:
        return _COUNT_WORDS[word]
    chinese = chinese_number(word)
    return int(chinese[0]) if chinese is not None else None


def _read_date(key: str, today: date) -> date | None:
    key = re.sub(r"^(?:on|by)\s+", "", key)
    if key in _RELATIVE:
        return today + timedelta(days=_RELATIVE[key])
    if match := _IN_DAYS.match(key):
        count = _amount(match[1])
        return None if count is None else today + timedelta(days=count)
    if match := _IN_WEEKS.match(key):
        count = _amount(match[1])
        return None if count is None or count > 60 else today + timedelta(weeks=count)
    if match := _IN_MONTHS.match(key):
        count = _amount(match[1])
        return None if count is None or count > 24 else _add_months(today, count)
    if match := _WEEKDAY_EN.match(key):
        which = (match[1] or "").replace("the ", "")
        return _weekday(today, _WEEKDAYS_EN[match[2]], "next" if which == "next" else "")
    if match := _WEEKDAY_ZH.match(key):
        which = {"下下": "after_next", "下": "next", "这": "this", "本": "this"}
        return _weekday(
            today, _WEEKDAYS_ZH[match[2]], which.get((match[1] or "")[:2].rstrip("个"), "")
        )
    if match := _FULL.match(key):
        return _make_date(int(match[1]), int(match[2]), int(match[3]))
    if match := _ZH_SHORT.match(key):
        return _next_such_day(today, int(match[1]), int(match[2]))
    if match := _DAY_MONTH.match(key):
        return _named(today, _MONTHS[match[2]], int(match[1]), match[3])
    if match := _MONTH_DAY.match(key):
        return _named(today, _MONTHS[match[1]], int(match[2]), match[3])
    if match := _NUMERIC.match(key):
        return _numeric(today, int(match[1]), int(match[2]), match[3])
    return None


def _weekday(today: date, weekday: int, which: str) -> date:
    """The day of the week: the next one (bare), or in this/next/the week after next."""
    monday = today - timedelta(days=today.weekday())
    if which == "this":
        return monday + timedelta(days=weekday)  # may be today or past: refused then
    if which == "next":
        return monday + timedelta(days=7 + weekday)
    if which == "after_next":
        return monday + timedelta(days=14 + weekday)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _named(today: date, month: int, day: int, year: str | None) -> date | None:
    if year is not None:
        return _make_date(int(year), month, day)
    return _next_such_day(today, month, day)


def _numeric(today: date, first: int, second: int, year: str | None) -> date | None:
    """``12/20`` or ``20/12`` (or with a year after): refused when both readings are dates."""
    readings = {(first, second), (second, first)}  # (month, day)
    dates = {
        reading: (_make_date(int(year), *reading) if year else _next_such_day(today, *reading))
        for reading in readings
    }
    valid = {reading: day for reading, day in dates.items() if day is not None}
    if len(valid) > 1:
        month_first, day_first = valid[(first, second)], valid[(second, first)]
        raise InvalidAnswer(
            "date_ambiguous",
            month_first=month_first.isoformat(),
            day_first=day_first.isoformat(),
        )
    return next(iter(valid.values()), None)


def _next_such_day(today: date, month: int, day: int) -> date | None:
    """The next ``month``/``day`` after today (this year or next)."""
    found = _make_date(today.year, month, day)
    if found is None or found <= today:  # None: 2/29 of next year, typed in a common year
        found = _make_date(today.year + 1, month, day)
    return found


def _add_months(today: date, months: int) -> date:
    month_index = today.month - 1 + months
    year, month = today.year + month_index // 12, month_index % 12 + 1
    for day in range(today.day, 27, -1):
        found = _make_date(year, month, day)
        if found is not None:
            return found
    return date(year, month, min(today.day, 28))


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# ---------------------------------------------------------------- times of day

_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m|p\.m)?$")
_ZH_CLOCK = re.compile(
    r"^(早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|凌晨)?\s*"
    r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})\s*[点點时:：]\s*"
    r"(半|一刻|三刻|\d{1,2}|[零一二三四五六七八九十]{1,3})?\s*分?$"
)
_AFTERNOON = {"下午", "傍晚", "晚上", "夜里"}
_NAMED_TIMES = {"noon": (12, 0), "midday": (12, 0), "中午": (12, 0), "midnight": (0, 0)}


def parse_time_of_day(raw: str) -> tuple[int, int]:
    """A time of day as (hour, minute): ``9am``, ``3:30 pm``, ``09:00``, ``21:30``, ``9点``,
    ``下午3点``, ``晚上8点半``. A bare number is not a time (it picks an option by number)."""
    key = _key(raw).replace(" ", "").replace("：", ":")
    if key in _NAMED_TIMES:
        return _NAMED_TIMES[key]
    if (match := _CLOCK.match(key)) and (match[2] or match[3]):
        hour, minute = int(match[1]), int(match[2] or 0)
        if match[3]:
            if not 1 <= hour <= 12:
                raise InvalidAnswer("not_a_time")
            hour = hour % 12 + (12 if match[3].startswith("p") else 0)
        return _checked_time(hour, minute)
    if match := _ZH_CLOCK.match(key):
        hour = _amount(match[2])
        minutes = {"半": 30, "一刻": 15, "三刻": 45}.get(match[3] or "") or _amount(
            match[3] or "0"
        )
        if hour is None or minutes is None:
            raise InvalidAnswer("not_a_time")
        if match[1] in _AFTERNOON and hour < 12:
            hour += 12
        elif match[1] == "中午" and hour < 6:
            hour += 12  # 中午1点 is 13:00
        return _checked_time(hour, minutes)
    raise InvalidAnswer("not_a_time")


def _checked_time(hour: int, minute: int) -> tuple[int, int]:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidAnswer("not_a_time")
    return hour, minute


def time_answer(raw: str, options: Sequence[str]) -> str:
    """A typed time at a question of hour options: ``h09`` if there is that option, else
    ``HH:MM`` (see :func:`option_time`)."""
    hour, minute = parse_time_of_day(raw)
    option = f"h{hour:02d}"
    if minute == 0 and option in options:
        return option
    return f"{hour:02d}:{minute:02d}"


def option_time(value: Any) -> tuple[int, int] | None:
    """The time an hour answer stands for: ``h09`` (an option) or ``21:30`` (typed)."""
    if isinstance(value, str):
        if match := re.fullmatch(r"h(\d{2})", value):
            return int(match[1]) % 24, 0
        if match := re.fullmatch(r"(\d{2}):(\d{2})", value):
            hour, minute = int(match[1]), int(match[2])
            return (hour, minute) if hour < 24 and minute < 60 else None
    return None
