"""Japanese era (和暦) formatting, 旬 (ten-day periods) and fiscal years (年度).

Pure and deterministic: no I/O, no clock reads, stdlib only (safe inside the
Temporal workflow sandbox).

Numerals are never zero-padded and year 1 of an era is always written 元年.
With ``kanji=True`` the era year, month and day (and clock hours/minutes) are
written in kanji numerals; a Western (西暦) year always stays in Arabic digits,
e.g. ``2019年(令和元年)十二月二十五日``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum


class Era(StrEnum):
    """Modern Japanese eras (元号), oldest first."""

    meiji = "meiji"
    taisho = "taisho"
    showa = "showa"
    heisei = "heisei"
    reiwa = "reiwa"

    @property
    def ja(self) -> str:
        """Japanese name, e.g. 令和."""
        return ERA_NAMES[self]

    @property
    def start(self) -> date:
        """First day of the era (practical conversion dates)."""
        return ERA_STARTS[self]


ERA_NAMES: dict[Era, str] = {
    Era.meiji: "明治",
    Era.taisho: "大正",
    Era.showa: "昭和",
    Era.heisei: "平成",
    Era.reiwa: "令和",
}

ERA_STARTS: dict[Era, date] = {
    Era.meiji: date(1868, 1, 25),
    Era.taisho: date(1912, 7, 30),
    Era.showa: date(1926, 12, 25),
    Era.heisei: date(1989, 1, 8),
    Era.reiwa: date(2019, 5, 1),
}


class DateStyle(StrEnum):
    """wareki 令和元年5月1日 / seireki_wareki 2017年(平成29年)8月10日 / seireki 2017年8月10日."""

    wareki = "wareki"
    seireki_wareki = "seireki_wareki"
    seireki = "seireki"


class Jun(StrEnum):
    """旬: ten-day period of a month (上旬 1–10, 中旬 11–20, 下旬 21–end)."""

    early = "early"
    middle = "middle"
    late = "late"

    @property
    def label(self) -> str:
        """Japanese label: 上旬 / 中旬 / 下旬."""
        return JUN_LABELS[self]


JUN_LABELS: dict[Jun, str] = {Jun.early: "上旬", Jun.middle: "中旬", Jun.late: "下旬"}


class FiscalEraRule(StrEnum):
    """Which era names a fiscal year that spans an era change.

    year_end: era in effect on 31 December of the FY's start year (FY2019 → 令和元年度).
    year_start: era in effect on 1 April of the FY (FY2019 → 平成31年度).
    """

    year_end = "year_end"
    year_start = "year_start"


WEEKDAYS_JA: tuple[str, ...] = ("月", "火", "水", "木", "金", "土", "日")
_DIGITS = "〇一二三四五六七八九"


def kanji_number(n: int) -> str:
    """Write 0 <= n <= 9999 in kanji numerals: 10 → 十, 25 → 二十五, 2019 → 二千十九."""
    if not 0 <= n <= 9999:
        raise ValueError(f"kanji_number supports 0..9999, got {n}")
    if n == 0:
        return "零"
    out = ""
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, unit_value)
        if q:
            out += ("" if q == 1 else _DIGITS[q]) + unit
    return out + (_DIGITS[n] if n else "")


def _num(n: int, kanji: bool) -> str:
    return kanji_number(n) if kanji else str(n)


def era_of(d: date) -> tuple[Era, int]:
    """Era and era-year of ``d``; raises ValueError before 明治 (1868-01-25)."""
    day = date(d.year, d.month, d.day)  # accept datetime too
    for era in reversed(Era):
        start = ERA_STARTS[era]
        if day >= start:
            return era, day.year - start.year + 1
    raise ValueError(f"{day.isoformat()} is before the Meiji era (starts {ERA_STARTS[Era.meiji]})")


def format_era_year(era: Era, year: int, *, kanji: bool = False) -> str:
    """「令和元年」「平成31年」: year 1 is always 元年."""
    if year < 1:
        raise ValueError(f"era year must be >= 1, got {year}")
    return f"{era.ja}{'元' if year == 1 else _num(year, kanji)}年"


def _year_part(ref: date, style: DateStyle, kanji: bool, suffix: str = "") -> str:
    """Year prefix in the given style; ``suffix`` is e.g. 度 for 年度 labels."""
    if style is DateStyle.seireki:
        return f"{ref.year}年{suffix}"
    wareki = format_era_year(*era_of(ref), kanji=kanji) + suffix
    if style is DateStyle.wareki:
        return wareki
    return f"{ref.year}年{suffix}({wareki})"


def format_date(d: date, style: DateStyle = DateStyle.wareki, *, kanji: bool = False) -> str:
    """Format a date: 令和元年5月1日 / 2017年(平成29年)8月10日 / 2017年8月10日.

    ``kanji=True`` writes the era year, month and day in kanji (令和元年十二月二十五日);
    in the seireki styles the Western year stays in Arabic digits
    (2019年(令和元年)十二月二十五日, 2019年十二月二十五日).
    Raises ValueError for wareki styles before 明治.
    """
    return f"{_year_part(d, style, kanji)}{_num(d.month, kanji)}月{_num(d.day, kanji)}日"


def format_weekday(d: date, *, long: bool = False) -> str:
    """「(木)」, or 「(木曜日)」 with ``long=True``."""
    return f"({WEEKDAYS_JA[d.weekday()]}{'曜日' if long else ''})"


def format_time(t: datetime, *, kanji: bool = False) -> str:
    """Minutes-style clock time: 午前10時3分, 午後零時10分 (noon), 午前零時 (midnight), 午後1時.

    Zero minutes are omitted (午前10時); seconds are ignored.
    """
    half = "午前" if t.hour < 12 else "午後"
    hour = t.hour % 12
    minutes = f"{_num(t.minute, kanji)}分" if t.minute else ""
    return f"{half}{'零' if hour == 0 else _num(hour, kanji)}時{minutes}"


def format_datetime_range(start: datetime, end: datetime, *, kanji: bool = False) -> str:
    """「午前10時3分から午後零時10分まで」 (times only, as in 会議録).

    If ``end`` falls on a later day its date is prefixed in wareki style
    (午後11時から令和元年5月2日午前1時まで). Raises ValueError if end < start.
    """
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    end_text = format_time(end, kanji=kanji)
    if end.date() != start.date():
        end_text = format_date(end.date(), kanji=kanji) + end_text
    return f"{format_time(start, kanji=kanji)}から{end_text}まで"


def _month_end(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)


def jun_of(d: date) -> Jun:
    """旬 of a date: 1–10 上旬, 11–20 中旬, 21–end 下旬."""
    return Jun.early if d.day <= 10 else Jun.middle if d.day <= 20 else Jun.late


def jun_range(year: int, month: int, jun: Jun) -> tuple[date, date]:
    """First and last day of a 旬 (下旬 ends on the month's last day, leap years included)."""
    if jun is Jun.early:
        return date(year, month, 1), date(year, month, 10)
    if jun is Jun.middle:
        return date(year, month, 11), date(year, month, 20)
    return date(year, month, 21), _month_end(year, month)


def format_jun(
    year: int, month: int, jun: Jun, style: DateStyle = DateStyle.wareki, *, kanji: bool = False
) -> str:
    """「令和元年12月上旬」. The era is the one in effect on the 旬's first day
    (so 1989年1月上旬 is 昭和64年1月上旬)."""
    first, _ = jun_range(year, month, jun)
    return f"{_year_part(first, style, kanji)}{_num(month, kanji)}月{jun.label}"


def fiscal_year(d: date) -> int:
    """年度 (April–March) containing ``d``: 2018-02-07 → 2017, 2018-04-01 → 2018."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_range(fy: int) -> tuple[date, date]:
    """First and last day of 年度 ``fy``: (fy-04-01, (fy+1)-03-31)."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fiscal_era(fy: int, rule: FiscalEraRule = FiscalEraRule.year_end) -> tuple[Era, int]:
    """Era and era-year naming 年度 ``fy`` under ``rule``."""
    return era_of(_fiscal_ref(fy, rule))


def _fiscal_ref(fy: int, rule: FiscalEraRule) -> date:
    return date(fy, 12, 31) if rule is FiscalEraRule.year_end else date(fy, 4, 1)


def format_fiscal_year(
    fy: int,
    style: DateStyle = DateStyle.wareki,
    *,
    rule: FiscalEraRule = FiscalEraRule.year_end,
    kanji: bool = False,
) -> str:
    """「平成29年度」 / 「2017年度(平成29年度)」 / 「2017年度」; see FiscalEraRule for FY2019."""
    return _year_part(_fiscal_ref(fy, rule), style, kanji, suffix="度")
