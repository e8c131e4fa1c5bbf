"""Every DOCX type opened by a real word processor: LibreOffice (headless) converts each to PDF
and the text a reader sees there is checked, so a DOCX that python-docx can read but a word
processor rejects or garbles fails here. First pages as <name>-libreoffice.png in
var/test-artifacts/documents/."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from activities.rendering import render
from models.documents import build_content
from models.documents.spec import DocFormat, DocType, GenerateDocumentInput, SessionSource
from tests.conftest import ROOT
from tests.document_readback import first_page_png, pdf_info, pdf_text, squeeze
from tests.unit.document_samples import FUJISAWA, sample_cases, style
from tests.unit.test_minutes import SECRET, record

TEMPLATES = ROOT / "templates"
BASIS = "（東村山市情報公開条例第6条第7号に該当する情報のため記載しない）"


def _inputs() -> dict[str, tuple[GenerateDocumentInput, list[str], list[str]]]:
    """name → (input, texts the reader must see, texts they must not)."""
    fujisawa = sample_cases("s02_fujisawa_870")["c870"]
    change = sample_cases("s01_shinjuku_pionet_change")["change"]
    niiza = sample_cases("s05_niiza_web_reservation")["web"]
    assert niiza.decision is not None
    condition = niiza.decision.conditions[0].text
    session = SessionSource(record=record())
    return {
        "shimonsho": (
            GenerateDocumentInput(doc_type=DocType.shimonsho, case=fujisawa),
            [fujisawa.document.title, "別紙", "【運用上の対策】"],
            [],
        ),
        "change-shimonsho": (
            GenerateDocumentInput(doc_type=DocType.shimonsho, case=change),
            [row.after for row in change.document.changes],
            [],
        ),
        "toshinsho": (
            GenerateDocumentInput(doc_type=DocType.toshinsho, case=fujisawa),
            [
                "2017年(平成29年)8月10日",
                "藤沢市長鈴木恒夫様",
                "1審議会の結論",
                "コンピュータ処理を行うことは適当であると認められる。",
            ],
            [],
        ),
        "kaigiroku": (
            GenerateDocumentInput(doc_type=DocType.kaigiroku, session=session),
            ["平成22年度第3回個人情報保護運営審議会", SECRET],
            [],
        ),
        "kaigiroku_public": (
            GenerateDocumentInput(doc_type=DocType.kaigiroku_public, session=session),
            ["会議録（公開用）", BASIS],
            [SECRET],
        ),
        "kaisai_tsuchi": (
            GenerateDocumentInput(doc_type=DocType.kaisai_tsuchi, session=session),
            ["の開催について（通知）", "自動電話催告システム"],
            [],
        ),
        "joken_hokoku": (
            GenerateDocumentInput(doc_type=DocType.joken_hokoku, case=niiza),
            ["条件の履行について（報告）", condition],
            [],
        ),
        "tokusoku": (
            GenerateDocumentInput(
                doc_type=DocType.tokusoku, case=niiza.model_copy(update={"verified": []})
            ),
            ["（依頼）", condition, "未履行"],
            [],
        ),
    }


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is missing: ./toshin installs libreoffice-writer-nogui"
    work = tmp_path_factory.mktemp("libreoffice")
    for name, (inp, _, _) in _inputs().items():
        look = FUJISAWA if inp.case is not None and name == "toshinsho" else style()
        content = build_content(inp, look)
        (work / f"{name}.docx").write_bytes(
            render(inp.doc_type, DocFormat.docx, content, TEMPLATES).data
        )
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{work / 'profile'}",  # no shared profile lock
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "pdf"),
            *sorted(str(p) for p in work.glob("*.docx")),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return {p.stem: p for p in (work / "pdf").glob("*.pdf")}


@pytest.mark.parametrize("name", list(_inputs()))
def test_libreoffice_opens_the_docx_and_shows_its_text(
    converted: dict[str, Path], name: str
) -> None:
    assert name in converted, f"LibreOffice made no PDF of {name}.docx"
    data = converted[name].read_bytes()
    first_page_png(data, f"{name}-libreoffice")
    assert int(pdf_info(data)["Pages"]) >= 1
    # without the page-number lines, so a passage that runs over a page break reads whole
    lines = [line for line in pdf_text(data).splitlines() if not line.strip().isdigit()]
    text = squeeze("\n".join(lines))
    _, present, absent = _inputs()[name]
    for words in present:
        assert squeeze(words) in text, f"{name}: {words!r} not in what LibreOffice shows"
    for words in absent:
        assert squeeze(words) not in text
