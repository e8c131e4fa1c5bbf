"""How long documents take, and how big the PDFs are, for a 30-item session.

    .venv/bin/python -m bench.documents [--items 30] [--qa 6] [--smoke]

No server: it calls the activity the workers run (``DocumentActivities.generate_document``:
content, rendering, file, read-model row in a temporary SQLite file), so the figures are
those of the step, not of the workflow around it. It builds

- the 答申書 of every item: the Fujisawa case of scenarios/s02 (18 + 6 measures, criteria
  matrix), numbered 第870号 … for N items, DOCX and PDF each;
- the 会議録 of the session with N items (``--qa`` questions and answers each, a condition and
  an opinion on every third item, a redaction), internal and public, DOCX and PDF;

and prints the wall time per document and in total, the PDF sizes and page counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import cast

from temporalio.client import Client

from activities.documents import DocumentActivities
from models.case.payloads import Condition, Note, Votes
from models.documents.spec import (
    CaseSource,
    DocFormat,
    DocType,
    DocumentInfo,
    GenerateDocumentInput,
    SessionSource,
)
from models.municipality import MunicipalityConfig
from models.session.council import Council, SessionPlan
from models.session.record import QA, AgendaItem, Attendance, ItemOutcome, Redaction, SessionRecord
from persistence.database import make_engine
from tests.unit.document_samples import sample_cases

ROOT = Path(__file__).resolve().parent.parent

JST = dt.timezone(dt.timedelta(hours=9))


def session_record(items: int, qa: int) -> SessionRecord:
    council = Council.model_validate(
        {
            "council_id": "bench",
            "name": "とうしん市個人情報保護審議会",
            "seats": 10,
            "members": [
                {
                    "member_id": f"m{i}",
                    "name": f"委員{i}",
                    "role": "chair" if i == 1 else "member",
                    "term_start": "2020-04-01",
                }
                for i in range(1, 11)
            ],
        }
    )
    plan = SessionPlan(
        council_id="bench",
        ordinal=3,
        starts_at=dt.datetime(2026, 1, 20, 14, 0, tzinfo=JST),
        ends_at=dt.datetime(2026, 1, 20, 17, 30, tzinfo=JST),
        place="とうしん市役所 第1会議室",
    )
    secret = "保守業者のIDとパスワードは紙で管理している"
    agenda = []
    for n in range(1, items + 1):
        agenda.append(
            AgendaItem(
                case_id=f"c{n:03d}",
                title=f"案件{n} 住民情報システムの外部結合について（諮問第{869 + n}号）",
                category="consultation",
                status="answered",
                outcome=ItemOutcome.approve_with_conditions if n % 3 == 0 else ItemOutcome.approve,
                votes=Votes(yes=8),
                qa=[
                    QA(
                        speaker_role="委員",
                        question=f"質問{k}：委託先のデータセンターは国内か。ログは何年保存するのか。",
                        answer=(
                            secret if k == 0 and n == 1 else f"回答{k}：国内である。5年保存する。"
                        ),
                    )
                    for k in range(qa)
                ],
                conditions=[
                    Condition(
                        text="データセンターを国内とすることを契約に盛り込む",
                        type="contract_clause",
                        due="before_contract",
                        owner="担当課",
                    )
                ]
                if n % 3 == 0
                else [],
                opinions=[Note(text="より強固なセキュリティ対策についても検討すること。")]
                if n % 3 == 0
                else [],
            )
        )
    return SessionRecord(
        plan=plan,
        council=council,
        state="closed",
        items=agenda,
        attendance=Attendance(present=[f"m{i}" for i in range(1, 9)], staff=["総務課長"]),
        redactions=[Redaction(passage=secret, legal_basis="とうしん市情報公開条例第7条第6号")],
    )


def pages(path: str) -> int:
    out = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(match.group(1)) if match else 0


def timed(
    activity: DocumentActivities, inp: GenerateDocumentInput
) -> tuple[float, list[DocumentInfo]]:
    start = time.perf_counter()
    result = activity.generate_document(inp)
    return time.perf_counter() - start, result.documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--qa", type=int, default=6)
    parser.add_argument(
        "--smoke", action="store_true", help="CI: --items 2 --qa 1, the same code path"
    )
    args = parser.parse_args()
    if args.smoke:
        args.items, args.qa = 2, 1
    if args.items < 1 or args.qa < 0:
        parser.error("--items must be at least 1 and --qa at least 0")
    town = MunicipalityConfig(name="とうしん市")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/read_model.db")
        activity = DocumentActivities(
            engine,
            cast(Client, None),  # generate_document never calls Temporal
            documents_dir=Path(tmp) / "documents",
            templates_dir=ROOT / "templates",
            style=town.document_style(),
        )
        base = sample_cases("s02_fujisawa_870")["c870"]
        assert base.answer is not None
        answers: list[float] = []
        answer_docs: list[DocumentInfo] = []
        for n in range(args.items):
            number = f"第{870 + n}号"
            case = CaseSource.model_validate(
                {
                    **base.model_dump(),
                    "case_id": f"c{n:03d}",
                    "answer": {**base.answer.model_dump(), "number": number},
                }
            )
            took, docs = timed(
                activity, GenerateDocumentInput(doc_type=DocType.toshinsho, case=case)
            )
            answers.append(took)
            answer_docs += docs
        source = SessionSource(record=session_record(args.items, args.qa))
        minutes: dict[str, tuple[float, list[DocumentInfo]]] = {}
        for kind in (DocType.kaigiroku, DocType.kaigiroku_public):
            minutes[kind.value] = timed(
                activity, GenerateDocumentInput(doc_type=kind, session=source)
            )
        answer_pdfs = [d for d in answer_docs if d.format is DocFormat.pdf]
        answer_docx = [d for d in answer_docs if d.format is DocFormat.docx]
        print(
            f"documents for a {args.items}-item session ({args.qa} Q&A per item), DOCX + PDF each"
        )
        print(
            f"  答申書 × {args.items}: total {sum(answers):.2f} s, per answer median "
            f"{statistics.median(answers):.2f} s (min {min(answers):.2f}, max {max(answers):.2f})"
        )
        print(
            f"    PDF {statistics.median(d.size for d in answer_pdfs) / 1024:.0f} KiB, "
            f"{pages(answer_pdfs[0].path)} pages; DOCX "
            f"{statistics.median(d.size for d in answer_docx) / 1024:.0f} KiB"
        )
        for label, (took, docs) in minutes.items():
            pdf = next(d for d in docs if d.format is DocFormat.pdf)
            docx = next(d for d in docs if d.format is DocFormat.docx)
            print(
                f"  {label}: {took:.2f} s; PDF {pdf.size / 1024:.0f} KiB, {pages(pdf.path)} pages; "
                f"DOCX {docx.size / 1024:.0f} KiB"
            )
        total = sum(answers) + sum(t for t, _ in minutes.values())
        print(f"  all documents of the session: {total:.2f} s")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
