"""Precedents (類似答申) on the real dev server: an issued answer reaches the index through the
projection activity, `starter.py precedents search` finds it (the secretariat and heads
only), reconcile backfills an index that lost it (SQLite and PostgreSQL); published minutes
are indexed in their public version only."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from edge.scenarios import ScenarioRunner, load_scenario
from models.accounts import UserRole
from persistence import precedents
from tests.conftest import ROOT
from tests.factories import TEST_ADMIN
from tests.integration.accounts import account_token
from tests.integration.conftest import System
from tests.integration.test_admin_console import admin_of
from tests.integration.test_cli import cli

FUJISAWA = ROOT / "scenarios" / "s02_fujisawa_870.yaml"  # 答申第870号, 2017-08-10
HIGASHIMURAYAMA = ROOT / "scenarios" / "sessions" / "h_higashimurayama_closed_session.yaml"
TITLE_5 = "自動電話催告システムの新規導入及び保守点検委託"  # 諮問第5号, answered 答申第1号


async def run(system: System, path: Path) -> dict[str, str]:
    """A seed scenario, green; returns its case aliases → case ids."""
    runner = ScenarioRunner(system.gateway, admin=TEST_ADMIN, unique=True)
    ids, results = await runner.run(load_scenario(path), path.parent)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    return ids


@pytest.mark.both_dbs
async def test_an_issued_answer_is_found_from_the_cli_and_reconcile_backfills_it(
    system: System,
) -> None:
    started = time.perf_counter()
    case_id = (await run(system, FUJISAWA))["c870"]
    sources = system.sql("select source from precedents where case_id = :c", c=case_id)
    assert {"subject", "conclusion"} <= {s for (s,) in sources}

    code, out, err = await cli(system, "precedents", "search", "コンピュータ処理 藤沢市", "--json")
    assert (code, err) == (0, ""), out
    assert '"answer_number": "第870号"' in out and case_id in out
    code, out, _ = await cli(system, "precedents", "search", "コンピュータ処理")
    assert code == 0 and "第870号" in out and "平成29年8月10日" in out, out  # 和暦

    member = account_token(system.settings, "tanto", [UserRole.department_member])
    code, _, err = await cli(system, "precedents", "search", "処理",
                             env_extra={"TOSHIN_TOKEN": member})  # fmt: skip
    assert code == 1 and "RoleNotAllowed" in err

    with system.engine.begin() as conn:  # the index lost the answer (e.g. answered before 0012)
        conn.execute(text("delete from precedents"))
        if conn.dialect.name == "sqlite":
            conn.execute(text("delete from precedent_fts"))
    report = await admin_of(system).reconciler.cases({case_id})
    assert report.repaired == [f"precedent {case_id}: missing"]
    with Session(system.engine) as session:
        assert [h.case_id for h in precedents.search(session, "コンピュータ処理")] == [case_id]
    assert (await admin_of(system).reconciler.cases({case_id})).repaired == []
    print(f"precedents journey: {time.perf_counter() - started:.1f}s")


async def test_published_minutes_are_indexed_and_the_year_is_exported_reproducibly(
    system: System, tmp_path: Path
) -> None:
    started = time.perf_counter()
    case_id = (await run(system, HIGASHIMURAYAMA))["c5"]
    sources = system.sql("select source, text from precedents where case_id = :c", c=case_id)
    assert ("subject", TITLE_5) in sources
    minutes = [str(t) for s, t in sources if s == "minutes"]
    assert any("USBメモリ" in t for t in minutes)  # the published minutes' questions
    texts = [str(t) for (t,) in system.sql("select text from precedents")]
    assert all("ID・パスワード" not in t and "木村" not in t for t in texts)  # redacted; no names

    # the public record of the year: answers as generated, the public minutes only
    (fy,) = system.sql("select fiscal_year from sessions")[0]
    outs = [tmp_path / "public-1", tmp_path / "public-2"]
    for out in outs:
        code, report, err = await cli(system, "publish", "export", "--fiscal-year", str(fy),
                                      "--out", str(out), "--json")  # fmt: skip
        assert (code, err) == (0, ""), report
        assert '"answers": 2' in report and '"minutes": 1' in report and '"missing": []' in report
    first, second = (sorted(p.relative_to(out) for p in out.rglob("*")) for out in outs)
    assert first == second and len([p for p in first if p.suffix == ".pdf"]) == 3
    for name in first:
        a, b = outs[0] / name, outs[1] / name
        assert a.stat().st_mtime == b.stat().st_mtime
        if a.is_file():
            assert a.read_bytes() == b.read_bytes(), name
    public, private = (
        {str(r[0]) for r in system.sql("select sha256 from documents where doc_type = :t "
                                       "and format = 'pdf'", t=t)}
        for t in ("kaigiroku_public", "kaigiroku")
    )  # fmt: skip
    exported = {hashlib.sha256(p.read_bytes()).hexdigest() for p in outs[0].rglob("*.pdf")}
    assert public <= exported and not private & exported  # never the unredacted minutes
    index = (outs[0] / "index.csv").read_text(encoding="utf-8-sig").splitlines()
    assert index[0] == "種別,番号,件名,担当課,諮問日,答申日・開催日,結論,ファイル"
    assert any(line.startswith(f"答申,第1号,{TITLE_5},納税課,") and ",可,answers/" in line
               for line in index), index  # fmt: skip
    code, _, err = await cli(system, "publish", "export", "--fiscal-year", str(fy),
                             "--out", str(outs[0]))  # fmt: skip
    assert code == 1 and "InvalidPayload: out:" in err and "is not an empty folder" in err
    print(f"minutes and export journey: {time.perf_counter() - started:.1f}s")
