"""Tests for models.calendar.jcalendar (和暦, 旬, 年度, business days)."""

from __future__ import annotations

import ast
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

import models.calendar.business_days as business_days
import models.calendar.jcalendar as jcalendar
import models.calendar.wareki as wareki
from models.calendar.jcalendar import (
    ERA_NAMES,
    ERA_STARTS,
    ClosureTable,
    DateStyle,
    Era,
    FiscalEraRule,
    Jun,
    build_closure_table,
    era_of,
    fiscal_era,
    fiscal_year,
    fiscal_year_range,
    format_date,
    format_datetime_range,
    format_era_year,
    format_fiscal_year,
    format_jun,
    format_time,
    format_weekday,
    is_year_end_closure,
    jun_of,
    jun_range,
    kanji_number,
)

W, SW, S = DateStyle.wareki, DateStyle.seireki_wareki, DateStyle.seireki

# ---------------------------------------------------------------- purity


@pytest.mark.parametrize("module", [wareki, business_days, jcalendar])
def test_module_level_imports_are_sandbox_safe(module: object) -> None:
    source = Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8")
    tree = ast.parse(source)
    top: set[str] = set()
    for node in tree.body:  # module level only; lazy imports inside functions are fine
        if isinstance(node, ast.Import):
            top.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.add(node.module.split(".")[0])
    assert top <= {"__future__", "datetime", "enum", "pydantic", "models"}
    assert "jpholiday" not in top


def test_jpholiday_is_imported_lazily_inside_builder() -> None:
    source = Path(str(business_days.__file__)).read_text(encoding="utf-8")
    fn = next(
        n
        for n in ast.parse(source).body
        if isinstance(n, ast.FunctionDef) and n.name == "build_closure_table"
    )
    imports = [n for n in ast.walk(fn) if isinstance(n, ast.Import)]
    assert [a.name for n in imports for a in n.names] == ["jpholiday"]


def test_facade_exports_everything_it_lists() -> None:
    for name in jcalendar.__all__:
        assert hasattr(jcalendar, name), name


# ---------------------------------------------------------------- eras


@pytest.mark.parametrize(
    ("era", "ja", "start"),
    [
        (Era.meiji, "明治", date(1868, 1, 25)),
        (Era.taisho, "大正", date(1912, 7, 30)),
        (Era.showa, "昭和", date(1926, 12, 25)),
        (Era.heisei, "平成", date(1989, 1, 8)),
        (Era.reiwa, "令和", date(2019, 5, 1)),
    ],
)
def test_era_names_and_starts(era: Era, ja: str, start: date) -> None:
    assert era.ja == ja == ERA_NAMES[era]
    assert era.start == start == ERA_STARTS[era]
    assert era_of(start) == (era, 1)


def test_era_enum_values_and_order() -> None:
    assert [e.value for e in Era] == ["meiji", "taisho", "showa", "heisei", "reiwa"]
    assert Era("reiwa") is Era.reiwa


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(1868, 1, 25), (Era.meiji, 1)),
        (date(1868, 12, 31), (Era.meiji, 1)),
        (date(1869, 1, 1), (Era.meiji, 2)),
        (date(1912, 7, 29), (Era.meiji, 45)),
        (date(1912, 7, 30), (Era.taisho, 1)),
        (date(1926, 12, 24), (Era.taisho, 15)),
        (date(1926, 12, 25), (Era.showa, 1)),
        (date(1927, 1, 1), (Era.showa, 2)),
        (date(1989, 1, 7), (Era.showa, 64)),
        (date(1989, 1, 8), (Era.heisei, 1)),
        (date(1990, 1, 1), (Era.heisei, 2)),
        (date(2019, 4, 30), (Era.heisei, 31)),
        (date(2019, 5, 1), (Era.reiwa, 1)),
        (date(2020, 1, 1), (Era.reiwa, 2)),
        (date(2025, 6, 23), (Era.reiwa, 7)),
        (datetime(2019, 5, 1, 0, 0), (Era.reiwa, 1)),
    ],
)
def test_era_of(d: date, expected: tuple[Era, int]) -> None:
    assert era_of(d) == expected


@pytest.mark.parametrize("d", [date(1868, 1, 24), date(1800, 1, 1), date(1, 1, 1)])
def test_era_of_before_meiji_raises(d: date) -> None:
    with pytest.raises(ValueError, match=d.isoformat()):
        era_of(d)


# ---------------------------------------------------------------- kanji numerals


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "零"),
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (12, "十二"),
        (20, "二十"),
        (25, "二十五"),
        (29, "二十九"),
        (31, "三十一"),
        (64, "六十四"),
        (100, "百"),
        (101, "百一"),
        (110, "百十"),
        (999, "九百九十九"),
        (1000, "千"),
        (2019, "二千十九"),
        (9999, "九千九百九十九"),
    ],
)
def test_kanji_number(n: int, expected: str) -> None:
    assert kanji_number(n) == expected


@pytest.mark.parametrize("n", [-1, 10000])
def test_kanji_number_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match=str(n)):
        kanji_number(n)


# ---------------------------------------------------------------- format_date


@pytest.mark.parametrize(
    ("d", "style", "kanji", "expected"),
    [
        # required boundaries
        (date(2019, 4, 30), W, False, "平成31年4月30日"),
        (date(2019, 5, 1), W, False, "令和元年5月1日"),
        (date(1989, 1, 7), W, False, "昭和64年1月7日"),
        (date(1989, 1, 8), W, False, "平成元年1月8日"),
        (date(2017, 8, 10), SW, False, "2017年(平成29年)8月10日"),
        (date(2017, 8, 10), S, False, "2017年8月10日"),
        (date(2017, 8, 10), W, False, "平成29年8月10日"),
        # other era boundaries, both sides
        (date(1868, 1, 25), W, False, "明治元年1月25日"),
        (date(1912, 7, 29), W, False, "明治45年7月29日"),
        (date(1912, 7, 30), W, False, "大正元年7月30日"),
        (date(1926, 12, 24), W, False, "大正15年12月24日"),
        (date(1926, 12, 25), W, False, "昭和元年12月25日"),
        # year 2 is not 元年, no zero padding
        (date(2020, 1, 1), W, False, "令和2年1月1日"),
        (date(2018, 2, 7), W, False, "平成30年2月7日"),
        (date(2010, 10, 7), W, False, "平成22年10月7日"),
        (date(2019, 5, 1), SW, False, "2019年(令和元年)5月1日"),
        (date(2019, 5, 1), S, False, "2019年5月1日"),
        # kanji numerals
        (date(2019, 12, 25), W, True, "令和元年十二月二十五日"),
        (date(2020, 1, 1), W, True, "令和二年一月一日"),
        (date(2019, 4, 30), W, True, "平成三十一年四月三十日"),
        (date(1989, 1, 7), W, True, "昭和六十四年一月七日"),
        (date(2019, 12, 25), SW, True, "2019年(令和元年)十二月二十五日"),
        (date(2017, 8, 10), SW, True, "2017年(平成二十九年)八月十日"),
        (date(2017, 8, 10), S, True, "2017年八月十日"),
    ],
)
def test_format_date(d: date, style: DateStyle, kanji: bool, expected: str) -> None:
    assert format_date(d, style, kanji=kanji) == expected


def test_format_date_default_style_is_wareki() -> None:
    assert format_date(date(2019, 5, 1)) == "令和元年5月1日"


def test_date_style_values() -> None:
    assert [s.value for s in DateStyle] == ["wareki", "seireki_wareki", "seireki"]


@pytest.mark.parametrize("style", [W, SW])
def test_format_date_before_meiji_raises_in_wareki_styles(style: DateStyle) -> None:
    with pytest.raises(ValueError, match="1868-01-24"):
        format_date(date(1868, 1, 24), style)


def test_format_date_seireki_before_meiji_is_allowed() -> None:
    assert format_date(date(1868, 1, 24), S) == "1868年1月24日"


def test_format_date_never_writes_gannen_as_1_or_01() -> None:
    for d in [ERA_STARTS[e] for e in Era]:
        for style in (W, SW):
            for kanji in (False, True):
                text = format_date(d, style, kanji=kanji)
                assert "元年" in text
                assert "1年" not in text.replace(f"{d.year}年", "")
                assert "一年" not in text


@pytest.mark.parametrize(
    ("era", "year", "kanji", "expected"),
    [
        (Era.reiwa, 1, False, "令和元年"),
        (Era.reiwa, 1, True, "令和元年"),
        (Era.reiwa, 2, False, "令和2年"),
        (Era.reiwa, 2, True, "令和二年"),
        (Era.heisei, 31, True, "平成三十一年"),
        (Era.showa, 10, True, "昭和十年"),
    ],
)
def test_format_era_year(era: Era, year: int, kanji: bool, expected: str) -> None:
    assert format_era_year(era, year, kanji=kanji) == expected


@pytest.mark.parametrize("year", [0, -1])
def test_format_era_year_rejects_non_positive(year: int) -> None:
    with pytest.raises(ValueError, match="era year"):
        format_era_year(Era.reiwa, year)


# ---------------------------------------------------------------- weekday / time


@pytest.mark.parametrize(
    ("d", "short", "long"),
    [
        (date(2010, 10, 7), "(木)", "(木曜日)"),
        (date(2018, 2, 7), "(水)", "(水曜日)"),
        (date(2019, 11, 28), "(木)", "(木曜日)"),
        (date(2024, 9, 16), "(月)", "(月曜日)"),
        (date(2024, 9, 17), "(火)", "(火曜日)"),
        (date(2024, 9, 13), "(金)", "(金曜日)"),
        (date(2024, 9, 14), "(土)", "(土曜日)"),
        (date(2024, 9, 15), "(日)", "(日曜日)"),
    ],
)
def test_format_weekday(d: date, short: str, long: str) -> None:
    assert format_weekday(d) == short
    assert format_weekday(d, long=True) == long


@pytest.mark.parametrize(
    ("h", "m", "kanji", "expected"),
    [
        (0, 0, False, "午前零時"),
        (0, 5, False, "午前零時5分"),
        (1, 0, False, "午前1時"),
        (10, 3, False, "午前10時3分"),
        (11, 59, False, "午前11時59分"),
        (12, 0, False, "午後零時"),
        (12, 10, False, "午後零時10分"),
        (13, 0, False, "午後1時"),
        (18, 0, False, "午後6時"),
        (18, 55, False, "午後6時55分"),
        (23, 59, False, "午後11時59分"),
        (10, 3, True, "午前十時三分"),
        (12, 10, True, "午後零時十分"),
        (0, 0, True, "午前零時"),
    ],
)
def test_format_time(h: int, m: int, kanji: bool, expected: str) -> None:
    assert format_time(datetime(2018, 2, 7, h, m, 42), kanji=kanji) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            datetime(2018, 2, 7, 10, 3),
            datetime(2018, 2, 7, 12, 10),
            "午前10時3分から午後零時10分まで",
        ),
        (datetime(2019, 11, 28, 10, 0), datetime(2019, 11, 28, 12, 0), "午前10時から午後零時まで"),
        (datetime(2010, 10, 7, 18, 0), datetime(2010, 10, 7, 18, 55), "午後6時から午後6時55分まで"),
        (datetime(2019, 5, 1, 0, 0), datetime(2019, 5, 1, 0, 0), "午前零時から午前零時まで"),
        (
            datetime(2019, 5, 1, 23, 0),
            datetime(2019, 5, 2, 1, 0),
            "午後11時から令和元年5月2日午前1時まで",
        ),
    ],
)
def test_format_datetime_range(start: datetime, end: datetime, expected: str) -> None:
    assert format_datetime_range(start, end) == expected


def test_format_datetime_range_kanji() -> None:
    text = format_datetime_range(
        datetime(2018, 2, 7, 10, 3), datetime(2018, 2, 7, 12, 10), kanji=True
    )
    assert text == "午前十時三分から午後零時十分まで"


def test_format_datetime_range_rejects_end_before_start() -> None:
    with pytest.raises(ValueError, match="before start"):
        format_datetime_range(datetime(2018, 2, 7, 12, 10), datetime(2018, 2, 7, 10, 3))


# ---------------------------------------------------------------- 旬


def test_jun_labels_and_values() -> None:
    assert [(j.value, j.label) for j in Jun] == [
        ("early", "上旬"),
        ("middle", "中旬"),
        ("late", "下旬"),
    ]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (1, Jun.early),
        (10, Jun.early),
        (11, Jun.middle),
        (20, Jun.middle),
        (21, Jun.late),
        (31, Jun.late),
    ],
)
def test_jun_of(day: int, expected: Jun) -> None:
    assert jun_of(date(2019, 12, day)) is expected


@pytest.mark.parametrize(
    ("year", "month", "jun", "expected"),
    [
        (2019, 12, Jun.early, (date(2019, 12, 1), date(2019, 12, 10))),
        (2019, 12, Jun.middle, (date(2019, 12, 11), date(2019, 12, 20))),
        (2019, 12, Jun.late, (date(2019, 12, 21), date(2019, 12, 31))),
        (2019, 4, Jun.late, (date(2019, 4, 21), date(2019, 4, 30))),
        (2019, 2, Jun.late, (date(2019, 2, 21), date(2019, 2, 28))),
        (2020, 2, Jun.late, (date(2020, 2, 21), date(2020, 2, 29))),
        (2000, 2, Jun.late, (date(2000, 2, 21), date(2000, 2, 29))),
        (2100, 2, Jun.late, (date(2100, 2, 21), date(2100, 2, 28))),
    ],
)
def test_jun_range(year: int, month: int, jun: Jun, expected: tuple[date, date]) -> None:
    assert jun_range(year, month, jun) == expected


def test_jun_range_and_jun_of_agree_for_every_day_of_a_leap_year() -> None:
    d = date(2024, 1, 1)
    while d.year == 2024:
        first, last = jun_range(d.year, d.month, jun_of(d))
        assert first <= d <= last
        d += timedelta(days=1)


@pytest.mark.parametrize(
    ("year", "month", "jun", "style", "kanji", "expected"),
    [
        (2019, 12, Jun.early, W, False, "令和元年12月上旬"),
        (2019, 12, Jun.early, W, True, "令和元年十二月上旬"),
        (2019, 12, Jun.middle, SW, False, "2019年(令和元年)12月中旬"),
        (2019, 12, Jun.late, S, False, "2019年12月下旬"),
        (2019, 4, Jun.late, W, False, "平成31年4月下旬"),
        (2019, 5, Jun.early, W, False, "令和元年5月上旬"),
        (2020, 2, Jun.late, W, True, "令和二年二月下旬"),
        # 旬 spanning an era change: era of the first day
        (1989, 1, Jun.early, W, False, "昭和64年1月上旬"),
        (1989, 1, Jun.middle, W, False, "平成元年1月中旬"),
    ],
)
def test_format_jun(
    year: int, month: int, jun: Jun, style: DateStyle, kanji: bool, expected: str
) -> None:
    assert format_jun(year, month, jun, style, kanji=kanji) == expected


def test_format_jun_default_style() -> None:
    assert format_jun(2019, 12, Jun.early) == "令和元年12月上旬"


# ---------------------------------------------------------------- 年度


@pytest.mark.parametrize(
    ("d", "fy"),
    [
        (date(2018, 2, 7), 2017),
        (date(2018, 3, 31), 2017),
        (date(2018, 4, 1), 2018),
        (date(2018, 12, 31), 2018),
        (date(2019, 1, 1), 2018),
        (date(2019, 5, 1), 2019),
    ],
)
def test_fiscal_year(d: date, fy: int) -> None:
    assert fiscal_year(d) == fy


@pytest.mark.parametrize("fy", [1989, 2017, 2019, 2023])
def test_fiscal_year_range(fy: int) -> None:
    first, last = fiscal_year_range(fy)
    assert (first, last) == (date(fy, 4, 1), date(fy + 1, 3, 31))
    assert fiscal_year(first) == fiscal_year(last) == fy
    assert fiscal_year(first - timedelta(days=1)) == fy - 1
    assert fiscal_year(last + timedelta(days=1)) == fy + 1


def test_fiscal_era_rule_values() -> None:
    assert [r.value for r in FiscalEraRule] == ["year_end", "year_start"]


@pytest.mark.parametrize(
    ("fy", "style", "rule", "kanji", "expected"),
    [
        (2017, W, FiscalEraRule.year_end, False, "平成29年度"),
        (2017, SW, FiscalEraRule.year_end, False, "2017年度(平成29年度)"),
        (2017, S, FiscalEraRule.year_end, False, "2017年度"),
        (2017, W, FiscalEraRule.year_end, True, "平成二十九年度"),
        (2017, SW, FiscalEraRule.year_end, True, "2017年度(平成二十九年度)"),
        (2019, W, FiscalEraRule.year_end, False, "令和元年度"),
        (2019, W, FiscalEraRule.year_start, False, "平成31年度"),
        (2019, SW, FiscalEraRule.year_end, False, "2019年度(令和元年度)"),
        (2019, SW, FiscalEraRule.year_start, False, "2019年度(平成31年度)"),
        (2019, W, FiscalEraRule.year_start, True, "平成三十一年度"),
        (2018, W, FiscalEraRule.year_end, False, "平成30年度"),
        (2018, W, FiscalEraRule.year_start, False, "平成30年度"),
        (2020, W, FiscalEraRule.year_end, False, "令和2年度"),
        (2020, W, FiscalEraRule.year_start, False, "令和2年度"),
        (1988, W, FiscalEraRule.year_end, False, "昭和63年度"),
        (1988, W, FiscalEraRule.year_start, False, "昭和63年度"),
        (1989, W, FiscalEraRule.year_end, False, "平成元年度"),
        (1989, W, FiscalEraRule.year_start, False, "平成元年度"),
        (1926, W, FiscalEraRule.year_end, False, "昭和元年度"),
        (1926, W, FiscalEraRule.year_start, False, "大正15年度"),
        (2010, W, FiscalEraRule.year_end, False, "平成22年度"),
    ],
)
def test_format_fiscal_year(
    fy: int, style: DateStyle, rule: FiscalEraRule, kanji: bool, expected: str
) -> None:
    assert format_fiscal_year(fy, style, rule=rule, kanji=kanji) == expected


def test_format_fiscal_year_defaults_and_meeting_date() -> None:
    # N: 「平成29年度第3回」 met on 平成30年2月7日
    meeting = date(2018, 2, 7)
    assert format_fiscal_year(fiscal_year(meeting)) == "平成29年度"
    assert format_date(meeting) == "平成30年2月7日"


@pytest.mark.parametrize(
    ("fy", "rule", "expected"),
    [
        (2019, FiscalEraRule.year_end, (Era.reiwa, 1)),
        (2019, FiscalEraRule.year_start, (Era.heisei, 31)),
        (1988, FiscalEraRule.year_end, (Era.showa, 63)),
    ],
)
def test_fiscal_era(fy: int, rule: FiscalEraRule, expected: tuple[Era, int]) -> None:
    assert fiscal_era(fy, rule) == expected


def test_format_fiscal_year_before_meiji_raises() -> None:
    with pytest.raises(ValueError, match="Meiji"):
        format_fiscal_year(1867)
    assert format_fiscal_year(1867, S) == "1867年度"


# ---------------------------------------------------------------- closures

LOCAL = {date(2025, 6, 23): "慰霊の日"}


@pytest.fixture(scope="module")
def table() -> ClosureTable:
    return build_closure_table(2017, 2026, LOCAL)


def small_table(**kwargs: object) -> ClosureTable:
    """A hand-made table (no jpholiday) for 2024-12..2025-01."""
    data: dict[str, object] = {
        "holidays": {date(2025, 1, 1): "元日", date(2025, 1, 13): "成人の日"},
        "covers_from": date(2024, 12, 1),
        "covers_to": date(2025, 1, 31),
    }
    data.update(kwargs)
    return ClosureTable.model_validate(data)


def test_build_closure_table_covers_whole_years(table: ClosureTable) -> None:
    assert table.covers_from == date(2017, 1, 1)
    assert table.covers_to == date(2026, 12, 31)
    assert table.local_closures == LOCAL
    assert table.year_end_closure is True
    assert min(table.holidays) == date(2017, 1, 1)
    assert max(table.holidays).year == 2026


def test_build_closure_table_copies_local_closures() -> None:
    local = {date(2025, 6, 23): "慰霊の日"}
    t = build_closure_table(2025, 2025, local)
    local[date(2025, 6, 24)] = "x"
    assert date(2025, 6, 24) not in t.local_closures


def test_build_closure_table_without_local_closures() -> None:
    t = build_closure_table(2025, 2025)
    assert t.local_closures == {}
    assert t.is_business_day(date(2025, 6, 23))


def test_build_closure_table_rejects_reversed_years() -> None:
    with pytest.raises(ValueError, match="first_year 2026 is after last_year 2025"):
        build_closure_table(2026, 2025)


@pytest.mark.parametrize(
    ("d", "reason"),
    [
        (date(2017, 8, 10), None),  # F: a Thursday
        (date(2024, 9, 13), None),
        (date(2024, 9, 14), "土曜日"),
        (date(2024, 9, 15), "日曜日"),
        (date(2024, 9, 16), "敬老の日"),
        (date(2024, 9, 17), None),
        (date(2025, 12, 26), None),  # Friday before the closure
        (date(2025, 12, 27), "土曜日"),
        (date(2025, 12, 28), "日曜日"),
        (date(2025, 12, 29), "年末年始"),
        (date(2025, 12, 31), "年末年始"),
        (date(2026, 1, 1), "元日"),  # holiday name wins over 年末年始
        (date(2026, 1, 2), "年末年始"),
        (date(2026, 1, 3), "年末年始"),  # Saturday: 年末年始 wins over 土曜日
        (date(2026, 1, 5), None),
        (date(2025, 6, 23), "慰霊の日"),
        (date(2025, 6, 24), None),
        (date(2024, 6, 23), "日曜日"),  # local closure only listed for 2025
        (date(2019, 5, 5), "こどもの日"),  # Sunday holiday: holiday name wins
    ],
)
def test_closure_reason(table: ClosureTable, d: date, reason: str | None) -> None:
    assert table.closure_reason(d) == reason
    assert table.is_closed(d) is (reason is not None)
    assert table.is_business_day(d) is (reason is None)


def test_golden_week_2019_all_closed(table: ClosureTable) -> None:
    d = date(2019, 4, 27)
    while d <= date(2019, 5, 6):
        assert table.is_closed(d), d
        d += timedelta(days=1)
    assert table.is_business_day(date(2019, 4, 26))
    assert table.is_business_day(date(2019, 5, 7))
    assert "即位の日" in str(table.closure_reason(date(2019, 5, 1)))
    assert "振替休日" in str(table.closure_reason(date(2019, 5, 6)))
    assert table.next_business_day(date(2019, 4, 27)) == date(2019, 5, 7)
    assert table.previous_business_day(date(2019, 5, 6)) == date(2019, 4, 26)
    assert table.business_days_between(date(2019, 4, 26), date(2019, 5, 7)) == 1


def test_year_end_2025_closed(table: ClosureTable) -> None:
    for day in range(29, 32):
        assert table.is_closed(date(2025, 12, day))
    for day in range(1, 4):
        assert table.is_closed(date(2026, 1, day))
    assert table.next_business_day(date(2025, 12, 29)) == date(2026, 1, 5)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        ((12, 28), False),
        ((12, 29), True),
        ((12, 31), True),
        ((1, 1), True),
        ((1, 3), True),
        ((1, 4), False),
        ((6, 29), False),
    ],
)
def test_is_year_end_closure(d: tuple[int, int], expected: bool) -> None:
    assert is_year_end_closure(date(2024 if d[0] == 12 else 2025, *d)) is expected


def test_year_end_closure_can_be_disabled() -> None:
    on, off = small_table(), small_table(year_end_closure=False)
    assert on.closure_reason(date(2024, 12, 30)) == "年末年始"  # Monday
    assert off.closure_reason(date(2024, 12, 30)) is None
    assert off.closure_reason(date(2025, 1, 1)) == "元日"  # holiday still closed
    assert off.next_business_day(date(2024, 12, 28)) == date(2024, 12, 30)
    assert on.next_business_day(date(2024, 12, 28)) == date(2025, 1, 6)


@pytest.mark.parametrize(
    ("d", "next_bd", "prev_bd"),
    [
        (date(2024, 9, 14), date(2024, 9, 17), date(2024, 9, 13)),  # Pマーク example
        (date(2024, 9, 16), date(2024, 9, 17), date(2024, 9, 13)),
        (date(2024, 9, 17), date(2024, 9, 17), date(2024, 9, 17)),  # open: itself
        (date(2017, 8, 10), date(2017, 8, 10), date(2017, 8, 10)),
        (date(2025, 6, 22), date(2025, 6, 24), date(2025, 6, 20)),  # Sun + 慰霊の日
        (date(2026, 1, 1), date(2026, 1, 5), date(2025, 12, 26)),
    ],
)
def test_next_and_previous_business_day(
    table: ClosureTable, d: date, next_bd: date, prev_bd: date
) -> None:
    assert table.next_business_day(d) == next_bd
    assert table.previous_business_day(d) == prev_bd


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        (date(2024, 9, 13), 0, date(2024, 9, 13)),
        (date(2024, 9, 14), 0, date(2024, 9, 17)),  # 0 rolls a closed day forward
        (date(2024, 9, 13), 1, date(2024, 9, 17)),
        (date(2024, 9, 14), 1, date(2024, 9, 17)),  # counting starts the next day
        (date(2024, 9, 13), 2, date(2024, 9, 18)),
        (date(2024, 9, 17), -1, date(2024, 9, 13)),
        (date(2024, 9, 16), -1, date(2024, 9, 13)),
        (date(2024, 9, 18), -2, date(2024, 9, 13)),
        # across year end 2025/26
        (date(2025, 12, 26), 1, date(2026, 1, 5)),
        (date(2025, 12, 25), 3, date(2026, 1, 6)),
        (date(2026, 1, 5), -1, date(2025, 12, 26)),
        (date(2026, 1, 6), -3, date(2025, 12, 25)),
        (date(2025, 12, 30), -1, date(2025, 12, 26)),
        # across 2019 Golden Week
        (date(2019, 4, 26), 1, date(2019, 5, 7)),
        (date(2019, 5, 7), -1, date(2019, 4, 26)),
        # a normal week
        (date(2017, 8, 7), 5, date(2017, 8, 15)),  # 8/11 山の日 skipped
        (date(2017, 8, 10), -5, date(2017, 8, 3)),
    ],
)
def test_add_business_days(table: ClosureTable, d: date, n: int, expected: date) -> None:
    assert table.add_business_days(d, n) == expected
    assert table.is_business_day(expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2024, 9, 13), date(2024, 9, 13), 0),
        (date(2024, 9, 13), date(2024, 9, 17), 1),
        (date(2024, 9, 17), date(2024, 9, 13), -1),
        (date(2024, 9, 13), date(2024, 9, 16), 0),
        (date(2024, 9, 14), date(2024, 9, 18), 2),
        (date(2025, 12, 26), date(2026, 1, 5), 1),
        (date(2026, 1, 5), date(2025, 12, 26), -1),
        (date(2017, 8, 3), date(2017, 8, 10), 5),
    ],
)
def test_business_days_between(table: ClosureTable, a: date, b: date, expected: int) -> None:
    assert table.business_days_between(a, b) == expected


def test_business_days_between_inverts_add_business_days(table: ClosureTable) -> None:
    open_start, closed_start = date(2025, 12, 19), date(2025, 12, 20)
    for n in range(-15, 16):
        target = table.add_business_days(open_start, n)
        assert table.business_days_between(open_start, target) == n
        assert table.business_days_between(target, open_start) == -n
    for n in range(1, 16):  # forward it also holds from a closed day
        target = table.add_business_days(closed_start, n)
        assert table.business_days_between(closed_start, target) == n


@pytest.mark.parametrize(
    ("anchor", "n", "expected"),
    [
        (date(2024, 9, 17), 0, date(2024, 9, 17)),
        (date(2024, 9, 16), 0, date(2024, 9, 13)),  # closed anchor, N=0: roll back
        (date(2024, 9, 17), 1, date(2024, 9, 13)),
        (date(2024, 9, 14), 1, date(2024, 9, 13)),
        (date(2024, 9, 18), 2, date(2024, 9, 13)),
        (date(2026, 1, 6), 2, date(2025, 12, 26)),
        (date(2019, 5, 7), 5, date(2019, 4, 22)),
    ],
)
def test_due_date(table: ClosureTable, anchor: date, n: int, expected: date) -> None:
    assert table.due_date(anchor, n) == expected


def test_due_date_rejects_negative(table: ClosureTable) -> None:
    with pytest.raises(ValueError, match="business_days_before must be >= 0"):
        table.due_date(date(2024, 9, 17), -1)


# ---------------------------------------------------------------- out of range


RANGE_MSG = r"outside the closure table's covered range 2024-12-01\.\.2025-01-31"


@pytest.mark.parametrize("d", [date(2024, 11, 30), date(2025, 2, 1)])
def test_out_of_range_date_raises_for_every_method(d: date) -> None:
    t = small_table()
    msg = d.isoformat() + ".*" + RANGE_MSG
    with pytest.raises(ValueError, match=msg):
        t.is_closed(d)
    with pytest.raises(ValueError, match=msg):
        t.is_business_day(d)
    with pytest.raises(ValueError, match=msg):
        t.closure_reason(d)
    with pytest.raises(ValueError, match=msg):
        t.next_business_day(d)
    with pytest.raises(ValueError, match=msg):
        t.previous_business_day(d)
    with pytest.raises(ValueError, match=msg):
        t.add_business_days(d, 1)
    with pytest.raises(ValueError, match=msg):
        t.add_business_days(d, 0)
    with pytest.raises(ValueError, match=msg):
        t.business_days_between(d, date(2025, 1, 6))
    with pytest.raises(ValueError, match=msg):
        t.business_days_between(date(2025, 1, 6), d)
    with pytest.raises(ValueError, match=msg):
        t.due_date(d, 1)
    with pytest.raises(ValueError, match=msg):
        t.due_date(d, 0)


def test_range_edges_are_inside() -> None:
    t = small_table()
    assert t.is_closed(date(2024, 12, 1))  # Sunday
    assert t.is_business_day(date(2025, 1, 31))  # Friday


def test_add_business_days_walking_off_the_table_raises() -> None:
    t = small_table()
    assert t.add_business_days(date(2025, 1, 30), 1) == date(2025, 1, 31)
    with pytest.raises(ValueError, match="2025-02-01.*" + RANGE_MSG):
        t.add_business_days(date(2025, 1, 30), 2)
    assert t.add_business_days(date(2024, 12, 3), -1) == date(2024, 12, 2)
    with pytest.raises(ValueError, match="2024-11-30.*" + RANGE_MSG):
        t.add_business_days(date(2024, 12, 2), -1)


def test_next_business_day_walking_off_the_end_raises() -> None:
    t = small_table(covers_to=date(2025, 1, 4))  # ends on a Saturday
    with pytest.raises(ValueError, match="2025-01-05 is outside"):
        t.next_business_day(date(2025, 1, 4))
    t2 = small_table(covers_from=date(2024, 12, 29))
    with pytest.raises(ValueError, match="2024-12-28 is outside"):
        t2.previous_business_day(date(2024, 12, 29))


def test_datetime_is_rejected() -> None:
    with pytest.raises(TypeError, match="datetime"):
        small_table().is_closed(datetime(2025, 1, 6, 9, 0))


# ---------------------------------------------------------------- model


def test_closure_table_is_frozen() -> None:
    t = small_table()
    with pytest.raises(ValidationError):
        t.year_end_closure = False  # type: ignore[misc]


def test_closure_table_rejects_reversed_range() -> None:
    with pytest.raises(ValidationError, match="covers_from 2025-02-01 is after covers_to"):
        small_table(covers_from=date(2025, 2, 1))


def test_closure_table_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        small_table(weekend=[5, 6])


def test_closure_table_json_round_trip(table: ClosureTable) -> None:
    restored = ClosureTable.model_validate_json(table.model_dump_json())
    assert restored == table
    assert restored.closure_reason(date(2025, 6, 23)) == "慰霊の日"
    assert restored.next_business_day(date(2024, 9, 14)) == date(2024, 9, 17)


def test_local_closures_default_empty() -> None:
    t = small_table()
    assert t.local_closures == {}
    assert t.year_end_closure is True
