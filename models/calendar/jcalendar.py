"""Japanese calendar facade: 和暦, 旬, 年度 and municipal business days.

Pure and deterministic (stdlib + pydantic only; jpholiday is imported lazily
inside :func:`build_closure_table`), so it can be imported in the Temporal
workflow sandbox. Implementation lives in :mod:`models.calendar.wareki` and
:mod:`models.calendar.business_days`.
"""

from models.calendar.business_days import (
    SATURDAY,
    SUNDAY,
    YEAR_END,
    ClosureTable,
    build_closure_table,
    is_year_end_closure,
)
from models.calendar.wareki import (
    ERA_NAMES,
    ERA_STARTS,
    JUN_LABELS,
    WEEKDAYS_JA,
    DateStyle,
    Era,
    FiscalEraRule,
    Jun,
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
    jun_of,
    jun_range,
    kanji_number,
)

__all__ = [
    "ERA_NAMES",
    "ERA_STARTS",
    "JUN_LABELS",
    "SATURDAY",
    "SUNDAY",
    "WEEKDAYS_JA",
    "YEAR_END",
    "ClosureTable",
    "DateStyle",
    "Era",
    "FiscalEraRule",
    "Jun",
    "build_closure_table",
    "era_of",
    "fiscal_era",
    "fiscal_year",
    "fiscal_year_range",
    "format_date",
    "format_datetime_range",
    "format_era_year",
    "format_fiscal_year",
    "format_jun",
    "format_time",
    "format_weekday",
    "is_year_end_closure",
    "jun_of",
    "jun_range",
    "kanji_number",
]
