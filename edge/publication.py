"""The public record of a fiscal year (公表用), as a static folder a municipality uploads to
its website: the 答申書 issued in the year (the PDF as generated) and the public minutes of
the year's sessions (the redacted version only, 会議録 公開用), with ``index.csv``.

Reproducible byte for byte: files in a fixed order with fixed names, every file and folder
dated the last day of the fiscal year, the CSV written from sorted rows. Answers are found
through the precedents index (persistence/precedents.py; reconcile backfills it), their
files through the documents table, each file checked against its recorded SHA-256."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from edge.documents import verified_bytes
from models.accounts import UserRole, UserView
from models.calendar.wareki import fiscal_year_range
from models.documents.spec import DocFormat, DocType
from models.errors import InvalidPayload, RoleNotAllowed
from models.labels import OUTCOME_LABELS, session_label
from models.precedents import PassageSource
from models.session.record import ItemOutcome, MinutesState
from persistence.tables import CouncilRow, DocumentRow, PrecedentRow, SessionRow, TransitionRow
from settings import Settings

JST = dt.timezone(dt.timedelta(hours=9))
HEADER = ["種別", "番号", "件名", "担当課", "諮問日", "答申日・開催日", "結論", "ファイル"]
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class ExportReport:
    """What the export wrote: counts, the folder, and files the index lists without a PDF."""

    out: Path
    answers: int = 0
    minutes: int = 0
    missing: list[str] = field(default_factory=list)  # "答申第870号: no PDF generated"


PUBLISH_ROLES = frozenset({UserRole.secretariat, UserRole.admin})


def may_publish(user: UserView) -> None:
    """RoleNotAllowed unless the account is the secretariat's (or an administrator)."""
    if not any(role in PUBLISH_ROLES for role in user.roles):
        raise RoleNotAllowed(f"{user.username}: the public record is exported by the secretariat")


def check_fiscal_year(fiscal_year: int) -> int:
    if not 1989 <= fiscal_year <= 2200:
        raise InvalidPayload(f"fiscal_year: {fiscal_year} is not a fiscal year (e.g. 2025)")
    return fiscal_year


def export_year(
    engine: Engine,
    documents_root: Path,
    fiscal_year: int,
    out: Path,
    settings: Settings | None = None,
) -> ExportReport:
    """Write the fiscal year's public record into ``out`` (which must be empty or absent).
    ``settings`` name the keyring that opens files sealed at rest."""
    check_fiscal_year(fiscal_year)
    keys = settings or Settings()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidPayload(f"out: {out} is not an empty folder")
    report = ExportReport(out=out)
    rows: list[list[str]] = []
    files: dict[str, bytes] = {}
    with Session(engine) as db:
        for answer in _answers(db, fiscal_year):
            name = f"answers/{answer.on:%Y%m%d}-{_safe(answer.case_id)}.pdf"
            pdf = _latest_pdf(db, answer.case_id, DocType.toshinsho)
            if pdf is None:
                report.missing.append(f"答申{answer.answer_number}: no PDF generated")
                name = ""
            else:
                files[name] = verified_bytes(Path(pdf.path), pdf.sha256, documents_root, keys)
            outcome = ItemOutcome(answer.outcome) if answer.outcome else None
            rows.append(
                [
                    "答申",
                    answer.answer_number or "",
                    answer.title,
                    answer.department,
                    _consulted_on(db, answer.case_id),
                    answer.on.isoformat(),
                    OUTCOME_LABELS[outcome] if outcome else "",
                    name,
                ]
            )
            report.answers += 1
        for session_row, council in _sessions(db, fiscal_year):
            pdf = _latest_pdf(db, session_row.session_id, DocType.kaigiroku_public)
            label = session_label(session_row.fiscal_year, session_row.ordinal)
            name = f"minutes/{session_row.held_on:%Y%m%d}-{_safe(session_row.session_id)}.pdf"
            if pdf is None:
                report.missing.append(f"{council}{label} 会議録: no public PDF generated")
                name = ""
            else:
                files[name] = verified_bytes(Path(pdf.path), pdf.sha256, documents_root, keys)
            rows.append(
                ["会議録", label, f"{council} {label}", "", "", session_row.held_on.isoformat(),
                 "", name]
            )  # fmt: skip
            report.minutes += 1
    files["index.csv"] = _csv(rows)
    _write(out, files, _stamp(fiscal_year))
    return report


def _answers(db: Session, fiscal_year: int) -> list[PrecedentRow]:
    first, last = fiscal_year_range(fiscal_year)
    query = (
        select(PrecedentRow)
        .where(PrecedentRow.source == PassageSource.subject.value)
        .where(col(PrecedentRow.session_id).is_(None))
        .where(col(PrecedentRow.on) >= first, col(PrecedentRow.on) <= last)
        .order_by(col(PrecedentRow.on), col(PrecedentRow.answer_number), col(PrecedentRow.key))
    )
    return list(db.exec(query))


def _sessions(db: Session, fiscal_year: int) -> list[tuple[SessionRow, str]]:
    query = (
        select(SessionRow, CouncilRow.name)
        .join(CouncilRow, col(CouncilRow.council_id) == col(SessionRow.council_id), isouter=True)
        .where(SessionRow.fiscal_year == fiscal_year)
        .where(SessionRow.minutes == MinutesState.published.value)
        .order_by(col(SessionRow.held_on), col(SessionRow.session_id))
    )
    return [(row, name or "") for row, name in db.exec(query)]


def _latest_pdf(db: Session, subject_id: str, doc_type: DocType) -> DocumentRow | None:
    query = (
        select(DocumentRow)
        .where(DocumentRow.subject_id == subject_id)
        .where(DocumentRow.doc_type == doc_type.value)
        .where(DocumentRow.format == DocFormat.pdf.value)
        .order_by(col(DocumentRow.generated_at).desc(), col(DocumentRow.id).desc())
    )
    return db.exec(query).first()


def _consulted_on(db: Session, case_id: str) -> str:
    query = (
        select(func.min(TransitionRow.on))
        .where(TransitionRow.case_id == case_id)
        .where(TransitionRow.trigger == "require_consultation")
    )
    day = db.exec(query).one()
    return day.isoformat() if day else ""


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")  # Excel opens it as UTF-8


def _stamp(fiscal_year: int) -> float:
    """The last day of the fiscal year, 00:00 in Japan: every file's and folder's time."""
    last = fiscal_year_range(fiscal_year)[1]
    return dt.datetime.combine(last, dt.time(), JST).timestamp()


def _write(out: Path, files: dict[str, bytes], stamp: float) -> None:
    folders = {out} | {out / Path(name).parent for name in files}
    for folder in sorted(folders):
        folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(files):
        path = out / name
        path.write_bytes(files[name])
        os.utime(path, (stamp, stamp))
    for folder in sorted(folders, reverse=True):
        os.utime(folder, (stamp, stamp))
