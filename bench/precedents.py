"""Precedents search (類似答申) over a large index, and the publication export of one year.

    .venv/bin/python -m bench.precedents [--answers 10000] [--queries 200] [--year 200] [--pg]
        [--smoke]

Fills a fresh read model (SQLite file, or a new schema in PostgreSQL with ``--pg``) through
the product's migrations and ``persistence.precedents.write_entry`` with ``--answers``
answers, each with a title, a conclusion, reasons, two to four conditions and an opinion
drawn from a vocabulary of council terms (a fixed seed), about 8 passages per answer; then
times ``--queries`` searches (one to two words, three to six characters, some rare, some in
a tenth of the answers), as ``starter.py precedents search`` runs them, and prints p50 / p95 /
max in ms. Aim: p95 under 100 ms at 10,000 answers.

The export part gives ``--year`` of those answers a 答申書 PDF (a 120 KiB file per answer
written here with its SHA-256 recorded: the export copies files as generated and checks their
hashes, it never renders) and 12 sessions a public-minutes PDF, runs ``publish export`` twice
and prints its time and whether the two folders are the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from bench.case_page import summarize
from bench.transition_latency import drop_pg_schema, exit_with, fresh_pg_schema
from edge.publication import export_year
from models.case.payloads import Condition, Note, Outcome, Votes
from models.case.record import Answer, Decision
from models.precedents import answer_entry
from persistence import precedents
from persistence.database import make_engine
from persistence.tables import CouncilRow, DocumentRow, SessionRow

FISCAL_YEAR = 2025
SYSTEMS = [
    "顔認証カメラ",
    "住民票の写しのコンビニ交付",
    "健診予約システム",
    "学校の校務支援システム",
    "介護保険の電子申請",
    "図書館の利用者管理",
    "防犯カメラ",
    "公金受取口座の登録",
    "税務の電子申告",
    "子育て支援アプリ",
    "避難行動要支援者名簿",
    "ドローンによる点検",
]
MEASURES = [
    "特徴量データは24時間以内に消去すること",
    "委託先に安全管理措置を求めること",
    "アクセスログを3か月ごとに点検すること",
    "再委託を禁止すること",
    "国内のデータセンターに限ること",
    "職員が作業に立ち会うこと",
    "暗号化して送信すること",
    "利用目的を掲示すること",
    "保存期間を5年とすること",
    "生体情報を取得しないこと",
    "本人同意を得ること",
    "リース返還時にデータを完全に消去すること",
]
QUERIES = [
    "顔認証",
    "特徴量",
    "委託先",
    "アクセスログ",
    "再委託",
    "データセンター",
    "立ち会う",
    "暗号化",
    "生体情報",
    "本人同意 消去",
    "コンビニ",
    "避難行動",
    "ドローン 点検",
    "校務",
    "電子申請 暗号化",
    "完全に消去",
    "顔認 委託",
    "指紋認証",
]


def condition(text: str) -> Condition:
    return Condition(text=text, type="technical_measure", due="before_start", owner="担当課")


def fill(engine: Engine, answers: int, year: int, seed: int = 20261202) -> int:
    """``answers`` answers; the first ``year`` of them issued in FISCAL_YEAR, none other."""
    rnd = random.Random(seed)
    passages = 0
    with Session(engine) as session:
        for n in range(answers):
            system = rnd.choice(SYSTEMS)
            conds = rnd.sample(MEASURES, rnd.randint(2, 4))
            issued = dt.date(2016, 4, 1) + dt.timedelta(days=rnd.randint(0, 3285))  # to FY2024
            if n < year:  # the export's year
                issued = dt.date(FISCAL_YEAR, 4, 10) + dt.timedelta(days=n)
            entry = answer_entry(
                case_id=f"{n:012x}",
                title=f"{system}の導入について（第{n}号案件）",
                department=f"部署{n % 30:02d}",
                kind="new_system",
                fiscal_year=issued.year if issued.month >= 4 else issued.year - 1,
                decision=Decision(
                    outcome=Outcome.approve_with_conditions,
                    votes=Votes(yes=6),
                    conditions=[condition(c + "。") for c in conds],
                    opinions=[Note(text=f"{system}の運用状況を毎年度報告されたい。")],
                    decided_on=issued,
                ),
                answer=Answer(
                    number=f"第{n + 1}号",
                    issued_on=issued,
                    approved_by="session",
                    conclusion="次の条件を付して実施することは適当であると認められる。",
                    reasons=f"{system}で取り扱う個人情報の項目、{conds[0]}等の措置について審議した。",
                ),
            )
            precedents.write_entry(session, entry)
            passages += len(entry.passages)
            if n % 1000 == 999:
                session.commit()
        session.commit()
    return passages


def give_files(engine: Engine, root: Path, year: int) -> None:
    """A PDF file of 120 KiB for each of the year's first ``year`` answers and 12 sessions."""
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        session.add(
            CouncilRow(
                council_id="bench",
                name="ベンチ市個人情報保護審議会",
                seats=7,
                quorum="majority",
                member_count=7,
                sessions_planned=12,
                version=1,
                updated_at=now,
            )
        )
        subjects = [(f"{n:012x}", "case", "toshinsho") for n in range(year)]
        for m in range(12):
            held = dt.date(FISCAL_YEAR, 4, 20) + dt.timedelta(days=30 * m)
            sid = f"bench-{FISCAL_YEAR}-{m + 1}"
            session.add(
                SessionRow(
                    session_id=sid,
                    council_id="bench",
                    fiscal_year=FISCAL_YEAR,
                    ordinal=m + 1,
                    held_on=held,
                    starts_at=now,
                    state="closed",
                    minutes="published",
                    item_count=1,
                    warning_count=0,
                    version=1,
                    updated_at=now,
                )
            )
            subjects.append((sid, "session", "kaigiroku_public"))
        for subject_id, subject, doc_type in subjects:
            data = (f"%PDF-1.7\n% {subject_id}\n".encode() + bytes(range(256)) * 480)[: 120 * 1024]
            path = root / subject_id / f"{doc_type}.pdf"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            session.add(
                DocumentRow(
                    id=f"d-{subject_id}",
                    subject=subject,
                    subject_id=subject_id,
                    doc_type=doc_type,
                    format="pdf",
                    data_version="1",
                    sha256=hashlib.sha256(data).hexdigest(),
                    path=str(path),
                    size=len(data),
                    template="bench",
                    generated_at=now,
                )
            )
        session.commit()


def folder_bytes(out: Path) -> dict[str, tuple[bytes, float]]:
    return {
        str(p.relative_to(out)): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime)
        for p in sorted(out.rglob("*"))
    }


def run(answers: int, queries: int, year: int, use_pg: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="toshin-bench-") as tmp:
        root = Path(tmp)
        schema = None
        if use_pg:
            url, schema = fresh_pg_schema()
        else:
            url = f"sqlite:///{root / 'read_model.db'}"
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            passages = fill(engine, answers, year)
            backend = "PostgreSQL (pg_trgm)" if use_pg else "SQLite (FTS5 trigram)"
            print(
                f"read model: {backend}, {answers:,} answers ({passages:,} passages) indexed "
                f"in {time.perf_counter() - started:.1f} s"
            )
            rnd = random.Random(7)
            samples: list[float] = []
            hits = 0
            with Session(engine) as session:
                for q in QUERIES:  # warm-up
                    precedents.search(session, q)
                for _ in range(queries):
                    q = rnd.choice(QUERIES)
                    t0 = time.perf_counter()
                    hits += len(precedents.search(session, q))
                    samples.append(time.perf_counter() - t0)
            p50, p95, _p99, _mean = summarize(samples)
            print(
                f"search: {queries} queries, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"max {max(samples) * 1000:.1f} ms, {hits / queries:.1f} hits each"
            )
            docs = root / "documents"
            give_files(engine, docs, year)
            took = []
            for name in ("public-1", "public-2"):
                t0 = time.perf_counter()
                report = export_year(engine, docs, FISCAL_YEAR, root / name)
                took.append(time.perf_counter() - t0)
            same = folder_bytes(root / "public-1") == folder_bytes(root / "public-2")
            size = sum(len(b) for b, _ in folder_bytes(root / "public-1").values()) / 2**20
            print(
                f"export: {report.answers} answers + {report.minutes} public minutes, "
                f"{size:.1f} MiB in {took[0]:.2f} s (again {took[1]:.2f} s); "
                f"same bytes: {same}"
            )
            ok = same and report.answers == year and not report.missing
            print("OK" if ok else "FAILED")
            return 0 if ok else 1
        finally:
            engine.dispose()
            if schema:
                drop_pg_schema(schema)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--year", type=int, default=200)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.answers, args.queries, args.year = 300, 20, 20
    return run(args.answers, args.queries, min(args.year, args.answers, 200), args.pg)


if __name__ == "__main__":
    exit_with(main)
