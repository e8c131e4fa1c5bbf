"""Every document type rendered for the public sample cases, as DOCX and PDF, and read back
(python-docx, pdftotext) for what a person would check; first pages as PNG in
var/test-artifacts/documents/. Also: equal data gives equal bytes, and a broken template
names the template and the missing field."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from activities.rendering import render
from edge.loaders import load_municipality
from models.case.states import Trigger
from models.documents import build_content
from models.documents.spec import (
    DocFormat,
    DocType,
    DocumentStyle,
    GenerateDocumentInput,
    SessionSource,
)
from models.errors import InvalidPayload, TemplateError
from tests.conftest import ROOT
from tests.document_readback import (
    docx_marked,
    docx_text,
    first_page_png,
    pdf_fonts,
    pdf_info,
    pdf_text,
    squeeze,
)
from tests.unit.document_samples import FUJISAWA, sample_cases, style
from tests.unit.test_minutes import SECRET, record

TEMPLATES = ROOT / "templates"
SAMPLES = [
    "s01_shinjuku_pionet_change",
    "s02_fujisawa_870",
    "s05_niiza_web_reservation",
    "s06_kashiwa_pia_review",
    "s10_report_items",
]


def both(inp: GenerateDocumentInput, look: DocumentStyle, name: str) -> tuple[str, str]:
    """Render DOCX and PDF; return both texts (PDF without whitespace); PNG of page 1."""
    content = build_content(inp, look)
    docx = render(inp.doc_type, DocFormat.docx, content, TEMPLATES).data
    pdf = render(inp.doc_type, DocFormat.pdf, content, TEMPLATES).data
    assert pdf.startswith(b"%PDF-")
    first_page_png(pdf, name)
    fonts = pdf_fonts(pdf)
    assert fonts and all(f.endswith("emb=yes") for f in fonts), fonts
    assert any("IPAex" in f or "CJK" in f for f in fonts), fonts
    return docx_text(docx), squeeze(pdf_text(pdf))


@pytest.mark.parametrize("stem", SAMPLES)
def test_consultation_and_answer_of_every_sample_case(stem: str) -> None:
    for alias, case in sample_cases(stem).items():
        title = case.document.title
        docx, pdf = both(
            GenerateDocumentInput(doc_type=DocType.shimonsho, case=case),
            style(),
            f"{stem}-{alias}-shimonsho",
        )
        for text in (docx, squeeze(pdf)):
            assert squeeze(title) in squeeze(text)
            assert "【運用上の対策】" in text or not case.document.operational_measures
        for measure in case.document.system_measures:
            assert squeeze(measure.text) in pdf
        if case.answer is None:
            continue
        docx, pdf = both(
            GenerateDocumentInput(doc_type=DocType.toshinsho, case=case),
            style(),
            f"{stem}-{alias}-toshinsho",
        )
        number = squeeze(case.answer.number)
        assert number in squeeze(docx) and number in pdf
        assert "1 審議会の結論" in docx and "3 審議会の判断理由" in docx
        if case.answer.conclusion:
            assert case.answer.conclusion in docx
            assert squeeze(case.answer.conclusion) in pdf
        for condition in case.decision.conditions if case.decision else []:
            assert condition.text in docx
            assert squeeze(condition.text) in pdf


def test_fujisawa_answer_reads_as_the_seed() -> None:
    case = sample_cases("s02_fujisawa_870")["c870"]
    docx, pdf = both(
        GenerateDocumentInput(doc_type=DocType.toshinsho, case=case), FUJISAWA, "fujisawa-870"
    )
    lines = docx.splitlines()
    assert lines[:2] == ["答申第870号", "2017年(平成29年)8月10日"]
    assert "藤沢市長 鈴木 恒夫 様" in lines
    assert pdf.startswith("答申第870号2017年(平成29年)8月10日藤沢市長鈴木恒夫様")
    conclusion = (
        "藤沢市個人情報の保護に関する条例第18条の規定によるコンピュータ処理を行うことは"
        "適当であると認められる。"
    )
    assert conclusion in docx and conclusion in pdf
    # the criteria matrix: every criterion a–f with the measures that meet it
    assert "ネットワークへの不正アクセスを防止するための措置" in docx
    assert "(イ)a" in docx and "以上のことから、安全対策上の措置が施されている" in pdf


def test_change_consultation_shows_the_marked_changes() -> None:
    change = sample_cases("s01_shinjuku_pionet_change")["change"]
    content = build_content(GenerateDocumentInput(doc_type=DocType.shimonsho, case=change), style())
    docx = render(DocType.shimonsho, DocFormat.docx, content, TEMPLATES).data
    pdf = render(DocType.shimonsho, DocFormat.pdf, content, TEMPLATES).data
    first_page_png(pdf, "s01-change-shimonsho")
    marked = "".join(docx_marked(docx))
    for change_row in change.document.changes:
        assert change_row.after in marked  # 変更後, bold and underlined
        assert change_row.before not in marked
    text = squeeze(pdf_text(pdf))
    assert "太字ゴシック（下線）が、既承認案件" in text
    for change_row in change.document.changes:
        assert squeeze(change_row.after) in text and squeeze(change_row.before) in text


def test_letters_for_the_niiza_case() -> None:
    case = sample_cases("s05_niiza_web_reservation")["web"]
    assert case.decision is not None
    condition = case.decision.conditions[0].text
    report_docx, report_pdf = both(
        GenerateDocumentInput(doc_type=DocType.joken_hokoku, case=case),
        style(),
        "s05-joken_hokoku",
    )
    assert "条件の履行について（報告）" in report_docx and condition in report_docx
    assert "履行済" in report_pdf
    open_case = case.model_copy(update={"verified": []})
    reminder_docx, reminder_pdf = both(
        GenerateDocumentInput(doc_type=DocType.tokusoku, case=open_case), style(), "s05-tokusoku"
    )
    assert "（依頼）" in reminder_docx and condition in reminder_docx
    assert "未履行" in reminder_pdf


def test_minutes_public_minutes_and_notice() -> None:
    source = SessionSource(record=record())
    basis = "（東村山市情報公開条例第6条第7号に該当する情報のため記載しない）"
    docx, pdf = both(
        GenerateDocumentInput(doc_type=DocType.kaigiroku, session=source), style(), "kaigiroku"
    )
    assert SECRET in docx and squeeze(SECRET) in pdf
    assert "平成22年度第3回個人情報保護運営審議会" in docx
    assert "諮問どおり行うことを「可」とする。" in pdf
    docx, pdf = both(
        GenerateDocumentInput(doc_type=DocType.kaigiroku_public, session=source),
        style(),
        "kaigiroku-public",
    )
    assert SECRET not in docx and squeeze(SECRET) not in pdf
    assert basis in docx and basis in pdf
    assert docx.splitlines()[0] == "会議録（公開用）"
    docx, pdf = both(
        GenerateDocumentInput(doc_type=DocType.kaisai_tsuchi, session=source),
        style(),
        "kaisai_tsuchi",
    )
    assert "の開催について（通知）" in docx and "自動電話催告システム" in pdf


def test_pdf_is_a4_with_page_numbers() -> None:
    case = sample_cases("s02_fujisawa_870")["c870"]
    content = build_content(GenerateDocumentInput(doc_type=DocType.shimonsho, case=case), style())
    pdf = render(DocType.shimonsho, DocFormat.pdf, content, TEMPLATES).data
    info = pdf_info(pdf)
    pages = int(info["Pages"])
    assert pages >= 2
    assert info["Page size"].endswith("(A4)")
    text = squeeze(pdf_text(pdf))
    for page in range(1, pages + 1):
        assert f"-{page}-" in text


RENDER_ONCE = """
import hashlib
from pathlib import Path
from activities.rendering import render
from models.documents import build_content
from models.documents.spec import DocFormat, DocType, GenerateDocumentInput
from tests.unit.document_samples import FUJISAWA, sample_cases
case = sample_cases("s02_fujisawa_870")["c870"]
content = build_content(GenerateDocumentInput(doc_type=DocType.toshinsho, case=case), FUJISAWA)
for fmt in DocFormat:
    print(hashlib.sha256(render(DocType.toshinsho, fmt, content, Path({templates!r})).data).hexdigest())
"""


def test_equal_data_gives_equal_bytes_across_processes() -> None:
    case = sample_cases("s02_fujisawa_870")["c870"]
    content = build_content(GenerateDocumentInput(doc_type=DocType.toshinsho, case=case), FUJISAWA)
    here = [
        hashlib.sha256(render(DocType.toshinsho, fmt, content, TEMPLATES).data).hexdigest()
        for fmt in DocFormat
    ]
    again = [
        hashlib.sha256(render(DocType.toshinsho, fmt, content, TEMPLATES).data).hexdigest()
        for fmt in DocFormat
    ]
    assert here == again
    other = subprocess.run(
        [sys.executable, "-c", RENDER_ONCE.format(templates=str(TEMPLATES))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert other.stdout.split() == here
    # and different data, different bytes
    changed = case.model_copy(
        update={"answer": case.answer.model_copy(update={"number": "第871号"})}  # type: ignore[union-attr]
    )
    content2 = build_content(
        GenerateDocumentInput(doc_type=DocType.toshinsho, case=changed), FUJISAWA
    )
    assert (
        hashlib.sha256(
            render(DocType.toshinsho, DocFormat.pdf, content2, TEMPLATES).data
        ).hexdigest()
        != here[1]
    )


@pytest.mark.parametrize("fmt", list(DocFormat))
def test_a_broken_template_names_the_template_and_the_missing_field(
    fmt: DocFormat, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    if fmt is DocFormat.pdf:
        page = templates / "html" / "toshinsho.html"
        page.write_text(page.read_text().replace("{{ conclusion }}", "{{ conclusoin }}"))
    else:
        from docx import Document

        path = templates / "docx" / "toshinsho.docx"
        doc = Document(str(path))
        doc.add_paragraph("{{ answer_officer }}")
        doc.save(str(path))
    case = sample_cases("s02_fujisawa_870")["c870"]
    content = build_content(GenerateDocumentInput(doc_type=DocType.toshinsho, case=case), style())
    with pytest.raises(TemplateError) as caught:
        render(DocType.toshinsho, fmt, content, templates)
    field = "conclusoin" if fmt is DocFormat.pdf else "answer_officer"
    name = "html/toshinsho.html" if fmt is DocFormat.pdf else "docx/toshinsho.docx"
    assert caught.value.field == field
    assert caught.value.message == f"template {name}: missing field '{field}'"
    (templates / name).unlink()
    with pytest.raises(TemplateError, match=f"template {name}: template file not found"):
        render(DocType.toshinsho, fmt, content, templates)


def test_markup_characters_in_the_data_are_text_not_markup() -> None:
    case = sample_cases("s02_fujisawa_870")["c870"]
    title = "R&D <試行> \"検証\" 'A' システム"
    odd = case.model_copy(update={"document": case.document.model_copy(update={"title": title})})
    for doc_type in (DocType.shimonsho, DocType.toshinsho):
        docx, pdf = both(
            GenerateDocumentInput(doc_type=doc_type, case=odd), style(), f"markup-{doc_type.value}"
        )
        assert title in docx
        assert squeeze(title) in pdf


def test_the_answer_is_signed_with_the_rosters_chair_not_the_role_label() -> None:
    """An answer issued by an account without a name (the actor is 「会長」): the issuer line
    names the chair from the council roster, as the seed prints 「…会長 畠山 関之」."""
    case = sample_cases("s02_fujisawa_870")["c870"]
    assert case.answer is not None
    history = [
        h.model_copy(update={"actor": h.actor.model_copy(update={"name": "会長"})})
        if h.trigger is Trigger.issue_answer
        else h
        for h in case.history
    ]
    unsigned = case.model_copy(update={"history": history})
    inp = GenerateDocumentInput(doc_type=DocType.toshinsho, case=unsigned)
    docx, pdf = both(inp, FUJISAWA, "fujisawa-870-unsigned")
    assert "藤沢市個人情報保護制度運営審議会会長" in docx.splitlines()
    assert "会長会長" not in squeeze(docx) and "会長会長" not in pdf
    signed = unsigned.model_copy(
        update={"answer": case.answer.model_copy(update={"signed_by": "畠山 関之"})}
    )
    inp = GenerateDocumentInput(doc_type=DocType.toshinsho, case=signed)
    docx, pdf = both(inp, FUJISAWA, "fujisawa-870-signed")
    assert "藤沢市個人情報保護制度運営審議会会長 畠山 関之" in docx.splitlines()
    assert "藤沢市長鈴木恒夫様藤沢市個人情報保護制度運営審議会会長畠山関之" in pdf


def test_the_consultations_own_number_is_printed_apart_from_the_answers() -> None:
    """The seed's preamble cites the consultation's number 「諮問（第870号）」; the answer
    carries its own 答申第N号 above the date, and the 諮問書 its 諮問第870号."""
    case = sample_cases("s02_fujisawa_870")["c870"]
    assert case.answer is not None and case.external_ref == "藤沢市 諮問第870号"
    answered = case.model_copy(
        update={"answer": case.answer.model_copy(update={"number": "第12号"})}
    )
    inp = GenerateDocumentInput(doc_type=DocType.toshinsho, case=answered)
    docx, pdf = both(inp, FUJISAWA, "fujisawa-870-answer-12")
    assert docx.splitlines()[0] == "答申第12号"
    assert pdf.startswith("答申第12号2017年(平成29年)8月10日")
    preamble = "2017年(平成29年)7月26日付けで諮問（第870号）された所管する情報処理システム"
    assert preamble in squeeze(docx) and preamble in pdf
    assert "諮問（第12号）" not in pdf and "諮問（第12号）" not in squeeze(docx)

    inp = GenerateDocumentInput(doc_type=DocType.shimonsho, case=answered)
    docx, pdf = both(inp, FUJISAWA, "fujisawa-870-shimonsho-number")
    assert docx.splitlines()[0] == "諮問第870号"
    assert pdf.startswith("諮問第870号")

    unnumbered = answered.model_copy(update={"external_ref": None})
    inp = GenerateDocumentInput(doc_type=DocType.toshinsho, case=unnumbered)
    docx, pdf = both(inp, FUJISAWA, "fujisawa-unnumbered")
    assert "7月26日付けで諮問された所管する" in pdf
    inp = GenerateDocumentInput(doc_type=DocType.shimonsho, case=unnumbered)
    docx, pdf = both(inp, FUJISAWA, "fujisawa-unnumbered-shimonsho")
    assert not docx.startswith("諮問第") and docx.splitlines()[0] != ""


def test_the_addressee_is_the_head_named_in_the_municipality_file(tmp_path: Path) -> None:
    """The 答申書 goes to the head by title and name from ``documents:`` in the municipality
    file (as the seed's 「藤沢市長 鈴木 恒夫 様」); the 諮問書 is issued in that name. A
    different name in the file prints; a bad one is refused naming the field."""
    town = load_municipality(ROOT / "config" / "municipality.yaml")
    case = sample_cases("s02_fujisawa_870")["c870"]
    docx, pdf = both(
        GenerateDocumentInput(doc_type=DocType.toshinsho, case=case),
        town.document_style(),
        "toshin-town-answer",
    )
    assert "とうしん市長 東 真一 様" in docx.splitlines() and "とうしん市長東真一様" in pdf
    docx, pdf = both(
        GenerateDocumentInput(doc_type=DocType.shimonsho, case=case),
        town.document_style(),
        "toshin-town-shimonsho",
    )
    assert "とうしん市長 東 真一" in docx.splitlines()

    text = (ROOT / "config" / "municipality.yaml").read_text(encoding="utf-8")
    other = tmp_path / "municipality.yaml"
    other.write_text(text.replace("addressee_name: 東 真一", "addressee_name: 西 花子"), "utf-8")
    docx, pdf = both(
        GenerateDocumentInput(doc_type=DocType.toshinsho, case=case),
        load_municipality(other).document_style(),
        "other-town-answer",
    )
    assert "とうしん市長西花子様" in pdf and "東真一" not in pdf
    other.write_text(text.replace("addressee_name: 東 真一", "addressee_name: [東]"), "utf-8")
    with pytest.raises(InvalidPayload, match=r"documents\.addressee_name"):
        load_municipality(other)


def test_nested_lists_are_numbered_as_the_seed_numbers_them() -> None:
    """Seed F's levels: 2 → (1) → ア → (ア) → a. The items under イ 処理する個人情報 are (ア),
    (イ) …; under ウ 安全対策 each group of measures is a (ア) and each measure a, b …; the
    criteria matrix cites them so ((ア)a); (1) stays the level of 諮問に至った経過."""
    case = sample_cases("s02_fujisawa_870")["c870"]
    doc = case.document
    inp = GenerateDocumentInput(doc_type=DocType.toshinsho, case=case)
    docx, pdf = both(inp, FUJISAWA, "fujisawa-870-nested")
    for text in (squeeze(docx), pdf):
        section = text[text.index("(2)コンピュータ処理について") : text.index("(3)実施時期")]
        items = section[section.index("イ処理する個人情報") : section.index("ウ安全対策")]
        assert f"(ア){squeeze(doc.record_items[0])}" in items
        assert f"(イ){squeeze(doc.record_items[1])}" in items
        assert "(1)" not in items and "(2)" not in items
        measures = section[section.index("ウ安全対策") :]
        first = squeeze(doc.operational_measures[0].text)
        assert measures.startswith(f"ウ安全対策(ア)運用上の対策a{first}")
        assert f"(イ)システム上の対策a{squeeze(doc.system_measures[0].text)}" in measures
    lines = docx.splitlines()
    assert lines.index("イ 処理する個人情報") < lines.index(f"　(ア) {doc.record_items[0]}")
