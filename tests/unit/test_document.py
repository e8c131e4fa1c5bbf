"""The consultation document (models/case/document.py) and the triage table (models/case/triage.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from models.case.document import CaseKind, Category, PlannedStart, missing_fields
from models.case.triage import DEFAULT_TRIAGE_TABLE, KindRule, Requirement, TriageTable
from models.errors import describe_validation_error
from tests.factories import document

D = dt.date


def errors_of(**overrides: Any) -> str:
    with pytest.raises(ValidationError) as exc:
        document(**overrides)
    return describe_validation_error(exc.value, "document")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"colour": "red"}, "document.colour: Extra inputs are not permitted"),
        ({"vendor": {"name": "A社", "ceo": "x"}}, "document.vendor.ceo: Extra inputs are not"),
        ({"kind": "survey"}, "document.kind: Input should be 'external_linkage'"),
        ({"category": "opinion"}, "document.category: Input should be 'consultation' or 'report'"),
        ({"scope": "all"}, "document.scope: Input should be 'individual' or 'comprehensive'"),
        ({"title": ""}, "document.title: String should have at least 1 character"),
        (
            {"operational_measures": [{"text": "施錠", "criterion": "z"}]},
            "document.operational_measures.0.criterion: Input should be 'a', 'b'",
        ),
        (
            {"planned_start": {"year": 2025, "month": 6, "day": 1, "jun": "early"}},
            "document.planned_start: Value error, give either day or jun (上旬/中旬/下旬), "
            "not both and not neither",
        ),
        (
            {"planned_start": {"year": 2025, "month": 6}},
            "document.planned_start: Value error, give either day or jun",
        ),
        (
            {"planned_start": {"year": 2025, "month": 2, "day": 30}},
            "document.planned_start: Value error, day is out of range for month",
        ),
        (
            {"planned_start": {"year": 2025, "month": 2, "day": 29}},  # not a leap year
            "document.planned_start: Value error, day is out of range for month",
        ),
        (
            {"planned_start": {"year": 2025, "month": 13, "jun": "early"}},
            "document.planned_start.month: Input should be less than or equal to 12",
        ),
        (
            {"planned_start": {"year": 2025, "month": 6, "jun": "first"}},
            "document.planned_start.jun: Input should be 'early', 'middle' or 'late'",
        ),
    ],
)
def test_invalid_document_names_the_field(overrides: dict[str, Any], expected: str) -> None:
    assert expected in errors_of(**overrides)


@pytest.mark.parametrize(
    ("value", "earliest"),
    [
        ("2025-06-15", D(2025, 6, 15)),
        (D(2025, 6, 15), D(2025, 6, 15)),
        ({"year": 2024, "month": 2, "day": 29}, D(2024, 2, 29)),  # leap year
        ({"year": 2025, "month": 6, "jun": "early"}, D(2025, 6, 1)),
        ({"year": 2025, "month": 6, "jun": "middle"}, D(2025, 6, 11)),
        ({"year": 2024, "month": 2, "jun": "late"}, D(2024, 2, 21)),
    ],
)
def test_planned_start_precision(value: Any, earliest: dt.date) -> None:
    start = document(planned_start=value).planned_start
    assert start is not None and start.earliest == earliest


def test_planned_start_from_a_date_has_day_precision() -> None:
    start = PlannedStart.model_validate("2025-06-15")
    assert (start.year, start.month, start.day, start.jun) == (2025, 6, 15, None)


def test_document_is_immutable() -> None:
    doc = document()
    with pytest.raises(ValidationError):
        doc.title = "別件"  # type: ignore[misc]


# ---------------------------------------------------------------- missing_fields

MEASURES = ["operational_measures", "system_measures"]
BASE = ["affair", "reason", "planned_start"]


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        (
            CaseKind.external_linkage,
            [*BASE, "record_items", "counterparty", "linkage_form", *MEASURES],
        ),
        (CaseKind.outsourcing, [*BASE, "record_items", "counterparty", *MEASURES, "vendor"]),
        (CaseKind.computer_processing, [*BASE, "record_items", *MEASURES]),
        (CaseKind.external_provision, [*BASE, "record_items", "counterparty", *MEASURES]),
        (CaseKind.indirect_collection, [*BASE, "record_items", *MEASURES]),
        (CaseKind.record_items, [*BASE, "record_items", *MEASURES]),
        (CaseKind.pia_review, [*BASE, *MEASURES]),
        (CaseKind.system_review, BASE),
    ],
)
def test_missing_fields_of_a_bare_consultation(kind: CaseKind, missing: list[str]) -> None:
    bare = document(
        kind=kind,
        affair=None,
        reason=None,
        planned_start=None,
        record_items=[],
        counterparty=None,
        linkage_form=None,
        operational_measures=[],
        system_measures=[],
    )
    assert missing_fields(bare) == missing


def test_report_needs_no_safety_measures() -> None:
    doc = document(
        kind="record_items", category="report", operational_measures=[], system_measures=[]
    )
    assert missing_fields(doc) == []


def test_complete_document_misses_nothing() -> None:
    assert missing_fields(document()) == []


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"affair": {"name": "集団検診"}}, ["affair.purpose"]),
        ({"reason": ""}, ["reason"]),
        (
            {"vendor": {"name": "株式会社予約"}},
            ["vendor.data_handling", "vendor.work_place", "vendor.selection"],
        ),
        (
            {
                "vendor": {
                    "name": "株式会社予約",
                    "data_handling": "予約データのみ",
                    "work_place": "都内データセンター",
                    "selection": "プロポーザル",
                }
            },
            [],
        ),
        ({"changes": [{"item": "保存期間", "before": "1年", "after": "3年"}]}, ["parent_case"]),
        (
            {
                "changes": [{"item": "保存期間", "before": "1年", "after": "3年"}],
                "parent_case": "0123456789ab",
            },
            [],
        ),
    ],
)
def test_missing_fields_details(overrides: dict[str, Any], missing: list[str]) -> None:
    assert missing_fields(document(**overrides)) == missing


# ---------------------------------------------------------------- triage table


OLD, REFORM, OLD_LAST = D(2000, 1, 1), D(2023, 4, 1), D(2023, 3, 31)
Period = tuple[str, dt.date, dt.date | None]


def table(*periods: Period) -> TriageTable:
    return TriageTable(
        municipality="東京都新宿区",
        rules=[
            KindRule(
                kind=kind,
                requirement="required",
                legal_basis="条例",
                effective_from=start,
                effective_to=end,
            )
            for kind, start, end in periods
        ],
    )


@pytest.mark.parametrize(
    ("periods", "overlap"),
    [
        # adjacent: the old rule ends the day before the new one starts
        ([("outsourcing", OLD, OLD_LAST), ("outsourcing", REFORM, None)], False),
        # sharing one day (effective_to is inclusive)
        ([("outsourcing", OLD, REFORM), ("outsourcing", REFORM, None)], True),
        ([("outsourcing", REFORM, None), ("outsourcing", OLD, REFORM)], True),
        # two open-ended rules
        ([("outsourcing", OLD, None), ("outsourcing", REFORM, None)], True),
        # one period inside the other, in either order
        ([("outsourcing", OLD, None), ("outsourcing", D(2010, 1, 1), D(2011, 1, 1))], True),
        ([("outsourcing", D(2010, 1, 1), D(2011, 1, 1)), ("outsourcing", OLD, None)], True),
        # different kinds never overlap
        ([("outsourcing", OLD, None), ("pia_review", OLD, None)], False),
    ],
)
def test_triage_table_rejects_overlapping_rules(periods: list[Period], overlap: bool) -> None:
    if overlap:
        with pytest.raises(ValidationError, match="rules for kind outsourcing overlap in time"):
            table(*periods)
    else:
        assert [(r.kind, r.effective_from, r.effective_to) for r in table(*periods).rules] == (
            periods
        )


def test_triage_table_needs_a_rule() -> None:
    with pytest.raises(ValidationError, match="rules"):
        TriageTable(municipality="東京都新宿区", rules=[])


@pytest.mark.parametrize("kind", list(CaseKind))
@pytest.mark.parametrize(
    ("on", "effective_from"),
    [
        (D(2023, 3, 31), D(2000, 1, 1)),
        (D(2023, 4, 1), D(2023, 4, 1)),
    ],
)
def test_rule_for_picks_the_rule_in_force_on_the_date(
    kind: CaseKind, on: dt.date, effective_from: dt.date
) -> None:
    found = DEFAULT_TRIAGE_TABLE.rule_for(kind, on)
    assert found is not None
    assert (found.kind, found.effective_from) == (kind, effective_from)


@pytest.mark.parametrize(
    ("kind", "before", "after"),
    [
        (CaseKind.external_linkage, Requirement.required, Requirement.optional),
        (CaseKind.outsourcing, Requirement.required, Requirement.optional),
        (CaseKind.record_items, Requirement.report, Requirement.report),
        (CaseKind.pia_review, Requirement.required, Requirement.required),
        (CaseKind.system_review, Requirement.optional, Requirement.optional),
    ],
)
def test_requirement_changes_at_the_reform(
    kind: CaseKind, before: Requirement, after: Requirement
) -> None:
    old = DEFAULT_TRIAGE_TABLE.rule_for(kind, D(2023, 3, 31))
    new = DEFAULT_TRIAGE_TABLE.rule_for(kind, D(2023, 4, 1))
    assert old is not None and old.requirement is before
    assert new is not None and new.requirement is after


def test_no_rule_before_the_table_starts() -> None:
    assert DEFAULT_TRIAGE_TABLE.rule_for(CaseKind.outsourcing, D(1999, 12, 31)) is None
    assert DEFAULT_TRIAGE_TABLE.rule_for(CaseKind.outsourcing, D(2000, 1, 1)) is not None


def test_category_default_is_consultation() -> None:
    assert document().category is Category.consultation
