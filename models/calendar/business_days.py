"""Municipal closed days (地方自治法 §4の2) and business-day arithmetic.

The pure part (:class:`ClosureTable`) only reads the data it is given, so it is
deterministic and replay-safe inside a Temporal workflow. Holiday data is
computed outside the workflow by :func:`build_closure_table` (which imports
``jpholiday`` lazily) and passed in as data.

Closed days: Saturdays, Sundays, national holidays (``holidays``), the
year-end/new-year closure 12/29–1/3 (if ``year_end_closure``) and the
municipality's own closures (``local_closures``). Any date outside
``covers_from..covers_to`` raises ValueError: the table never assumes a day is open.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, model_validator

SATURDAY = "土曜日"
SUNDAY = "日曜日"
YEAR_END = "年末年始"
_ONE_DAY = timedelta(days=1)


def is_year_end_closure(d: date) -> bool:
    """True for 12/29, 12/30, 12/31, 1/1, 1/2, 1/3."""
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


class ClosureTable(BaseModel):
    """Closed days of one municipality over ``covers_from..covers_to`` (inclusive)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    holidays: dict[date, str]
    local_closures: dict[date, str] = {}
    year_end_closure: bool = True
    covers_from: date
    covers_to: date

    @model_validator(mode="after")
    def _check_range(self) -> ClosureTable:
        if self.covers_from > self.covers_to:
            raise ValueError(
                f"covers_from {self.covers_from.isoformat()} is after "
                f"covers_to {self.covers_to.isoformat()}"
            )
        return self

    def _check(self, d: date) -> date:
        if isinstance(d, datetime):
            raise TypeError(f"expected a date, got datetime {d.isoformat()}")
        if not self.covers_from <= d <= self.covers_to:
            raise ValueError(
                f"{d.isoformat()} is outside the closure table's covered range "
                f"{self.covers_from.isoformat()}..{self.covers_to.isoformat()}"
            )
        return d

    def closure_reason(self, d: date) -> str | None:
        """Why ``d`` is closed, most specific first: national holiday name, local
        closure name, 年末年始, 土曜日/日曜日; None if it is a business day."""
        self._check(d)
        if d in self.holidays:
            return self.holidays[d]
        if d in self.local_closures:
            return self.local_closures[d]
        if self.year_end_closure and is_year_end_closure(d):
            return YEAR_END
        if d.weekday() == 5:
            return SATURDAY
        if d.weekday() == 6:
            return SUNDAY
        return None

    def is_closed(self, d: date) -> bool:
        """True if the office is closed on ``d``."""
        return self.closure_reason(d) is not None

    def is_business_day(self, d: date) -> bool:
        """True if the office is open on ``d``."""
        return self.closure_reason(d) is None

    def next_business_day(self, d: date) -> date:
        """``d`` itself if open, else the first business day after it
        (a due date on a closed day moves to the next business day)."""
        while self.is_closed(d):
            d = self._check(d + _ONE_DAY)
        return d

    def previous_business_day(self, d: date) -> date:
        """``d`` itself if open, else the last business day before it."""
        while self.is_closed(d):
            d = self._check(d - _ONE_DAY)
        return d

    def add_business_days(self, d: date, n: int) -> date:
        """Move ``n`` business days from ``d``.

        n > 0: the n-th business day strictly after ``d`` (counting starts the day
        after ``d``; whether ``d`` itself is open does not matter).
        n < 0: the |n|-th business day strictly before ``d``.
        n == 0: ``next_business_day(d)`` (``d`` itself if open).
        """
        self._check(d)
        if n == 0:
            return self.next_business_day(d)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            d = self._check(d + step)
            if self.is_business_day(d):
                remaining -= 1
        return d

    def business_days_between(self, a: date, b: date) -> int:
        """Business days in the half-open interval (a, b] if a <= b, else minus
        the count in (b, a] (so the result is antisymmetric).

        add_business_days(a, result) == b whenever b is a business day and
        either a <= b or a is a business day too."""
        self._check(a)
        self._check(b)
        sign = 1 if a <= b else -1
        lo, hi = (a, b) if a <= b else (b, a)
        count = 0
        while lo < hi:
            lo += _ONE_DAY
            count += self.is_business_day(lo)
        return sign * count

    def due_date(self, anchor: date, business_days_before: int) -> date:
        """N business days before ``anchor``: the N-th business day strictly
        before ``anchor`` (counting starts the day before); N == 0 gives the last
        business day on or before ``anchor``. N must be >= 0."""
        if business_days_before < 0:
            raise ValueError(f"business_days_before must be >= 0, got {business_days_before}")
        if business_days_before == 0:
            return self.previous_business_day(self._check(anchor))
        return self.add_business_days(anchor, -business_days_before)


def build_closure_table(
    first_year: int, last_year: int, local_closures: dict[date, str] | None = None
) -> ClosureTable:
    """Build a table for calendar years first_year..last_year with national
    holidays from jpholiday. NOT for workflow code: run it in an activity (or at
    configuration time) and pass the table in. jpholiday predicts future
    holidays (春分/秋分 are only fixed about a year ahead)."""
    import jpholiday  # lazy: keeps this module sandbox-safe

    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    holidays: dict[date, str] = {}
    for year in range(first_year, last_year + 1):
        holidays.update(jpholiday.year_holidays(year))
    return ClosureTable(
        holidays=holidays,
        local_closures=dict(local_closures or {}),
        covers_from=date(first_year, 1, 1),
        covers_to=date(last_year, 12, 31),
    )
