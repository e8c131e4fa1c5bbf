"""Read generated documents back as a person would see them: the text of a DOCX (python-docx)
and of a PDF (pdftotext), the marked runs of a DOCX, and a PNG of a PDF's first page."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path

from docx import Document

from tests.conftest import ROOT

ARTIFACTS = ROOT / "var" / "test-artifacts" / "documents"


def squeeze(text: str) -> str:
    """Without whitespace: lines wrap anywhere in Japanese text."""
    return re.sub(r"\s+", "", text)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def docx_marked(data: bytes) -> list[str]:
    """The text of every run that is bold and underlined (a marked change)."""
    doc = Document(io.BytesIO(data))
    runs = [
        r
        for t in doc.tables
        for row in t.rows
        for c in row.cells
        for p in c.paragraphs
        for r in p.runs
    ]
    runs += [r for p in doc.paragraphs for r in p.runs]
    return [r.text for r in runs if r.bold and r.underline and r.text.strip()]


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", f.name, "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def pdf_info(data: bytes) -> dict[str, str]:
    """pdfinfo's fields (Pages, Page size, …)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdfinfo", f.name], check=True, capture_output=True, text=True)
    pairs = (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def pdf_fonts(data: bytes) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdffonts", f.name], check=True, capture_output=True, text=True)
    return [line.split()[0] + " emb=" + line.split()[-5] for line in out.stdout.splitlines()[2:]]


def first_page_png(data: bytes, name: str) -> Path:
    """Render page 1 to var/test-artifacts/documents/<name>.png for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                f.name,
                str(ARTIFACTS / name),
            ],
            check=True,
        )
    return ARTIFACTS / f"{name}.png"
