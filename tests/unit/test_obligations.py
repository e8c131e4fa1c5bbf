"""Tests for models.tracking.obligations, models.tracking.certificates and models.tracking.ladder."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import models.tracking.certificates as certificates
import models.tracking.ladder as ladder
import models.tracking.obligations as obligations
from models.calendar.business_days import ClosureTable, build_closure_table
from models.errors import describe_validation_error
from models.tracking.obligations import (
    Audience,
    Certificate,
    CertificateScheme,
    Due,
    DueStep,
    Obligation,
    ObligationKind,
    ObligationPlan,
    ReminderLadder,
    add_months,
    dues,
    ismap_expiry,
    isms_expiry,
    material_change_due,
    next_due,
    period_end,
    privacy_mark_expiry,
    rungs,
)

D = date
LOCAL = {D(2025, 6, 23): "慰霊の日", D(2024, 8, 1): "開庁記念日"}
FAR = D(2032, 12, 31)


@pytest.fixture(scope="module")
def table() -> ClosureTable:
    return build_closure_table(2015, 2032, LOCAL)


def cert(scheme: str, issued: date, expires: date) -> Certificate:
    return Certificate.model_validate(
        {
            "scheme": scheme,
            "vendor": "株式会社例",
            "number": "IS 000001",
            "issued_on": issued,
            "expires_on": expires,
        }
    )


def cert_ob(c: Certificate, **kw: Any) -> Obligation:
    return Obligation.model_validate(
        {"id": "vendor-cert", "kind": "certificate", "anchor": D(2020, 4, 1), "certificate": c} | kw
    )


def ob(kind: str, anchor: date, **kw: Any) -> Obligation:
    return Obligation.model_validate({"id": "ob-1", "kind": kind, "anchor": anchor} | kw)


def summary(ds: list[Due]) -> list[tuple[str, int, date | None, date]]:
    return [(d.step.value, d.cycle, d.window_from, d.due_on) for d in ds]


def invalid(model: type[Any], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return describe_validation_error(info.value)


# ---------------------------------------------------------------- purity


@pytest.mark.parametrize("module", [certificates, obligations, ladder])
def test_module_level_imports_are_sandbox_safe(module: object) -> None:
    tree = ast.parse(Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8"))
    top: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.add(node.module.split(".")[0])
    allowed = {"__future__", "calendar", "collections", "dataclasses", "datetime", "enum"}
    assert top <= allowed | {"typing", "pydantic", "models"}


def test_public_surface_exists() -> None:
    for name in obligations.__all__:
        assert hasattr(obligations, name), name


# ---------------------------------------------------------------- month arithmetic


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (D(2025, 1, 15), 1, D(2025, 2, 15)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),  # clamped
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2025, 3, 31), 1, D(2025, 4, 30)),
        (D(2025, 1, 31), 2, D(2025, 3, 31)),  # from the anchor, no drift
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 12, 1), -8, D(2025, 4, 1)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2025, 1, 15), -13, D(2023, 12, 15)),
        (D(2025, 6, 30), 0, D(2025, 6, 30)),
    ],
)
def test_add_months(d: date, months: int, expected: date) -> None:
    assert add_months(d, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2023, 12, 1), 24, D(2025, 11, 30)),  # Pマーク 付与 → 満了
        (D(2023, 6, 15), 36, D(2026, 6, 14)),
        (D(2024, 2, 29), 24, D(2026, 2, 28)),  # no 2/29: end of February
        (D(2024, 2, 29), 48, D(2028, 2, 28)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),  # no 2/31: end of February
        (D(2025, 3, 30), 1, D(2025, 4, 29)),
        (D(2025, 3, 31), 1, D(2025, 4, 30)),
        (D(2025, 1, 1), 12, D(2025, 12, 31)),
        (D(2023, 4, 1), 16, D(2024, 7, 31)),
    ],
)
def test_period_end(start: date, months: int, expected: date) -> None:
    assert period_end(start, months) == expected


@pytest.mark.parametrize("months", [0, -1])
def test_period_end_rejects_empty_period(months: int) -> None:
    with pytest.raises(ValueError, match=f"months must be >= 1, got {months}"):
        period_end(D(2025, 1, 1), months)


@pytest.mark.parametrize(
    ("granted", "expected"),
    [
        (D(2023, 12, 1), D(2025, 11, 30)),
        (D(2022, 12, 2), D(2024, 12, 1)),
        (D(2024, 2, 29), D(2026, 2, 28)),
        (D(2024, 3, 1), D(2026, 2, 28)),
    ],
)
def test_privacy_mark_expiry(granted: date, expected: date) -> None:
    assert privacy_mark_expiry(granted) == expected


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        (D(2023, 6, 15), D(2026, 6, 14)),
        (D(2023, 1, 1), D(2025, 12, 31)),
        (D(2024, 2, 29), D(2027, 2, 28)),
    ],
)
def test_isms_expiry(issued: date, expected: date) -> None:
    assert isms_expiry(issued) == expected


@pytest.mark.parametrize(
    ("audit_end", "expected"),
    [
        (D(2023, 3, 31), D(2024, 7, 31)),
        (D(2023, 9, 30), D(2025, 1, 31)),
        (D(2023, 10, 30), D(2025, 2, 28)),
        (D(2022, 10, 30), D(2024, 2, 29)),  # leap February
        (D(2023, 12, 31), D(2025, 4, 30)),
    ],
)
def test_ismap_expiry(audit_end: date, expected: date) -> None:
    assert ismap_expiry(audit_end) == expected


# ---------------------------------------------------------------- certificate model


@pytest.mark.parametrize(
    ("issued", "expires", "words"),
    [
        (D(2025, 1, 2), D(2025, 1, 1), "expires_on 2025-01-01 precedes issued_on 2025-01-02"),
        (D(2025, 1, 1), D(2025, 1, 1), "expires_on 2025-01-01 is the same day as issued_on"),
        (D(2026, 6, 14), D(2023, 6, 15), "precedes issued_on 2026-06-14"),
    ],
)
def test_certificate_must_expire_after_issue(issued: date, expires: date, words: str) -> None:
    msg = invalid(
        Certificate,
        {
            "scheme": "isms",
            "vendor": "v",
            "number": "1",
            "issued_on": issued,
            "expires_on": expires,
        },
    )
    assert msg.startswith("expires_on: ")
    assert words in msg


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"vendor": ""}, "vendor"),
        ({"number": ""}, "number"),
        ({"scheme": "iso9001"}, "scheme"),
        ({"issued_on": "yesterday"}, "issued_on"),
        ({"grade": "A"}, "grade"),
    ],
)
def test_certificate_field_errors_name_the_field(patch: dict[str, Any], field: str) -> None:
    data = {
        "scheme": "privacy_mark",
        "vendor": "v",
        "number": "1",
        "issued_on": D(2023, 12, 1),
        "expires_on": D(2025, 11, 30),
    }
    assert invalid(Certificate, data | patch).startswith(f"{field}: ")


def test_certificate_is_frozen_and_round_trips() -> None:
    c = cert("ismap", D(2023, 8, 1), D(2024, 7, 31))
    with pytest.raises(ValidationError):
        c.vendor = "x"  # type: ignore[misc]
    assert Certificate.model_validate_json(c.model_dump_json()) == c
    assert [s.value for s in CertificateScheme] == ["isms", "privacy_mark", "ismap"]


# ---------------------------------------------------------------- obligation model


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("pia_review", 12), ("pia_reevaluation", 60), ("staff_training", 12)],
)
def test_every_months_defaults(kind: str, expected: int) -> None:
    assert ob(kind, D(2024, 4, 1)).every_months == expected


def test_obligation_defaults() -> None:
    o = ob("data_erasure", D(2029, 3, 31))
    assert (o.every_months, o.certificate, o.roll) == (None, None, "next_business_day")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"kind": "access_log_review"},
            "every_months: Value error, every_months is required for kind access_log_review",
        ),
        ({"kind": "data_erasure", "every_months": 12}, "every_months must be empty"),
        ({"kind": "pia_review", "every_months": 24}, "every_months 24 is more than 12"),
        ({"kind": "pia_reevaluation", "every_months": 61}, "every_months 61 is more than 60"),
        ({"kind": "staff_training", "every_months": 0}, "every_months: Input should be greater"),
        ({"kind": "access_log_review", "every_months": -3}, "every_months: Input should be"),
        ({"kind": "access_log_review", "every_months": 121}, "every_months: Input should be less"),
        ({"kind": "certificate"}, "certificate: Value error, certificate is required"),
        ({"kind": "pia_review", "id": "PIA_1"}, "id: String should match pattern"),
        ({"kind": "pia_review", "id": ""}, "id: String should match pattern"),
        ({"kind": "pia_review", "id": "x" * 41}, "id: String should match pattern"),
        ({"kind": "pia_review", "roll": "nearest"}, "roll: Input should be"),
        ({"kind": "audit"}, "kind: Input should be"),
        ({"kind": "pia_review", "anchor": None}, "anchor: Input should be a valid date"),
        ({"kind": "pia_review", "note": "x"}, "note: Extra inputs are not permitted"),
    ],
)
def test_obligation_validation_names_the_field(data: dict[str, Any], words: str) -> None:
    base = {"id": "ob-1", "anchor": D(2024, 4, 1)}
    assert words in invalid(Obligation, base | data)


def test_certificate_on_a_non_certificate_kind_is_refused() -> None:
    c = cert("isms", D(2023, 6, 15), D(2026, 6, 14)).model_dump()
    msg = invalid(
        Obligation, {"id": "a", "kind": "pia_review", "anchor": D(2024, 4, 1), "certificate": c}
    )
    assert msg == ("certificate: Value error, certificate must be empty for kind pia_review")


def test_certificate_kind_takes_no_interval() -> None:
    c = cert("isms", D(2023, 6, 15), D(2026, 6, 14)).model_dump()
    msg = invalid(
        Obligation,
        {
            "id": "a",
            "kind": "certificate",
            "anchor": D(2024, 4, 1),
            "certificate": c,
            "every_months": 12,
        },
    )
    assert msg.startswith("every_months: ")


def test_nested_certificate_error_names_the_path() -> None:
    c = {"scheme": "isms", "vendor": "v", "number": "1"}
    c |= {"issued_on": D(2026, 1, 1), "expires_on": D(2025, 1, 1)}
    msg = invalid(
        Obligation, {"id": "a", "kind": "certificate", "anchor": D(2024, 1, 1), "certificate": c}
    )
    assert msg.startswith("certificate.expires_on: ")
    assert "precedes issued_on" in msg


def test_plan_refuses_duplicate_ids() -> None:
    o = {"id": "pia", "kind": "pia_review", "anchor": D(2024, 4, 1)}
    msg = invalid(ObligationPlan, {"obligations": [o, o, o | {"id": "other"}]})
    assert msg == "obligations: Value error, obligation ids must be unique: pia repeated"
    plan = ObligationPlan.model_validate({"obligations": [o, o | {"id": "other"}]})
    assert plan.ladder == ReminderLadder()


def test_obligation_round_trips_through_json() -> None:
    o = cert_ob(cert("privacy_mark", D(2023, 12, 1), D(2025, 11, 30)), roll="none")
    assert Obligation.model_validate_json(o.model_dump_json()) == o


# ---------------------------------------------------------------- Privacy Mark (JIPDEC)


@pytest.mark.parametrize(
    ("expires", "window_from", "window_end", "label"),
    [
        (D(2024, 12, 1), D(2024, 4, 2), D(2024, 8, 1), "受付期間 2024年4月2日～8月1日"),
        (D(2022, 11, 1), D(2022, 3, 2), D(2022, 7, 1), "受付期間 2022年3月2日～7月1日"),
        # 4 months before is Sat 2024-09-14; 9/16 敬老の日 → Tue 9/17
        (D(2025, 1, 14), D(2024, 5, 15), D(2024, 9, 17), "受付期間 2024年5月15日～9月17日"),
        # month ends: 11/30 - 4 months = 7/30; the 8-month start is the day after 3/30
        (D(2025, 11, 30), D(2025, 3, 31), D(2025, 7, 30), "受付期間 2025年3月31日～7月30日"),
        # 6/30 - 4 months = 2/28 (no 2/30); start: 10/30 + 1
        (D(2025, 6, 30), D(2024, 10, 31), D(2025, 2, 28), "受付期間 2024年10月31日～2025年2月28日"),
        # window end on 2025-05-03 (憲法記念日, Sat) → after Golden Week, Wed 5/7
        (D(2025, 9, 3), D(2025, 1, 4), D(2025, 5, 7), "受付期間 2025年1月4日～5月7日"),
    ],
)
def test_privacy_mark_renewal_window(
    table: ClosureTable, expires: date, window_from: date, window_end: date, label: str
) -> None:
    o = cert_ob(cert("privacy_mark", D(2022, 1, 1), expires))
    filing, expiry = dues(o, table, after=D(2016, 1, 1), until=FAR)
    assert (filing.step, filing.window_from, filing.due_on) == (
        DueStep.renewal_filing,
        window_from,
        window_end,
    )
    assert filing.what == f"プライバシーマーク更新申請（{label}）"
    assert filing.lapses_certificate
    assert (expiry.step, expiry.due_on, expiry.window_from) == (DueStep.expiry, expires, None)
    assert expiry.lapses_certificate
    national = table.model_copy(update={"local_closures": {}})
    assert national.is_business_day(filing.due_on)


def test_privacy_mark_window_ignores_the_municipality_own_closures(table: ClosureTable) -> None:
    assert table.closure_reason(D(2024, 8, 1)) == "開庁記念日"
    o = cert_ob(cert("privacy_mark", D(2022, 12, 2), D(2024, 12, 1)))
    assert next_due(o, table, after=D(2024, 1, 1)) is not None
    assert dues(o, table, after=D(2024, 1, 1), until=FAR)[0].due_on == D(2024, 8, 1)


def test_privacy_mark_expiry_on_a_closed_day_does_not_move(table: ClosureTable) -> None:
    o = cert_ob(cert("privacy_mark", D(2023, 12, 1), D(2025, 11, 30)))  # a Sunday
    assert [d.due_on for d in dues(o, table, after=D(2025, 8, 1), until=FAR)] == [D(2025, 11, 30)]
    assert dues(o, table, after=D(2025, 1, 1), until=FAR)[1].what == (
        "プライバシーマーク有効期限（2025年11月30日）"
    )


def test_privacy_mark_keys_change_with_a_new_certificate(table: ClosureTable) -> None:
    old = cert_ob(cert("privacy_mark", D(2023, 12, 1), D(2025, 11, 30)))
    new = cert_ob(cert("privacy_mark", D(2026, 1, 15), D(2027, 11, 30)))  # late renewal: +2 years
    keys_old = [d.key for d in dues(old, table, after=D(2020, 1, 1), until=FAR)]
    keys_new = [d.key for d in dues(new, table, after=D(2020, 1, 1), until=FAR)]
    assert keys_old == [
        "vendor-cert:1:renewal_filing@2025-11-30",
        "vendor-cert:1:expiry@2025-11-30",
    ]
    assert not set(keys_old) & set(keys_new)
    assert (
        next_due(new, table, after=D(2026, 1, 15))
        == dues(new, table, after=D(2026, 1, 15), until=FAR)[0]
    )


# ---------------------------------------------------------------- ISMS


ISMS_2023 = [
    ("surveillance", 1, D(2024, 5, 15), D(2024, 7, 15)),
    ("surveillance", 2, D(2025, 5, 15), D(2025, 7, 15)),
    ("recertification", 1, D(2026, 3, 14), D(2026, 6, 14)),
]


def test_isms_three_year_cycle(table: ClosureTable) -> None:
    o = cert_ob(cert("isms", D(2023, 6, 15), D(2026, 6, 14)))
    all_dues = dues(o, table, after=D(2016, 1, 1), until=FAR)
    assert summary(all_dues) == ISMS_2023
    assert [d.what for d in all_dues] == [
        "ISMS維持審査（第1回）",
        "ISMS維持審査（第2回）",
        "ISMS再認証（有効期限 2026年6月14日）",
    ]
    assert all(d.lapses_certificate and d.kind is ObligationKind.certificate for d in all_dues)
    assert [d.key for d in all_dues] == [
        "vendor-cert:1:surveillance@2026-06-14",
        "vendor-cert:2:surveillance@2026-06-14",
        "vendor-cert:1:recertification@2026-06-14",
    ]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (D(2020, 1, 1), 0),
        (D(2024, 7, 14), 0),
        (D(2024, 7, 15), 1),
        (D(2025, 7, 15), 2),
        (D(2026, 6, 13), 2),
    ],
)
def test_isms_next_due(table: ClosureTable, after: date, expected: int) -> None:
    o = cert_ob(cert("isms", D(2023, 6, 15), D(2026, 6, 14)))
    due = next_due(o, table, after=after)
    assert due is not None
    assert summary([due])[0] == ISMS_2023[expected]


@pytest.mark.parametrize("after", [D(2026, 6, 14), D(2026, 6, 15), D(2030, 1, 1)])
def test_isms_nothing_after_expiry(table: ClosureTable, after: date) -> None:
    o = cert_ob(cert("isms", D(2023, 6, 15), D(2026, 6, 14)))
    assert next_due(o, table, after=after) is None
    assert dues(o, table, after=after, until=FAR) == []


def test_isms_leap_day_issue(table: ClosureTable) -> None:
    o = cert_ob(cert("isms", D(2024, 2, 29), isms_expiry(D(2024, 2, 29))))
    assert summary(dues(o, table, after=D(2020, 1, 1), until=FAR)) == [
        ("surveillance", 1, D(2025, 2, 1), D(2025, 4, 1)),  # year 2 starts 2025-03-01
        ("surveillance", 2, D(2026, 2, 1), D(2026, 4, 1)),
        ("recertification", 1, D(2026, 11, 28), D(2027, 2, 28)),
    ]


def test_isms_recertified_certificate_keeps_the_original_cycle(table: ClosureTable) -> None:
    # recertified 2026-05-20, before the old certificate's 2026-06-14 expiry
    o = cert_ob(cert("isms", D(2026, 5, 20), D(2029, 6, 14)))
    assert summary(dues(o, table, after=D(2026, 5, 20), until=FAR)) == [
        ("surveillance", 1, D(2027, 5, 15), D(2027, 7, 15)),
        ("surveillance", 2, D(2028, 5, 15), D(2028, 7, 15)),
        ("recertification", 1, D(2029, 3, 14), D(2029, 6, 14)),
    ]


def test_isms_short_certificate_skips_a_passed_anniversary(table: ClosureTable) -> None:
    o = cert_ob(cert("isms", D(2025, 1, 10), D(2026, 6, 14)))
    assert [d.cycle for d in dues(o, table, after=D(2020, 1, 1), until=FAR)] == [2, 1]


def test_isms_window_is_a_range_filter_on_due_on(table: ClosureTable) -> None:
    o = cert_ob(cert("isms", D(2023, 6, 15), D(2026, 6, 14)))
    assert summary(dues(o, table, after=D(2024, 7, 15), until=D(2025, 7, 15))) == [ISMS_2023[1]]
    assert dues(o, table, after=D(2024, 7, 15), until=D(2025, 7, 14)) == []


def test_certificate_dues_ignore_roll(table: ClosureTable) -> None:
    c = cert("isms", D(2023, 6, 15), D(2026, 6, 14))
    for roll in ("none", "next_business_day", "previous_business_day"):
        assert summary(dues(cert_ob(c, roll=roll), table, after=D(2020, 1, 1), until=FAR)) == (
            ISMS_2023
        )


# ---------------------------------------------------------------- ISMAP


@pytest.mark.parametrize(
    ("audit_end", "window_from", "due_on"),
    [
        (D(2023, 3, 31), D(2024, 4, 1), D(2024, 7, 31)),
        (D(2023, 9, 30), D(2024, 10, 1), D(2025, 1, 31)),
        (D(2022, 10, 30), D(2023, 10, 30), D(2024, 2, 29)),
    ],
)
def test_ismap_renewal_due(
    table: ClosureTable, audit_end: date, window_from: date, due_on: date
) -> None:
    expires = ismap_expiry(audit_end)
    o = cert_ob(cert("ismap", audit_end + timedelta(days=60), expires))
    (due,) = dues(o, table, after=D(2020, 1, 1), until=FAR)
    assert (due.step, due.window_from, due.due_on) == (DueStep.ismap_renewal, window_from, due_on)
    assert due.lapses_certificate
    assert (
        due.what == f"ISMAP登録更新申請（有効期限 {due_on.year}年{due_on.month}月{due_on.day}日）"
    )
    assert next_due(o, table, after=due_on) is None


# ---------------------------------------------------------------- periodic dues


def test_pia_review_yearly_with_roll(table: ClosureTable) -> None:
    o = ob("pia_review", D(2023, 9, 14))
    got = dues(o, table, after=D(2023, 9, 14), until=D(2027, 12, 31))
    # 2024-09-14 Sat → Tue 9/17 (9/16 敬老の日); 2025-09-14 Sun → 9/16 (9/15 敬老の日)
    assert [d.due_on for d in got] == [
        D(2024, 9, 17),
        D(2025, 9, 16),
        D(2026, 9, 14),
        D(2027, 9, 14),
    ]
    assert [d.cycle for d in got] == [1, 2, 3, 4]
    assert {d.what for d in got} == {"PIA評価書の見直し（年次）"}
    assert got[0].key == "ob-1:1:review@2023-09-14"
    assert not any(d.lapses_certificate for d in got)


@pytest.mark.parametrize(
    ("roll", "expected"),
    [
        ("next_business_day", D(2026, 1, 5)),
        ("previous_business_day", D(2025, 12, 26)),
        ("none", D(2025, 12, 28)),
    ],
)
def test_roll_over_year_end(table: ClosureTable, roll: str, expected: date) -> None:
    o = ob("staff_training", D(2024, 12, 28), roll=roll)
    due = next_due(o, table, after=D(2025, 1, 1))
    assert due is not None
    assert (due.cycle, due.due_on, due.what) == (1, expected, "職員研修（年次）")


@pytest.mark.parametrize(
    ("roll", "expected"),
    [
        ("next_business_day", D(2025, 6, 24)),  # 6/23 慰霊の日 is a local closure
        ("previous_business_day", D(2025, 6, 20)),
        ("none", D(2025, 6, 23)),
    ],
)
def test_roll_over_local_closure(table: ClosureTable, roll: str, expected: date) -> None:
    o = ob("access_log_review", D(2025, 3, 23), every_months=3, roll=roll)
    assert [d.due_on for d in dues(o, table, after=D(2025, 6, 1), until=D(2025, 6, 30))] == [
        expected
    ]


def test_monthly_reviews_from_a_month_end_anchor_do_not_drift(table: ClosureTable) -> None:
    o = ob("access_log_review", D(2024, 1, 31), every_months=1, roll="none")
    got = dues(o, table, after=D(2024, 1, 31), until=D(2024, 7, 31))
    assert [d.due_on for d in got] == [
        D(2024, 2, 29),
        D(2024, 3, 31),
        D(2024, 4, 30),
        D(2024, 5, 31),
        D(2024, 6, 30),
        D(2024, 7, 31),
    ]
    assert got[0].what == "アクセスログ点検（1か月ごと）"


@pytest.mark.parametrize(
    ("every", "label"),
    [(1, "1か月ごと"), (3, "3か月ごと"), (6, "6か月ごと"), (12, "年次"), (24, "2年ごと")],
)
def test_access_log_labels(table: ClosureTable, every: int, label: str) -> None:
    due = next_due(
        ob("access_log_review", D(2024, 4, 1), every_months=every), table, after=D(2024, 4, 1)
    )
    assert due is not None
    assert due.what == f"アクセスログ点検（{label}）"


def test_leap_day_anchor_yearly(table: ClosureTable) -> None:
    o = ob("pia_review", D(2024, 2, 29), roll="none")
    got = dues(o, table, after=D(2024, 2, 29), until=D(2028, 12, 31))
    assert [d.due_on for d in got] == [
        D(2025, 2, 28),
        D(2026, 2, 28),
        D(2027, 2, 28),
        D(2028, 2, 29),
    ]


def test_pia_reevaluation_every_five_years(table: ClosureTable) -> None:
    o = ob("pia_reevaluation", D(2020, 3, 31))
    got = dues(o, table, after=D(2020, 3, 31), until=D(2031, 1, 1))
    assert [(d.cycle, d.due_on) for d in got] == [
        (1, D(2025, 3, 31)),
        (2, D(2030, 4, 1)),
    ]  # 3/31 Sun
    assert {d.what for d in got} == {"PIA再評価（5年）"}
    assert got[0].step is DueStep.reevaluation


def test_data_erasure_is_due_once(table: ClosureTable) -> None:
    o = ob("data_erasure", D(2029, 3, 31), roll="previous_business_day")  # a Saturday
    (due,) = dues(o, table, after=D(2024, 1, 1), until=FAR)
    assert (due.due_on, due.cycle, due.step) == (D(2029, 3, 30), 1, DueStep.erasure)
    assert due.what == "リース終了時データ消去（立会い・証明書）"
    assert next_due(o, table, after=D(2029, 3, 30)) is None
    assert next_due(o, table, after=D(2029, 3, 29)) == due


# ---------------------------------------------------------------- range semantics


def test_range_is_open_at_after_and_closed_at_until(table: ClosureTable) -> None:
    o = ob("pia_review", D(2023, 4, 1), roll="none")
    assert [d.due_on for d in dues(o, table, after=D(2024, 4, 1), until=D(2025, 4, 1))] == [
        D(2025, 4, 1)
    ]
    assert dues(o, table, after=D(2024, 4, 2), until=D(2025, 3, 31)) == []
    assert dues(o, table, after=D(2024, 4, 1), until=D(2024, 4, 1)) == []


def test_due_rolled_past_after_is_included(table: ClosureTable) -> None:
    # raw 2025-12-28 (Sun) is before after=12/30, but it rolls to 2026-01-05
    o = ob("staff_training", D(2024, 12, 28))
    got = dues(o, table, after=D(2025, 12, 30), until=D(2026, 1, 31))
    assert [(d.cycle, d.due_on) for d in got] == [(1, D(2026, 1, 5))]
    assert next_due(o, table, after=D(2025, 12, 30)) == got[0]


def test_due_rolled_back_into_until_is_included(table: ClosureTable) -> None:
    # raw 2025-12-28 (Sun) is after until=12/27, but rolls back to Fri 12/26
    o = ob("staff_training", D(2024, 12, 28), roll="previous_business_day")
    got = dues(o, table, after=D(2025, 12, 1), until=D(2025, 12, 27))
    assert [d.due_on for d in got] == [D(2025, 12, 26)]
    assert dues(o, table, after=D(2025, 12, 26), until=D(2026, 1, 31)) == []


def test_rolled_dues_stay_inside_the_range(table: ClosureTable) -> None:
    o = ob("access_log_review", D(2024, 1, 31), every_months=1)
    for after, until in [(D(2025, 1, 1), D(2025, 12, 31)), (D(2025, 5, 2), D(2025, 8, 29))]:
        got = dues(o, table, after=after, until=until)
        assert got
        assert all(after < d.due_on <= until and table.is_business_day(d.due_on) for d in got)
        assert [d.due_on for d in got] == sorted({d.due_on for d in got})
        assert next_due(o, table, after=after) == got[0]


def test_dues_and_next_due_agree_everywhere(table: ClosureTable) -> None:
    o = ob("access_log_review", D(2024, 12, 29), every_months=1)
    after = D(2025, 1, 1)
    while after < D(2026, 1, 1):
        nd = next_due(o, table, after=after)
        assert nd is not None
        assert dues(o, table, after=after, until=nd.due_on) == [nd]
        after += timedelta(days=5)


def test_old_anchor_needs_no_closure_data_before_after() -> None:
    small = build_closure_table(2025, 2026)
    o = ob("pia_review", D(2001, 4, 1))
    got = dues(o, small, after=D(2025, 1, 1), until=D(2026, 12, 31))
    assert [(d.cycle, d.due_on) for d in got] == [(24, D(2025, 4, 1)), (25, D(2026, 4, 1))]


def test_table_starting_on_a_closed_after_day() -> None:
    small = build_closure_table(2025, 2026)  # 2025-01-01 is closed and the first day
    o = ob("pia_review", D(2024, 1, 1))
    due = next_due(o, small, after=D(2025, 1, 1))
    assert due is not None
    assert due.due_on == D(2025, 1, 6)  # raw 2025-01-01 rolls past after


def test_until_before_after_is_an_error(table: ClosureTable) -> None:
    with pytest.raises(ValueError, match="until 2025-01-01 precedes after 2025-02-01"):
        dues(ob("pia_review", D(2024, 1, 1)), table, after=D(2025, 2, 1), until=D(2025, 1, 1))


def test_due_outside_the_table_is_an_error() -> None:
    small = build_closure_table(2025, 2025)
    o = ob("pia_review", D(2025, 12, 28))  # 2026-12-28 is outside the table
    with pytest.raises(ValueError, match="outside the closure table"):
        next_due(o, small, after=D(2026, 6, 1))


def test_due_round_trips_through_json(table: ClosureTable) -> None:
    due = next_due(
        cert_ob(cert("isms", D(2023, 6, 15), D(2026, 6, 14))), table, after=D(2024, 1, 1)
    )
    assert due is not None
    assert Due.model_validate_json(due.model_dump_json()) == due


# ---------------------------------------------------------------- material change


@pytest.mark.parametrize(
    ("on", "within", "expected"),
    [
        (D(2025, 4, 25), 5, D(2025, 5, 7)),  # across Golden Week 2025
        (D(2025, 12, 26), 1, D(2026, 1, 5)),  # across 年末年始
        (D(2025, 6, 20), 1, D(2025, 6, 24)),  # local closure 6/23
        (D(2025, 9, 13), 0, D(2025, 9, 16)),  # closed day, 0 → next business day
        (D(2025, 9, 16), 0, D(2025, 9, 16)),
    ],
)
def test_material_change_due(table: ClosureTable, on: date, within: int, expected: date) -> None:
    due = material_change_due("pia-5y", on, table, within)
    assert (due.due_on, due.window_from, due.kind) == (
        expected,
        on,
        ObligationKind.pia_reevaluation,
    )
    assert due.step is DueStep.material_change
    assert due.key == f"pia-5y:1:material_change@{on.isoformat()}"
    assert due.what == f"PIA再評価（重要な変更 {on.year}年{on.month}月{on.day}日）"


def test_material_change_rejects_negative_and_bad_id(table: ClosureTable) -> None:
    with pytest.raises(ValueError, match="within_business_days must be >= 0, got -1"):
        material_change_due("pia", D(2025, 4, 1), table, -1)
    with pytest.raises(ValidationError, match="obligation_id"):
        material_change_due("PIA 5y", D(2025, 4, 1), table, 5)


# ---------------------------------------------------------------- reminder ladder


def test_ladder_defaults() -> None:
    ladder = ReminderLadder()
    assert ladder.before_business_days == [30, 7, 1]
    assert ladder.on_day is True
    assert ladder.escalate_after_business_days == [1]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"before_business_days": [30, -7, 1]},
            "before_business_days: Value error, before_business_days has -7: every offset "
            "must be between 1 and 260 business days",
        ),
        ({"before_business_days": [0]}, "before_business_days has 0"),
        ({"before_business_days": [261]}, "before_business_days has 261"),
        ({"before_business_days": [7, 1, 7, 1]}, "before_business_days repeats 1, 7"),
        ({"escalate_after_business_days": [-1]}, "escalate_after_business_days has -1"),
        ({"escalate_after_business_days": [0, 2]}, "escalate_after_business_days has 0"),
        ({"escalate_after_business_days": [3, 3]}, "escalate_after_business_days repeats 3"),
        ({"before_business_days": ["soon"]}, "before_business_days.0: Input should be a valid"),
        (
            {"before_business_days": [], "on_day": False, "escalate_after_business_days": []},
            "(root): Value error, the ladder has no rung",
        ),
        ({"weekly": True}, "weekly: Extra inputs are not permitted"),
    ],
)
def test_ladder_validation(data: dict[str, Any], expected: str) -> None:
    assert expected in invalid(ReminderLadder, data)


def keyed(rs: list[Any]) -> list[tuple[str, date, str]]:
    return [(r.key, r.on, r.audience.value) for r in rs]


def test_rungs_on_an_ordinary_day(table: ClosureTable) -> None:
    got = rungs(D(2025, 7, 15), ReminderLadder(), table)  # Tue; 7/21 海の日
    assert keyed(got) == [
        ("b30", D(2025, 6, 2), "owner"),  # 6/23 慰霊の日 is closed
        ("b7", D(2025, 7, 4), "owner"),
        ("b1", D(2025, 7, 14), "owner"),
        ("d0", D(2025, 7, 15), "owner"),
        ("e1", D(2025, 7, 16), "escalation"),
    ]


def test_rungs_across_golden_week(table: ClosureTable) -> None:
    ladder = ReminderLadder(before_business_days=[1, 7], escalate_after_business_days=[3, 1])
    assert keyed(rungs(D(2025, 5, 7), ladder, table)) == [
        ("b7", D(2025, 4, 23), "owner"),
        ("b1", D(2025, 5, 2), "owner"),
        ("d0", D(2025, 5, 7), "owner"),
        ("e1", D(2025, 5, 8), "escalation"),
        ("e3", D(2025, 5, 12), "escalation"),
    ]


def test_rungs_across_year_end(table: ClosureTable) -> None:
    ladder = ReminderLadder(before_business_days=[7, 1], escalate_after_business_days=[1, 5])
    assert keyed(rungs(D(2026, 1, 5), ladder, table)) == [
        ("b7", D(2025, 12, 18), "owner"),
        ("b1", D(2025, 12, 26), "owner"),
        ("d0", D(2026, 1, 5), "owner"),
        ("e1", D(2026, 1, 6), "escalation"),
        ("e5", D(2026, 1, 13), "escalation"),  # 1/12 成人の日
    ]


@pytest.mark.parametrize(
    ("due_on", "d0", "b1", "e1"),
    [
        (D(2025, 12, 31), D(2025, 12, 26), D(2025, 12, 25), D(2026, 1, 5)),  # 年末年始
        (D(2026, 6, 14), D(2026, 6, 12), D(2026, 6, 11), D(2026, 6, 15)),  # ISMS expiry, Sun
        (D(2025, 5, 3), D(2025, 5, 2), D(2025, 5, 1), D(2025, 5, 7)),  # 憲法記念日
        (D(2025, 6, 23), D(2025, 6, 20), D(2025, 6, 19), D(2025, 6, 24)),  # local closure
    ],
)
def test_rungs_for_a_closed_due_day(
    table: ClosureTable, due_on: date, d0: date, b1: date, e1: date
) -> None:
    by_key = {r.key: r.on for r in rungs(due_on, ReminderLadder(), table)}
    assert (by_key["d0"], by_key["b1"], by_key["e1"]) == (d0, b1, e1)
    assert table.is_closed(due_on)


def test_rungs_without_on_day_or_escalation(table: ClosureTable) -> None:
    ladder = ReminderLadder(before_business_days=[3], on_day=False, escalate_after_business_days=[])
    assert keyed(rungs(D(2025, 7, 15), ladder, table)) == [("b3", D(2025, 7, 10), "owner")]
    only_escalation = ReminderLadder(before_business_days=[], on_day=False)
    assert [r.audience for r in rungs(D(2025, 7, 15), only_escalation, table)] == [
        Audience.escalation
    ]


def test_rungs_are_business_days_in_strict_order_all_year(table: ClosureTable) -> None:
    ladder = ReminderLadder(
        before_business_days=[30, 10, 7, 3, 1], escalate_after_business_days=[1, 2, 5]
    )
    due_on = D(2025, 1, 1)
    while due_on <= D(2025, 12, 31):
        got = rungs(due_on, ladder, table)
        dates = [r.on for r in got]
        assert dates == sorted(set(dates)), due_on
        assert all(table.is_business_day(d) for d in dates)
        d0 = table.previous_business_day(due_on)
        for r in got:
            n = int(r.key[1:])
            if r.key[0] == "b":
                assert table.business_days_between(r.on, d0) == n
            elif r.key[0] == "e":
                assert table.business_days_between(due_on, r.on) == n
                assert r.on > due_on
        due_on += timedelta(days=1)


def test_rungs_for_every_due_of_a_certificate(table: ClosureTable) -> None:
    o = cert_ob(cert("privacy_mark", D(2022, 1, 1), D(2025, 1, 14)))
    filing, expiry = dues(o, table, after=D(2020, 1, 1), until=FAR)
    assert [r.on for r in rungs(filing.due_on, ReminderLadder(), table)][-2:] == [
        D(2024, 9, 17),
        D(2024, 9, 18),
    ]
    assert {r.key for r in rungs(expiry.due_on, ReminderLadder(), table)} == {
        "b30",
        "b7",
        "b1",
        "d0",
        "e1",
    }
