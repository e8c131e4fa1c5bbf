"""The department head's desk without an engine (the edge faked, the read model real): the 期限
page's counts and lists, the case page's lifecycle, document and evidence downloads that refuse
a changed file, and the evidence upload's limits. Every new route refuses another
department's case with 403."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from edge.cases import today_jst
from edge.evidence import MAX_BYTES
from edge.loaders import load_municipality
from models.accounts import UserRole
from models.calendar.jcalendar import build_closure_table
from models.case.document import Category
from models.case.payloads import Condition
from models.case.record import ActInput, CaseSnapshot
from models.case.states import CaseState
from models.errors import CaseError, CaseNotFound, ConditionClosed
from models.tracking.conditions import Evidence, TrackedCondition, TrackedObligation
from models.tracking.obligations import Obligation, next_due
from persistence.tables import CaseDeadlineRow, CaseRow, DocumentRow
from settings import Settings
from tests.conftest import ROOT
from tests.factories import creation, document
from web.app import create_app
from web.deps import Desk

PW = "correct horse battery"
PDF = b"%PDF-1.7\n% evidence\n"
CONDITION = Condition.model_validate(
    {
        "text": "データセンターを国内とすることを契約に盛り込む",
        "type": "contract_clause",
        "due": "before_contract",
        "owner": "保健センター",
    }
)

TRAINING = Obligation.model_validate(
    {"id": "training", "kind": "staff_training", "anchor": dt.date(2026, 4, 1)}
)
TRAINING_DUE = next_due(TRAINING, build_closure_table(2025, 2032, {}), after=dt.date(2026, 4, 1))


def snapshot(case_id: str, department: str, state: CaseState = CaseState.draft) -> CaseSnapshot:
    history = [creation(dt.date(2026, 4, 1))]
    return CaseSnapshot(
        case_id=case_id,
        external_ref=None,
        state=state,
        label="",
        category=Category.consultation,
        document=document(title=f"{department}の案件", department=department),
        fiscal_year=2026,
        next_deadline=None,
        next_deadline_what=None,
        allowed=[],
        history=history,
        warnings=[],
        triage=None,
        session=None,
        decision=None,
        answer=None,
        parked=None,
        admin_log=[],
        projected_seq=0,
        run_count=1,
    )


@dataclass
class FakeCases:
    snaps: dict[str, CaseSnapshot]
    acts: list[tuple[str, ActInput]] = field(default_factory=list)
    refuse: CaseError | None = None

    async def snapshot(self, case_id: str) -> CaseSnapshot:
        if case_id not in self.snaps:
            raise CaseNotFound(f"no case {case_id}")
        return self.snaps[case_id]

    async def act(self, case_id: str, inp: ActInput) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.acts.append((case_id, inp))


@dataclass
class FakeEdge:
    cases: FakeCases
    municipality: Any = field(
        default_factory=lambda: load_municipality(ROOT / "config" / "municipality.yaml")
    )


@dataclass
class World:
    client: TestClient
    desk: Desk
    cases: FakeCases
    settings: Settings


OURS, THEIRS = "0123456789ab", "ba9876543210"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path, database_url="")
    ours = snapshot(OURS, "保健センター", CaseState.conditions_pending).model_copy(
        update={
            "conditions": [
                TrackedCondition(number=1, condition=CONDITION, due_on=dt.date(2031, 4, 1))
            ],
            "obligations": [TrackedObligation(obligation=TRAINING, current=TRAINING_DUE)],
        }
    )
    cases = FakeCases({OURS: ours, THEIRS: snapshot(THEIRS, "納税課")})
    app = create_app(settings, edge=FakeEdge(cases))  # type: ignore[arg-type]
    desk: Desk = app.state.desk
    desk.users.add(
        username="kacho",
        display_name="保健 花子",
        roles=[UserRole.department_head],
        department="保健センター",
        password=PW,
    )
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield World(client, desk, cases, settings)
    desk.engine.dispose()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def log_in(client: TestClient) -> str:
    """Log in; answer the session's CSRF token."""
    token = _csrf(client.get("/login").text)
    client.post("/login", data={"username": "kacho", "password": PW, "csrf_token": token})
    return _csrf(client.get("/cases").text)


def _deadline(case_id: str, key: str, department: str, days: int) -> CaseDeadlineRow:
    return CaseDeadlineRow(
        case_id=case_id,
        key=key,
        department=department,
        case_number=case_id,
        title=f"件名 {key}",
        what=f"{key}の期限",
        due_on=today_jst() + dt.timedelta(days=days),
        status="open",
        updated_at=dt.datetime.now(dt.UTC),
    )


def _case(case_id: str, state: str, due_in: int | None, title: str) -> CaseRow:
    return CaseRow(
        case_id=case_id,
        title=title,
        kind="new_system",
        category="consultation",
        department="保健センター",
        state=state,
        fiscal_year=2026,
        seq=1,
        next_deadline=today_jst() + dt.timedelta(days=due_in) if due_in is not None else None,
        next_deadline_what="triage decision",
        updated_at=dt.datetime.now(dt.UTC),
    )


def test_the_deadlines_page_counts_and_lists_the_departments_own(world: World) -> None:
    with Session(world.desk.engine) as db:
        db.add_all(
            [
                _deadline("c1", "遅れ", "保健センター", -3),
                _deadline("c1", "十日後", "保健センター", 10),
                _deadline("c2", "四十五日後", "保健センター", 45),
                _deadline("c2", "八十日後", "保健センター", 80),
                _deadline("c2", "百二十日後", "保健センター", 120),
                _deadline("c3", "他課", "納税課", 5),
                _case("c4", "triage", 5, "事前協議中の案件"),
                _case("c5", "active", 7, "運用中の案件"),  # its deadlines are rows above
            ]
        )
        db.commit()
    log_in(world.client)
    page = world.client.get("/deadlines").text
    counts = re.findall(r'<tr data-count="(\d+)"[^>]*><th scope="row">([^<]+)</th>', page)
    assert [(label, int(n)) for n, label in counts] == [
        ("期限超過", 1),
        ("30日以内", 2),
        ("31〜60日後", 1),
        ("61〜90日後", 1),
    ]
    assert "遅れの期限" in page and "3日超過" in page
    assert "十日後の期限" in page and "事前協議の結果" in page  # a case not yet answered
    assert "四十五日後" not in page.split("期限の件数")[-1].split("30日以内に期限")[-1]
    assert "他課" not in page and "運用中の案件" not in page and "百二十日後" not in page
    assert '<script src="/static/deadlines.js" defer></script>' in page
    ninety = world.client.get("/deadlines", params={"days": 90}).text
    assert "八十日後の期限" in ninety and "百二十日後" not in ninety


def test_the_deadlines_page_with_nothing_due_says_what_it_will_show(world: World) -> None:
    log_in(world.client)
    page = world.client.get("/deadlines").text
    assert "90日以内に期限を迎えるものはありません" in page
    assert "deadline-chart" not in page  # no empty chart


def test_the_chart_library_is_served_by_the_desk(world: World) -> None:
    resp = world.client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert resp.status_code == 200 and "Chart.js v4" in resp.text[:200]
    assert world.client.get("/static/deadlines.js").status_code == 200


def test_a_council_member_has_no_deadlines_page(world: World) -> None:
    world.desk.users.add(
        username="iin",
        display_name="委員 一郎",
        roles=[UserRole.council],
        department=None,
        password=PW,
    )
    token = _csrf(world.client.get("/login").text)
    world.client.post("/login", data={"username": "iin", "password": PW, "csrf_token": token})
    assert world.client.get("/deadlines").status_code == 403


def test_the_case_page_lights_the_current_state_on_the_lifecycle(world: World) -> None:
    log_in(world.client)
    page = world.client.get(f"/cases/{OURS}").text
    lit = re.findall(r'<li class="current" aria-current="step">([^<]+)<', page)
    assert lit == ["条件履行中"]  # the one state lit
    drawn = page.split('class="lifecycle"', 1)[1]
    assert drawn.index(">起案中<") < drawn.index(">事前協議<") < drawn.index(">条件履行中<")
    assert "(済)" in page  # draft, where the case has been
    ahead = page.split("ここから進む先", 1)[1].split("</ul>", 1)[0]
    assert "条件履行確認 → 運用中" in ahead and "取下げ" not in ahead


def _document(world: World, content: bytes) -> tuple[str, Path]:
    path = world.settings.documents_path / OURS / "toshinsho-v11.pdf"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    doc_id = "d" * 20
    with Session(world.desk.engine) as db:
        db.add(
            DocumentRow(
                id=doc_id,
                subject="case",
                subject_id=OURS,
                doc_type="toshinsho",
                format="pdf",
                data_version="11",
                sha256=hashlib.sha256(content).hexdigest(),
                path=str(path),
                size=len(content),
                template="html/toshinsho.html",
                generated_at=dt.datetime.now(dt.UTC),
            )
        )
        db.commit()
    return doc_id, path


def test_a_document_downloads_only_while_it_matches_its_hash(world: World) -> None:
    doc_id, path = _document(world, PDF)
    log_in(world.client)
    page = world.client.get(f"/cases/{OURS}").text
    assert f"/cases/{OURS}/documents/{doc_id}" in page and "答申書(PDF)" in page
    assert str(world.settings.data_dir) not in page  # no server path
    resp = world.client.get(f"/cases/{OURS}/documents/{doc_id}")
    assert resp.status_code == 200 and resp.content == PDF
    assert resp.headers["content-type"] == "application/pdf"
    assert "attachment" in resp.headers["content-disposition"]
    path.write_bytes(PDF + b"changed")
    refused = world.client.get(f"/cases/{OURS}/documents/{doc_id}")
    assert refused.status_code == 409
    assert "作成時の内容と一致しない" in refused.text
    assert world.client.get(f"/cases/{OURS}/documents/{'e' * 20}").status_code == 404


def test_another_departments_files_are_403_on_every_route(world: World) -> None:
    token = log_in(world.client)
    for url in (f"/cases/{THEIRS}/documents/{'d' * 20}", f"/cases/{THEIRS}/evidence/{'0' * 64}"):
        assert world.client.get(url).status_code == 403
    resp = world.client.post(
        f"/cases/{THEIRS}/evidence",
        data={"csrf_token": token, "target": "condition:1"},
        files={"file": ("報告.pdf", PDF, "application/pdf")},
    )
    assert resp.status_code == 403 and world.cases.acts == []


def _upload(
    world: World, token: str, name: str, content: bytes, target: str = "condition:1"
) -> Any:
    return world.client.post(
        f"/cases/{OURS}/evidence",
        data={"csrf_token": token, "target": target, "note": "第12条"},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def test_an_uploaded_file_is_the_evidence_of_the_act_stored_privately(world: World) -> None:
    token = log_in(world.client)
    resp = _upload(world, token, "C:\\Users\\hoken\\契約書.pdf", PDF)
    assert resp.status_code == 303 and resp.headers["location"].endswith("done=submit_evidence")
    [(case_id, act)] = world.cases.acts
    sha = hashlib.sha256(PDF).hexdigest()
    assert case_id == OURS and act.trigger == "submit_evidence"
    assert act.payload == {
        "condition": 1,
        "file_ref": f"契約書.pdf (sha256:{sha})",
        "note": "第12条",
    }
    assert act.actor.name == "保健 花子(kacho)"
    stored = world.settings.data_dir / "evidence" / OURS / f"{sha}.pdf"
    assert stored.read_bytes() == PDF
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700

    # the engine recorded it: the case page links it, the download checks the hash
    cond = world.cases.snaps[OURS].conditions[0]
    evidence = Evidence(file_ref=act.payload["file_ref"], by="保健 花子", on=dt.date(2026, 12, 1))
    world.cases.snaps[OURS] = world.cases.snaps[OURS].model_copy(
        update={"conditions": [cond.model_copy(update={"evidence": [evidence]})]}
    )
    page = world.client.get(f"/cases/{OURS}").text
    assert f'href="/cases/{OURS}/evidence/{sha}"' in page and "契約書.pdf" in page
    download = world.client.get(f"/cases/{OURS}/evidence/{sha}")
    assert download.status_code == 200 and download.content == PDF
    assert "filename*=UTF-8''%E5%A5%91" in download.headers["content-disposition"]
    stored.write_bytes(b"%PDF-1.7 replaced")
    assert world.client.get(f"/cases/{OURS}/evidence/{sha}").status_code == 409
    unknown = world.client.get(f"/cases/{OURS}/evidence/{'0' * 64}")
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", 415, "この種類のファイルは添付できません"),
        ("report.pdf", b"\x89PNG\r\n\x1a\n", 415, "拡張子と合っていません"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_BYTES, 413, "ファイルが大きすぎます(上限 10 MB)"),
        ("empty.pdf", b"", 422, "ファイルを選んでください"),
        ("notes.txt", b"\xff\xfe\x00bad", 415, "拡張子と合っていません"),
    ],
)
def test_a_refused_upload_says_why_next_to_the_field_and_changes_nothing(
    world: World, name: str, content: bytes, status: int, message: str
) -> None:
    token = log_in(world.client)
    resp = _upload(world, token, name, content)
    assert resp.status_code == status
    assert re.search(r'id="upload-file-error">[^<]*' + re.escape(message), resp.text)
    assert 'aria-invalid="true"' in resp.text
    assert world.cases.acts == []
    assert not (world.settings.data_dir / "evidence").exists() or not any(
        (world.settings.data_dir / "evidence").rglob("*.*")
    )


def test_an_upload_the_engine_refuses_keeps_no_file(world: World) -> None:
    token = log_in(world.client)
    world.cases.refuse = ConditionClosed("condition 1 is already verified")
    resp = _upload(world, token, "契約書.pdf", PDF)
    assert resp.status_code == 422
    assert "すでに確認済みか免除されています" in resp.text
    assert not any((world.settings.data_dir / "evidence").rglob("*.pdf"))


def test_an_upload_without_the_csrf_token_is_refused(world: World) -> None:
    log_in(world.client)
    assert _upload(world, "forged", "契約書.pdf", PDF).status_code == 403
    assert world.cases.acts == []


def test_an_upload_whose_outcome_is_unknown_keeps_its_file(world: World) -> None:
    """The engine unreachable mid-act: the act may have landed, so the file it names stays."""
    token = log_in(world.client)
    world.cases.refuse = CaseError("engine unreachable at 127.0.0.1:7233")
    resp = _upload(world, token, "契約書.pdf", PDF)
    assert resp.status_code == 503
    assert len(list((world.settings.data_dir / "evidence").rglob("*.pdf"))) == 1


def test_a_file_can_be_the_evidence_of_an_obligation_due(world: World) -> None:
    token = log_in(world.client)
    page = world.client.get(f"/cases/{OURS}").text
    assert 'value="obligation:training"' in page and 'value="condition:1"' in page
    resp = _upload(world, token, "研修記録.xlsx", b"PK\x03\x04rest", "obligation:training")
    assert resp.status_code == 303 and resp.headers["location"].endswith("fulfil_obligation")
    [(_, act)] = world.cases.acts
    sha = hashlib.sha256(b"PK\x03\x04rest").hexdigest()
    assert act.trigger == "fulfil_obligation"
    assert act.payload == {
        "obligation": "training",
        "file_ref": f"研修記録.xlsx (sha256:{sha})",
        "note": "第12条",
    }


def test_an_upload_for_nothing_known_names_the_target_field(world: World) -> None:
    token = log_in(world.client)
    resp = _upload(world, token, "契約書.pdf", PDF, "somewhere:else")
    assert resp.status_code == 422
    assert re.search(r'id="upload-target-error">対象: ', resp.text)
    assert world.cases.acts == []


def test_an_act_over_the_size_budget_is_a_form_error_not_a_crash(world: World) -> None:
    token = log_in(world.client)
    resp = world.client.post(
        f"/cases/{OURS}/acts/report_material_change",
        data={"csrf_token": token, "reason": "変更" * 40_000},
    )
    assert resp.status_code == 422
    assert "入力内容" in resp.text or "payload" in resp.text
    assert world.cases.acts == []
