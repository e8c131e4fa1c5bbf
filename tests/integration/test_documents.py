"""Documents on the dev server: the 答申書 when an answer is issued, the 会議録 when the minutes
are approved, the rest on demand (DocumentWorkflow, as the CLI asks); a broken template parks
the case's step (state unharmed) or leaves a failure record on the session, and a retry after
the fix succeeds. Files are read back and their hashes checked."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from edge.councils import CouncilService
from edge.documents import generate
from edge.scenarios import ScenarioRunner, load_scenario
from models.case.record import AdminInput
from models.case.states import CaseState, Role
from models.documents.spec import DocFormat, DocType, DocumentRequest
from models.errors import TemplateError
from models.session.record import SessionAct
from persistence.database import make_engine
from settings import Settings
from tests.conftest import ROOT
from tests.document_readback import docx_marked, docx_text, first_page_png, pdf_text, squeeze
from tests.factories import TEST_ADMIN, actor
from tests.integration.conftest import System, _drop_schema, _fresh_url, municipality
from tests.integration.test_cli import cli
from worker import build_worker

DATE_LINE = "2017年(平成29年)8月10日"  # config/municipality.yaml: seireki_wareki
CONCLUSION = (
    "藤沢市個人情報の保護に関する条例第18条の規定によるコンピュータ処理を行うことは"
    "適当であると認められる。"
)
H_BASIS = "（情報公開条例第6条第7号に該当する情報のため記載しない）"


@pytest.fixture
async def docs(
    temporal_env: WorkflowEnvironment,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    backend: str,
) -> AsyncIterator[System]:
    """The `system` of the other integration tests, with its own (breakable) templates."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=_fresh_url(backend, tmp_path),
        sqlite_busy_timeout_ms=200,
        templates_dir=templates,
    )
    client = temporal_env.client
    engine = make_engine(settings.read_model_url, sqlite_busy_timeout_ms=200)
    worker = build_worker(client, settings, executor, engine=engine, max_cached_workflows=0)
    async with worker:
        yield System(
            gateway=CaseService(client, settings, municipality()),
            engine=engine,
            settings=settings,
            worker=worker,
            client=client,
        )
    engine.dispose()
    if backend == "postgres":
        _drop_schema(settings.read_model_url)


async def run_scenario(system: System, relative: str) -> dict[str, str]:
    path = ROOT / "scenarios" / relative
    scenario = load_scenario(path)
    runner = ScenarioRunner(system.gateway, admin=TEST_ADMIN, unique=True)
    ids, results = await runner.run(scenario, path.parent)
    failed = [
        f"{r.number} {r.trigger}: expected {r.expected}, got {r.got}" for r in results if not r.ok
    ]
    assert not failed, failed
    return ids


def rows(system: System, subject_id: str) -> list[tuple[object, ...]]:
    return system.sql(
        "SELECT doc_type, format, data_version, sha256, path, size, template FROM documents "
        "WHERE subject_id = :s ORDER BY doc_type, format, data_version",
        s=subject_id,
    )


def check_file(row: tuple[object, ...]) -> bytes:
    """The stored file exists and is what its row says (SHA-256 and size)."""
    path = Path(str(row[4]))
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == row[3]
    assert len(data) == row[5]
    return data


@pytest.mark.both_dbs
async def test_issuing_the_answer_generates_the_toshinsho(docs: System) -> None:
    case_id = (await run_scenario(docs, "s02_fujisawa_870.yaml"))["c870"]
    snap = await docs.gateway.snapshot(case_id)
    assert snap.state is CaseState.active and snap.parked is None
    issued = next(h.seq for h in snap.history if h.trigger and h.trigger.value == "issue_answer")
    found = rows(docs, case_id)
    assert [(r[0], r[1], r[2]) for r in found] == [
        ("toshinsho", "docx", str(issued)),
        ("toshinsho", "pdf", str(issued)),
    ]
    docx, pdf = (check_file(r) for r in found)
    assert Path(str(found[0][4])).is_relative_to(docs.settings.documents_path / case_id)
    text = docx_text(docx)
    assert text.splitlines()[:2] == ["答申第870号", DATE_LINE]
    assert "とうしん市長 東 真一 様" in text.splitlines()  # the head named in the municipality file
    assert "付けで諮問（第870号）された" in text and CONCLUSION in text  # the case's own number
    pdf_plain = squeeze(pdf_text(pdf))
    assert pdf_plain.startswith(f"答申第870号{DATE_LINE}とうしん市長東真一様")
    assert CONCLUSION in pdf_plain
    print(first_page_png(pdf, "lifecycle-toshinsho"))

    # on demand, from the case as it is now (a later seq): a new row, the same content hash
    again = await generate(
        docs.client, docs.settings, DocumentRequest(doc_type=DocType.toshinsho, subject_id=case_id)
    )
    assert {d.sha256 for d in again} == {str(r[3]) for r in found}
    twice = await generate(
        docs.client, docs.settings, DocumentRequest(doc_type=DocType.toshinsho, subject_id=case_id)
    )
    assert [d.id for d in twice] == [d.id for d in again]
    assert len(rows(docs, case_id)) == 4  # two data versions × two formats, no duplicates


async def test_consultation_of_a_change_case_marks_its_changes(docs: System) -> None:
    ids = await run_scenario(docs, "s01_shinjuku_pionet_change.yaml")
    result = await generate(
        docs.client,
        docs.settings,
        DocumentRequest(doc_type=DocType.shimonsho, subject_id=ids["change"]),
    )
    snap = await docs.gateway.snapshot(ids["change"])
    by_format = {d.format: Path(d.path).read_bytes() for d in result}
    marked = "".join(docx_marked(by_format[DocFormat.docx]))
    text = squeeze(pdf_text(by_format[DocFormat.pdf]))
    assert "太字ゴシック（下線）が、既承認案件" in text
    for change in snap.document.changes:
        assert change.after in marked and change.before not in marked
        assert squeeze(change.after) in text
    first_page_png(by_format[DocFormat.pdf], "lifecycle-s01-change-shimonsho")


async def test_a_broken_template_parks_the_step_and_a_retry_after_the_fix_succeeds(
    docs: System,
) -> None:
    page = docs.settings.templates_dir / "html" / "toshinsho.html"
    good = page.read_text()
    page.write_text(good.replace("{{ conclusion }}", "{{ conclusoin }}"))
    case_id = (await run_scenario(docs, "s02_fujisawa_870.yaml"))["c870"]
    snap = await docs.gateway.snapshot(case_id)
    assert snap.parked is not None
    assert snap.parked.step == "generate_document"
    assert "template html/toshinsho.html: missing field 'conclusoin'" in snap.parked.error
    # the case is unharmed: answered and applied, answer and decision kept
    assert snap.state is CaseState.active
    assert snap.answer is not None and snap.answer.number == "第870号"
    assert rows(docs, case_id) == []

    page.write_text(good)
    admin = AdminInput(actor=actor(Role.admin, "管理者"), reason="テンプレート修正")
    after = await docs.gateway.admin(case_id, "retry", admin)
    assert after.parked is None and after.state is CaseState.active
    assert [a.action for a in after.admin_log] == ["retry"]
    found = rows(docs, case_id)
    assert [(r[0], r[1]) for r in found] == [("toshinsho", "docx"), ("toshinsho", "pdf")]
    assert CONCLUSION in squeeze(pdf_text(check_file(found[1])))


async def test_approving_the_minutes_generates_the_kaigiroku_and_its_public_version(
    docs: System,
) -> None:
    ids = await run_scenario(docs, "sessions/h_higashimurayama_closed_session.yaml")
    session_id = ids["h22_3"]
    found = rows(docs, session_id)
    assert sorted({(r[0], r[1]) for r in found}) == [
        ("kaigiroku", "docx"),
        ("kaigiroku", "pdf"),
        ("kaigiroku_public", "docx"),
        ("kaigiroku_public", "pdf"),
    ]
    files = {(r[0], r[1]): check_file(r) for r in found}
    internal = docx_text(files[("kaigiroku", "docx")])
    assert "開催日時" in internal and "自動電話催告システム" in internal
    assert "諮問どおり行うことを「可」とする。" in internal
    public_pdf = squeeze(pdf_text(files[("kaigiroku_public", "pdf")]))
    assert H_BASIS in public_pdf and H_BASIS in docx_text(files[("kaigiroku_public", "docx")])
    assert H_BASIS not in squeeze(internal)
    first_page_png(files[("kaigiroku_public", "pdf")], "lifecycle-kaigiroku-public")

    notice = await generate(
        docs.client,
        docs.settings,
        DocumentRequest(doc_type=DocType.kaisai_tsuchi, subject_id=session_id),
    )
    notice_text = docx_text(Path(notice[0].path).read_bytes())
    assert "の開催について（通知）" in notice_text and "自動電話催告システム" in notice_text


async def test_a_broken_minutes_template_is_recorded_on_the_session_and_retried(
    docs: System,
) -> None:
    page = docs.settings.templates_dir / "html" / "kaigiroku.html"
    good = page.read_text()
    page.write_text(good.replace("{{ row.value }}", "{{ row.valeu }}"))
    ids = await run_scenario(docs, "sessions/h_higashimurayama_closed_session.yaml")
    session_id = ids["h22_3"]
    councils = CouncilService(docs.client, docs.settings, docs.gateway.municipality)
    snap = await councils.session(session_id)
    assert [f.doc_type for f in snap.document_failures] == ["kaigiroku", "kaigiroku_public"]
    assert "template html/kaigiroku.html: missing field 'valeu'" in snap.document_failures[0].error
    assert any(w.code == "document_failed" for w in snap.warnings)
    assert rows(docs, session_id) == []

    page.write_text(good)
    secretariat = SessionAct(actor=actor(Role.secretariat, "事務局"))
    snap = await councils.act(session_id, "retry_documents", secretariat)
    assert snap.document_failures == []
    assert len(rows(docs, session_id)) == 4


async def test_cli_generates_lists_and_refuses_bad_input(docs: System) -> None:
    case_id = (await run_scenario(docs, "s05_niiza_web_reservation.yaml"))["web"]
    code, out, err = await cli(
        docs,
        "document",
        "generate",
        "--case",
        case_id,
        "--type",
        "joken_hokoku",
        "--format",
        "pdf",
        "--json",
    )
    assert code == 0, err
    [made] = json.loads(out)
    assert made["doc_type"] == "joken_hokoku" and made["format"] == "pdf"
    assert "条件の履行について（報告）" in squeeze(pdf_text(Path(made["path"]).read_bytes()))

    code, out, err = await cli(docs, "document", "list", "--case", case_id, "--json")
    assert code == 0, err
    listed = {(d["doc_type"], d["format"]): d["sha256"] for d in json.loads(out)}
    assert listed[("joken_hokoku", "pdf")] == made["sha256"]
    assert ("toshinsho", "pdf") in listed  # from the lifecycle

    code, out, err = await cli(
        docs, "document", "generate", "--case", case_id, "--type", "kaigiroku"
    )
    assert (
        code == 1
        and err.strip() == "error: InvalidPayload: --type kaigiroku is made from a session"
    )
    code, out, err = await cli(
        docs, "document", "generate", "--case", "000000000000", "--type", "toshinsho"
    )
    assert code == 1 and err.startswith("error: CaseNotFound: no case 000000000000")

    page = docs.settings.templates_dir / "docx" / "tokusoku.docx"
    page.write_bytes(b"not a zip")
    code, out, err = await cli(
        docs, "document", "generate", "--case", case_id, "--type", "tokusoku", "--format", "docx"
    )
    assert code == 1 and err.startswith("error: TemplateError: template docx/tokusoku.docx")
    with pytest.raises(TemplateError):
        await generate(
            docs.client,
            docs.settings,
            DocumentRequest(doc_type=DocType.tokusoku, subject_id=case_id),
        )


async def test_the_session_passes_the_answer_text_to_the_toshinsho(docs: System) -> None:
    ids = await run_scenario(docs, "sessions/s02_fujisawa_870_session.yaml")
    case_id = ids["c870"]
    snap = await docs.gateway.snapshot(case_id)
    assert snap.answer is not None and snap.answer.explanation_summary and snap.answer.reasons
    found = {(r[0], r[1]): check_file(r) for r in rows(docs, case_id)}
    text = squeeze(docx_text(found[("toshinsho", "docx")]))
    assert squeeze(snap.answer.explanation_summary) in text  # 2 実施機関の説明要旨
    assert squeeze(snap.answer.reasons) in text  # 3 審議会の判断理由
    # signed with the roster's chair though the act named no one (not 「…会長 会長」)
    assert "藤沢市個人情報保護制度運営審議会会長畠山関之" in text
    assert snap.answer.signed_by == "畠山 関之"
    assert "第870号" in text and CONCLUSION in text
    assert {kind for kind, _ in found} == {"toshinsho"}  # the 会議録 is the session's
    session_rows = rows(docs, ids["s2017"])
    assert {r[0] for r in session_rows} == {"kaigiroku", "kaigiroku_public"}
