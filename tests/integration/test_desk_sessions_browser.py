"""The secretariat's and council members' desk in a real browser (Debian's chromium driven by
Playwright) against a real uvicorn server and the real engine.

The secretariat takes a case through the intake queue (triage, pre-check), plans a session,
puts the case on a session's agenda (takes it off and back on), sends the notice and the materials and opens it with
the members present; the chair opens the item, records the Q&A (a missing question is shown
next to its field), decides and answers; the secretariat closes the session and redacts a
passage with its legal basis; the chair approves the minutes and the secretariat publishes
them. A member downloads the item's 諮問書 once the materials are sent (a department head
may not); a member who attended reads the redacted passage and downloads the full 会議録; a
member who was absent reads and downloads the public version only (the full one is 403); a
department head is refused. axe-core finds no WCAG 2 A/AA violation on
any of these pages. Screenshots: var/test-artifacts/web/."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlmodel import Session

from edge.connect import Edge
from models.accounts import UserRole
from persistence.precedents import write_entry
from tests.conftest import ROOT
from tests.factories import act, actor, document
from tests.integration.conftest import System, municipality
from tests.integration.councils import POLICY, session_held_today
from tests.integration.test_precedents_browser import past_answer
from tests.integration.test_sessions import council
from web.app import create_app
from web.deps import Desk

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "var" / "test-artifacts" / "web"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PW = "council-desk-password-2026"
TITLE = "健診予約システムの外部結合"
SECRET = "保守業者のID・パスワードの管理方法"
BASIS = "情報公開条例第6条第7号"
PAST_CONDITION = "予約データの保存先は国内のデータセンターに限ること。"


@dataclass
class Running:
    base: str
    edge: Edge
    council_id: str
    session_id: str  # held today, on a clock pinned to its day
    case_id: str  # submitted: waiting for the triage decision


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def desk(system: System) -> AsyncIterator[Running]:
    edge = Edge(system.client, system.settings, municipality(POLICY))
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await edge.councils.register(council(council_id))
    session_id = await session_held_today(edge, council_id)
    case = await edge.cases.create_case(
        document=document(title=TITLE, department="保健センター"), actor=actor("department")
    )
    await edge.cases.act(case.case_id, act("submit", "department"))
    app = create_app(system.settings, edge=edge)
    state: Desk = app.state.desk
    for username, name, roles, department in (
        ("jimukyoku", "総務 湯浅", [UserRole.secretariat], None),
        ("m1", "委員1", [UserRole.chair], None),
        ("m3", "委員3", [UserRole.council], None),
        ("m9", "委員9", [UserRole.council], None),
        ("hoken-kacho", "保健 花子", [UserRole.department_head], "保健センター"),
    ):
        state.users.add(
            username=username, display_name=name, roles=roles, department=department, password=PW
        )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield Running(f"http://127.0.0.1:{port}", edge, council_id, session_id, case.case_id)
    server.should_exit = True
    await task
    state.engine.dispose()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def accessible(page: Page, name: str) -> None:
    """No WCAG 2 A/AA violation, and a full-page screenshot to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    results = await Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


async def logged_in(browser: Browser, base: str, username: str) -> Page:
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    page.set_default_timeout(10_000)
    await page.goto(f"{base}/login")
    await page.get_by_label("ユーザー名").fill(username)
    await page.get_by_label("パスワード").fill(PW)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    return page


async def do(page: Page, act: str, scope: str = "aside") -> None:
    await page.locator(scope).get_by_role("button", name=act, exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text(f"「{act}」を受け付けました")


async def test_the_secretariat_runs_a_session_and_members_read_it(
    desk: Running, browser: Browser, system: System
) -> None:
    base, item = desk.base, f"#item-{desk.case_id}"
    sec = await logged_in(browser, base, "jimukyoku")

    # intake: the triage decision, then the pre-check
    await sec.get_by_role("link", name="受付・事前確認").click()
    case = sec.locator(f"#case-{desk.case_id}")
    await case.locator("summary", has_text="諮問要と判断").click()
    await accessible(sec, "sec-01-intake")
    await case.get_by_label("理由").first.fill("特定個人情報を外部と結合するため")
    await case.get_by_role("button", name="諮問要と判断").click()
    await expect(sec.get_by_role("status")).to_contain_text("「諮問要と判断」を受け付けました")
    await case.locator("summary", has_text="事前確認完了").click()
    await case.get_by_label("C1", exact=True).select_option(label="適合")
    await case.get_by_role("button", name="事前確認完了").click()
    await expect(sec.get_by_role("status")).to_contain_text("「事前確認完了」を受け付けました")
    assert (await desk.edge.cases.snapshot(desk.case_id)).state == "ready"

    # plan the next session in the form; the one held today is already planned
    await sec.get_by_role("link", name="審議会と会議").click()
    await accessible(sec, "sec-02-sessions")
    later = dt.date.today() + dt.timedelta(days=40)
    await sec.get_by_role("combobox", name="審議会").select_option(value=desk.council_id)
    await sec.get_by_label("回(第N回)").fill("2")
    await sec.get_by_label("開催日").fill(later.isoformat())
    await sec.get_by_label("開始時刻").fill("14:00")
    await sec.get_by_label("終了時刻").fill("16:00")
    await sec.get_by_role("textbox", name="会場").fill("市役所本庁舎3階 庁議室")
    await sec.get_by_label("公開・非公開").select_option(label="公開")
    await sec.get_by_role("button", name="計画する").click()
    await expect(sec).to_have_url(re.compile(rf"/sessions/{desk.council_id}-\d+-2\?done="))
    await expect(sec.locator(".state.big")).to_have_text("開催予定")

    # today's session: agenda, notice, materials, attendance
    await sec.goto(f"{base}/sessions/{desk.session_id}")
    await sec.get_by_label(TITLE).check()
    await do(sec, "議題の追加")
    await expect(sec.locator(item)).to_contain_text("付議")
    # off the agenda again (a reason is required), and back on
    await sec.locator(item).get_by_role("button", name="議題から外す").click()
    await expect(sec.locator(f"#remove_item-{desk.case_id}-reason-error")).to_be_visible()
    await sec.locator(item).get_by_label("理由").fill("担当課の資料差替えのため")
    await sec.locator(item).get_by_role("button", name="議題から外す").click()
    await expect(sec.get_by_role("status")).to_contain_text("「議題から外す」を受け付けました")
    await expect(sec.locator(item)).to_have_count(0)
    assert (await desk.edge.cases.snapshot(desk.case_id)).state == "ready"
    await sec.get_by_label(TITLE).check()
    await do(sec, "議題の追加")
    await do(sec, "開催通知")
    await do(sec, "資料送付")
    await accessible(sec, "sec-03-session-materials-sent")
    # a member downloads the item's 諮問書 once the materials are sent (made on first request)
    reader = await logged_in(browser, base, "m3")
    await reader.goto(f"{base}/member/sessions/{desk.session_id}")
    shimonsho = await reader.get_by_role("link", name=re.compile(r"諮問書\(PDF\)")).get_attribute(
        "href"
    )
    fetched = await reader.request.get(f"{base}{shimonsho}")
    assert fetched.status == 200 and (await fetched.body()).startswith(b"%PDF")
    assert fetched.headers["content-disposition"].startswith("attachment")
    await accessible(reader, "member-00-materials")
    head_refused = await (await logged_in(browser, base, "hoken-kacho")).request.get(
        f"{base}{shimonsho}"
    )
    assert head_refused.status == 403
    for n in range(1, 9):
        await sec.get_by_label(f"委員{n}", exact=True).check()
    await sec.get_by_label("事務局職員(1行に1名)").fill("総務課長")
    await do(sec, "開会（出席確認）")
    await expect(sec.locator(".state.big")).to_have_text("開会中")

    # a similar past answer (類似答申): its conditions are offered beside the decision
    with Session(system.engine) as db:
        write_entry(db, past_answer("past-1", "健診予約のクラウド化に伴う外部結合", PAST_CONDITION))
        db.commit()

    # the chair runs the item
    chair = await logged_in(browser, base, "m1")
    await chair.goto(f"{base}/sessions/{desk.session_id}")
    await do(chair, "審議開始", item)
    offered = chair.locator(item).locator("details.precedents")
    await offered.locator("summary").click()
    await expect(offered).to_contain_text(PAST_CONDITION)
    await expect(offered).to_contain_text("第42号")
    await chair.locator(item).get_by_role("button", name="質疑の記録").click()
    await expect(chair.locator(f"#record_qa-{desk.case_id}-question-error")).to_contain_text(
        "質問・意見"
    )
    await expect(chair.locator(f"#record_qa-{desk.case_id}-question")).to_have_attribute(
        "aria-invalid", "true"
    )
    await accessible(chair, "chair-01-form-error")
    await chair.locator(item).get_by_label("発言者の区分").select_option("委員")
    await chair.locator(item).get_by_label("質問・意見").fill(f"{SECRET}を確認したい")
    await chair.locator(item).get_by_label("回答", exact=True).fill("契約書で定めている")
    await do(chair, "質疑の記録", item)
    # more votes than members present: the engine refuses, the page says why, nothing changes
    await chair.locator(item).get_by_label("議決の内容").select_option(label="可")
    await chair.locator(item).get_by_label("賛成").fill("9")
    await chair.locator(item).get_by_role("button", name="議決", exact=True).click()
    await expect(chair.get_by_role("alert")).to_contain_text("exceed members present")
    await expect(chair.locator(item)).to_contain_text("審議中")
    await accessible(chair, "chair-02-refused-by-the-engine")
    await chair.locator(item).get_by_label("賛成").fill("7")
    await chair.locator(item).get_by_label("反対").fill("1")
    await do(chair, "議決", item)
    await chair.locator(item).get_by_label("結論").fill("諮問どおり行うことを可とする。")
    await chair.locator(item).get_by_label("答申の決定").select_option(label="審議会")
    await do(chair, "答申", item)
    await expect(chair.locator(item)).to_contain_text("答申 第870号")
    assert (await desk.edge.cases.snapshot(desk.case_id)).state == "active"

    # closing and the minutes
    await sec.reload()
    await do(sec, "閉会")
    # the chair may not redact (the secretariat's act), whatever the form says
    csrf = await chair.locator("input[name=csrf_token]").first.input_value()
    forged = await chair.request.post(
        f"{base}/sessions/{desk.session_id}/acts/redact",
        form={"csrf_token": csrf, "passage": SECRET, "legal_basis": BASIS},
    )
    assert forged.status == 403
    assert (await desk.edge.sessions.session(desk.session_id)).redactions == []
    await sec.get_by_label("不開示とする記載").fill(SECRET)
    await sec.get_by_label("不開示の根拠").fill(BASIS)
    await do(sec, "会議録の不開示部分")
    await expect(sec.locator("#minutes-title")).to_be_visible()
    await accessible(sec, "sec-04-session-closed")
    await chair.reload()
    await do(chair, "会議録の承認")
    await sec.reload()
    await do(sec, "会議録の公開")
    await expect(sec.locator(".facts").first).to_contain_text("公開済")
    await sec.get_by_role("link", name="全庁の状況").click()
    await accessible(sec, "sec-05-overview")

    # members: who attended reads the passage; who did not reads the public version
    present = await logged_in(browser, base, "m3")
    await expect(present).to_have_url(f"{base}/member")
    await accessible(present, "member-01-home")
    await present.get_by_role("link", name=re.compile("第1回")).click()
    await expect(present.locator("#minutes-title")).to_be_visible()
    await expect(present.get_by_text(f"{SECRET}を確認したい")).to_be_visible()
    full = present.locator("ul.downloads").get_by_role("link", name=re.compile(r"^会議録\("))
    await expect(full.first).to_be_visible()
    full_href = await full.first.get_attribute("href")
    got = await present.request.get(f"{base}{full_href}")
    assert got.status == 200 and (await got.body())[:4] in (b"%PDF", b"PK\x03\x04")
    await accessible(present, "member-02-attended")
    absent = await logged_in(browser, base, "m9")
    await absent.goto(f"{base}/member/sessions/{desk.session_id}")
    await expect(
        absent.get_by_text(f"（{BASIS}に該当する情報のため記載しない）を確認したい")
    ).to_be_visible()
    await expect(absent.get_by_text(SECRET)).to_have_count(0)
    files = absent.locator("ul.downloads").get_by_role("link")
    await expect(files.first).to_contain_text("会議録（公開用）")
    for name in await files.all_inner_texts():
        assert name.startswith("会議録（公開用）"), name
    assert (await absent.request.get(f"{base}{full_href}")).status == 403  # the full minutes
    audited = system.sql("SELECT actor, action, detail FROM audit_records ORDER BY seq")
    downloads = [(a, d) for a, action, d in audited if action == "document_download"]
    shimonsho_read = rf"{desk.case_id} shimonsho v\d+ \(pdf\)"
    assert any(a == "m3" and re.fullmatch(shimonsho_read, str(d)) for a, d in downloads)
    minutes_read = rf"{desk.session_id} kaigiroku v\w+ \((pdf|docx)\)"
    assert any(a == "m3" and re.fullmatch(minutes_read, str(d)) for a, d in downloads), downloads
    refused = [(a, d) for a, action, d in audited if action == "case_read_refused"]
    assert ("m9", "the full minutes are for the members who attended") in refused, refused
    await accessible(absent, "member-03-absent")
    upcoming = await absent.goto(f"{base}/member")
    assert upcoming is not None and upcoming.status == 200
    await expect(absent.get_by_role("link", name=re.compile("第2回"))).to_be_visible()
    assert (await absent.goto(f"{base}/sessions/{desk.session_id}")).status == 403  # type: ignore[union-attr]

    # a department head opens none of these pages
    head = await logged_in(browser, base, "hoken-kacho")
    for path in ("/sessions", f"/sessions/{desk.session_id}", "/intake", "/member"):
        refused = await head.goto(f"{base}{path}")
        assert refused is not None and refused.status == 403, path
    await expect(
        head.get_by_role("heading", name="このページを見る権限がありません")
    ).to_be_visible()
