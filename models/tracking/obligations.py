"""Periodic obligations (DOMAIN §4): what is due when, for one case's vendor and system.

An :class:`Obligation` is planned from its anchor (or, for a certificate, from the
certificate's dates); :func:`dues` lists its occurrences in a date range and
:func:`next_due` gives the next one. Everything here is pure and deterministic; the
workflow passes in the :class:`~models.calendar.business_days.ClosureTable` (which must cover
``after`` and ``until`` and the due dates around them; it raises ValueError otherwise).

Rules:

- ``pia_review`` every ``every_months`` (default 12, at most 12: 「少なくとも1年に1回」),
  ``pia_reevaluation`` every 60 months (at most 60: 規則15条), ``access_log_review`` every
  ``every_months`` (required), ``staff_training`` every 12 months by default. Occurrence k
  is ``add_months(anchor, k * every_months)``, always counted from the anchor so month
  ends do not drift (1/31 → 2/28 → 3/31 → 4/30). When the work is actually done, the
  caller re-anchors the obligation (a new anchor gives new keys).
- ``data_erasure``: once, on the anchor (lease end), witnessed, with a certificate.
- These dues are the municipality's own, so ``roll`` applies (DOMAIN §6): by default a
  due on a closed day moves to the next business day; ``previous_business_day`` keeps it
  before the closure (useful for a lease end), ``none`` keeps the date.
- ``certificate``: the scheme decides and ``roll`` is not used; window starts never move.
  ISMS: surveillance (維持審査) in certificate years 2 and 3, window ±1 month around the
  anniversary; the anniversaries are counted back from ``expires_on`` (the first day of
  certificate years 2 and 3), which is the anniversary of ``issued_on`` for a first
  certificate and stays right for a recertified certificate issued before the old one
  expired. 再認証 is due on ``expires_on``, window from 3 months before. A missed
  surveillance or expiry lapses the certificate; nothing is due after ``expires_on``.
  Privacy Mark: renewal filing from the day after "8 months before expiry" to "4 months
  before expiry"; a window end on a closed day of the examining body moves to the next
  business day (national holidays, weekends and 年末年始 of the table; the municipality's
  local closures do not apply to JIPDEC). Then the expiry itself. The next certificate
  expires 2 years after this one however late the renewal is granted: the caller replaces
  the certificate. ISMAP: the renewal application is due by the listing expiry
  (ISMAP 基本規程 3.5), window from the day after the next yearly audit period would end
  (4 months before expiry). Expiry dates never move: the certificate lapses that day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from models.calendar.business_days import ClosureTable
from models.calendar.wareki import DateStyle, format_date
from models.case.document import Strict
from models.limits import CalendarDate
from models.tracking.certificates import (
    Certificate,
    CertificateScheme,
    add_months,
    ismap_expiry,
    isms_expiry,
    period_end,
    privacy_mark_expiry,
)
from models.tracking.ladder import Audience, ReminderLadder, Rung, rungs

__all__ = [
    "DUE_LABELS",
    "Audience",
    "Certificate",
    "CertificateScheme",
    "Due",
    "DueStep",
    "Obligation",
    "ObligationKind",
    "ObligationPlan",
    "ReminderLadder",
    "Roll",
    "Rung",
    "add_months",
    "dues",
    "ismap_expiry",
    "isms_expiry",
    "material_change_due",
    "next_due",
    "period_end",
    "privacy_mark_expiry",
    "rungs",
]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]
Roll = Literal["next_business_day", "previous_business_day", "none"]
_ONE_DAY = timedelta(days=1)


class ObligationKind(StrEnum):
    certificate = "certificate"  # vendor certificate cycle
    pia_review = "pia_review"  # PIA評価書の見直し (yearly)
    pia_reevaluation = "pia_reevaluation"  # PIA再評価 (5 years)
    access_log_review = "access_log_review"  # アクセスログ点検
    staff_training = "staff_training"  # 職員研修
    data_erasure = "data_erasure"  # リース終了時データ消去


class DueStep(StrEnum):
    surveillance = "surveillance"
    recertification = "recertification"
    renewal_filing = "renewal_filing"
    expiry = "expiry"
    ismap_renewal = "ismap_renewal"
    review = "review"
    reevaluation = "reevaluation"
    material_change = "material_change"
    log_review = "log_review"
    training = "training"
    erasure = "erasure"


DUE_LABELS: dict[DueStep, str] = {
    DueStep.surveillance: "ISMS維持審査（第{cycle}回）",
    DueStep.recertification: "ISMS再認証（有効期限 {due}）",
    DueStep.renewal_filing: "プライバシーマーク更新申請（受付期間 {window}）",
    DueStep.expiry: "プライバシーマーク有効期限（{due}）",
    DueStep.ismap_renewal: "ISMAP登録更新申請（有効期限 {due}）",
    DueStep.review: "PIA評価書の見直し（{interval}）",
    DueStep.reevaluation: "PIA再評価（{span}）",
    DueStep.material_change: "PIA再評価（重要な変更 {start}）",
    DueStep.log_review: "アクセスログ点検（{interval}）",
    DueStep.training: "職員研修（{interval}）",
    DueStep.erasure: "リース終了時データ消去（立会い・証明書）",
}

_RECURRING: dict[ObligationKind, DueStep] = {
    ObligationKind.pia_review: DueStep.review,
    ObligationKind.pia_reevaluation: DueStep.reevaluation,
    ObligationKind.access_log_review: DueStep.log_review,
    ObligationKind.staff_training: DueStep.training,
}
_DEFAULT_EVERY = {
    ObligationKind.pia_review: 12,
    ObligationKind.pia_reevaluation: 60,
    ObligationKind.staff_training: 12,
}
_MAX_EVERY = {ObligationKind.pia_review: 12, ObligationKind.pia_reevaluation: 60}
ISMS_RECERT_WINDOW_MONTHS = 3
ISMAP_WINDOW_MONTHS = 4


class Obligation(Strict):
    """One recurring (or one-off) duty of a case; ``id`` is unique within the case."""

    id: Slug
    kind: ObligationKind
    anchor: CalendarDate  # go-live, last PIA publication, lease end, start of tracking …
    every_months: int | None = Field(default=None, ge=1, le=120, validate_default=True)
    certificate: Certificate | None = Field(default=None, validate_default=True)
    roll: Roll = "next_business_day"

    @field_validator("every_months")
    @classmethod
    def _every(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind is None:
            return value
        if kind not in _RECURRING:
            if value is not None:
                raise ValueError(f"every_months must be empty for kind {kind} (not periodic)")
            return None
        if value is None:
            if kind not in _DEFAULT_EVERY:
                raise ValueError(f"every_months is required for kind {kind}")
            return _DEFAULT_EVERY[kind]
        limit = _MAX_EVERY.get(kind)
        if limit is not None and value > limit:
            raise ValueError(f"every_months {value} is more than {limit}, the rule for {kind}")
        return value

    @field_validator("certificate")
    @classmethod
    def _certificate(cls, value: Certificate | None, info: ValidationInfo) -> Certificate | None:
        kind = info.data.get("kind")
        if kind is ObligationKind.certificate and value is None:
            raise ValueError("certificate is required for kind certificate")
        if kind is not None and kind is not ObligationKind.certificate and value is not None:
            raise ValueError(f"certificate must be empty for kind {kind}")
        return value


class ObligationPlan(Strict):
    """A case's obligations and their reminder ladder; ids are unique."""

    obligations: list[Obligation] = Field(default_factory=list)
    ladder: ReminderLadder = Field(default_factory=ReminderLadder)

    @field_validator("obligations")
    @classmethod
    def _unique_ids(cls, value: list[Obligation]) -> list[Obligation]:
        ids = [ob.id for ob in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"obligation ids must be unique: {', '.join(repeated)} repeated")
        return value


class Due(Strict):
    """One occurrence: act by ``due_on`` (from ``window_from`` when there is a window).

    ``what`` is a short Japanese label with no personal data, for people and mails.
    ``key`` is stable for reminders and idempotency: ``{id}:{cycle}:{step}@{generation}``
    where generation is the anchor, or the certificate's expiry for certificate dues.
    """

    obligation_id: Slug
    kind: ObligationKind
    step: DueStep
    cycle: int = Field(ge=1)
    key: str = Field(min_length=1)
    what: str = Field(min_length=1)
    due_on: date
    window_from: date | None = None
    lapses_certificate: bool = False


@dataclass(frozen=True)
class _Plan:
    cycle: int
    step: DueStep
    raw: date
    roll: Roll
    window_from: date | None = None
    lapses: bool = False
    national_only: bool = False  # roll over national closed days only (an outside body)


def _ymd(d: date) -> str:
    return format_date(d, DateStyle.seireki)


def _window_text(first: date, last: date) -> str:
    end = f"{last.month}月{last.day}日" if last.year == first.year else _ymd(last)
    return f"{_ymd(first)}～{end}"


def _span(months: int) -> str:
    return f"{months // 12}年" if months % 12 == 0 else f"{months}か月"


def _interval(months: int) -> str:
    return "年次" if months == 12 else f"{_span(months)}ごと"


def _label(step: DueStep, cycle: int, due_on: date, window_from: date | None, every: int) -> str:
    start = window_from or due_on
    return DUE_LABELS[step].format(
        cycle=cycle,
        due=_ymd(due_on),
        window=_window_text(start, due_on),
        start=_ymd(start),
        interval=_interval(every),
        span=_span(every),
    )


def _certificate_plans(cert: Certificate) -> list[_Plan]:
    expires = cert.expires_on
    if cert.scheme is CertificateScheme.isms:
        year_one_after = expires + _ONE_DAY  # first day after the 3-year cycle
        plans = []
        for k in (1, 2):
            anniversary = add_months(year_one_after, -12 * (3 - k))
            if anniversary > cert.issued_on:
                plans.append(
                    _Plan(
                        k,
                        DueStep.surveillance,
                        add_months(anniversary, 1),
                        "none",
                        add_months(anniversary, -1),
                        lapses=True,
                    )
                )
        window = add_months(expires, -ISMS_RECERT_WINDOW_MONTHS)
        plans.append(_Plan(1, DueStep.recertification, expires, "none", window, lapses=True))
        return plans
    if cert.scheme is CertificateScheme.privacy_mark:
        return [
            _Plan(
                1,
                DueStep.renewal_filing,
                add_months(expires, -4),
                "next_business_day",
                add_months(expires, -8) + _ONE_DAY,
                lapses=True,
                national_only=True,
            ),
            _Plan(1, DueStep.expiry, expires, "none", lapses=True),
        ]
    window = add_months(expires, -ISMAP_WINDOW_MONTHS) + _ONE_DAY
    return [_Plan(1, DueStep.ismap_renewal, expires, "none", window, lapses=True)]


def _plans(ob: Obligation) -> Iterator[_Plan]:
    """Occurrences in order of their unrolled date (endless for periodic kinds)."""
    if ob.certificate is not None:
        yield from _certificate_plans(ob.certificate)
    elif ob.kind is ObligationKind.data_erasure:
        yield _Plan(1, DueStep.erasure, ob.anchor, ob.roll)
    else:
        step, every, k = _RECURRING[ob.kind], ob.every_months or 12, 1
        while True:
            yield _Plan(k, step, add_months(ob.anchor, k * every), ob.roll)
            k += 1


class _Range:
    """Places unrolled dates in (after, until], touching the closure table only near it."""

    def __init__(self, closures: ClosureTable, after: date, until: date | None) -> None:
        self.closures, self.after, self.until = closures, after, until
        self._last_open: date | None = None
        self._first_open_past: date | None = None

    def _national(self) -> ClosureTable:
        return self.closures.model_copy(update={"local_closures": {}})

    def last_open(self) -> date:
        """Last business day on or before ``after``; a day before the table counts as open."""
        if self._last_open is None:
            d, t = self.after, self.closures
            while d >= t.covers_from and t.is_closed(d):
                d -= _ONE_DAY
            self._last_open = d
        return self._last_open

    def first_open_past(self) -> date:
        """First business day after ``until``; a day after the table counts as open."""
        assert self.until is not None
        if self._first_open_past is None:
            d, t = self.until + _ONE_DAY, self.closures
            while d <= t.covers_to and t.is_closed(d):
                d += _ONE_DAY
            self._first_open_past = d
        return self._first_open_past

    def beyond(self, raw: date, roll: Roll) -> bool:
        """True if ``raw`` and every later unrolled date lands after ``until``."""
        if self.until is None or raw <= self.until:
            return False
        return roll != "previous_business_day" or raw >= self.first_open_past()

    def place(self, plan: _Plan) -> date | None:
        raw, roll = plan.raw, plan.roll
        if self.beyond(raw, roll):
            return None
        table = self._national() if plan.national_only else self.closures
        if roll == "next_business_day":
            # an open day on or before ``after`` stops a forward roll before ``after``
            due = None if raw <= self.last_open() else table.next_business_day(raw)
        elif roll == "previous_business_day":
            due = None if raw <= self.after else table.previous_business_day(raw)
        else:
            due = raw
        if due is None or due <= self.after or (self.until is not None and due > self.until):
            return None
        return due


def _due(ob: Obligation, plan: _Plan, due_on: date) -> Due:
    generation = ob.certificate.expires_on if ob.certificate is not None else ob.anchor
    return Due(
        obligation_id=ob.id,
        kind=ob.kind,
        step=plan.step,
        cycle=plan.cycle,
        key=f"{ob.id}:{plan.cycle}:{plan.step}@{generation.isoformat()}",
        what=_label(plan.step, plan.cycle, due_on, plan.window_from, ob.every_months or 12),
        due_on=due_on,
        window_from=plan.window_from,
        lapses_certificate=plan.lapses,
    )


def dues(ob: Obligation, closures: ClosureTable, *, after: date, until: date) -> list[Due]:
    """Every occurrence of ``ob`` with ``due_on`` in (after, until], in date order."""
    if until < after:
        raise ValueError(f"until {until.isoformat()} precedes after {after.isoformat()}")
    span = _Range(closures, after, until)
    out = []
    for plan in _plans(ob):
        if plan.step in _RECURRING.values() and span.beyond(plan.raw, plan.roll):
            break
        due_on = span.place(plan)
        if due_on is not None:
            out.append(_due(ob, plan, due_on))
    return out


def next_due(ob: Obligation, closures: ClosureTable, *, after: date) -> Due | None:
    """The first occurrence with ``due_on`` after ``after``; None when nothing is left."""
    span = _Range(closures, after, None)
    for plan in _plans(ob):
        due_on = span.place(plan)
        if due_on is not None:
            return _due(ob, plan, due_on)
    return None


def material_change_due(
    ob_id: str, on: date, closures: ClosureTable, within_business_days: int
) -> Due:
    """An immediate PIA re-evaluation for a 重要な変更 known on ``on``: due on the
    ``within_business_days``-th business day after it (0: ``on`` itself, or the next
    business day if closed). Once the new PIA is published, the caller re-anchors the
    pia_reevaluation obligation at the publication date."""
    if within_business_days < 0:
        raise ValueError(f"within_business_days must be >= 0, got {within_business_days}")
    due_on = closures.add_business_days(on, within_business_days)
    step = DueStep.material_change
    return Due(
        obligation_id=ob_id,
        kind=ObligationKind.pia_reevaluation,
        step=step,
        cycle=1,
        key=f"{ob_id}:1:{step}@{on.isoformat()}",
        what=_label(step, 1, due_on, on, 60),
        due_on=due_on,
        window_from=on,
    )
