"""The desk in a real browser (Debian's chromium driven by Playwright) against a real uvicorn
server and the real engine: a department head logs in, sees their own department's cases and
not another's, opens one, takes an allowed act and sees the new state; a form error shows
next to its field and changes nothing; another department's case is 403; five wrong passwords
lock the account; after logout the back button shows the login page. axe-core finds no WCAG
2 A/AA violation on the login, list and case pages. Screenshots: var/test-artifacts/desk/."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect

from edge.connect import Edge
from models.accounts import UserRole
from tests.conftest import ROOT
from tests.factories import actor, document
from tests.integration.conftest import System
from web.app import create_app
from web.deps import Desk

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "var" / "test-artifacts" / "desk"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PW = "hoken-password-2026"
OURS = "健診予約システムの外部結合"
THEIRS = "滞納整理システムの更新"


@dataclass
class Running:
    base: str
    desk: Desk
    edge: Edge
    ours: str  # our department's case id
    theirs: str  # another department's


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def desk(system: System) -> AsyncIterator[Running]:
    town = system.gateway.municipality
    ours = await system.gateway.create_case(
        document=document(title=OURS, department="保健センター"), actor=actor("department")
    )
    theirs = await system.gateway.create_case(
        document=document(title=THEIRS, department="納税課"),
        actor=actor("department", department="納税課"),
    )
    edge = Edge(system.client, system.settings, town)
    app = create_app(system.settings, edge=edge)
    state: Desk = app.state.desk
    state.users.add(
        username="hoken-kacho",
        display_name="保健 花子",
        roles=[UserRole.department_head],
        department="保健センター",
        password=PW,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield Running(f"http://127.0.0.1:{port}", state, edge, ours.case_id, theirs.case_id)
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


async def log_in(page: Page, base: str, password: str = PW) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("ユーザー名").fill("hoken-kacho")
    await page.get_by_label("パスワード").fill(password)
    await page.get_by_role("button", name="ログイン").click()


async def test_a_department_head_works_a_case_in_the_browser(
    desk: Running, browser: Browser
) -> None:
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    await page.goto(f"{desk.base}/cases")
    await expect(page).to_have_url(f"{desk.base}/login?next=/cases")
    await accessible(page, "01-login")

    await log_in(page, desk.base)
    await expect(page.get_by_role("heading", name="自課の案件")).to_be_visible()
    await expect(page.get_by_role("link", name=OURS)).to_be_visible()
    await expect(page.get_by_text(THEIRS)).to_have_count(0)
    await accessible(page, "02-case-list")

    # the filter (htmx swaps the list in; the CSP lets nothing inline run)
    await page.get_by_label("状態").select_option(label="取下げ")
    await expect(page.get_by_text("表示する案件はありません")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"state=withdrawn"))
    await page.get_by_label("状態").select_option(label="すべて")
    await expect(page.get_by_role("link", name=OURS)).to_be_visible()

    await page.get_by_role("link", name=OURS).click()
    await expect(page.get_by_role("heading", name=OURS)).to_be_visible()
    await expect(page.locator(".state.big")).to_have_text("起案中")
    await accessible(page, "03-case")

    # an act with a missing field: the error sits next to the field, nothing changes
    withdraw = page.locator("form.act", has=page.get_by_role("heading", name="取下げ"))
    await withdraw.get_by_role("button", name="取下げ").click()
    await expect(page.locator("#withdraw-reason-error")).to_contain_text("理由")
    await expect(page.get_by_label("理由")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(".state.big")).to_have_text("起案中")
    await accessible(page, "04-case-form-error")

    await page.get_by_role("button", name="提出").click()
    await expect(page.get_by_role("status")).to_contain_text("「提出」を受け付けました")
    await expect(page.locator(".state.big")).to_have_text("事前協議")
    await expect(page.get_by_text("保健 花子(hoken-kacho)")).to_be_visible()  # the actor
    await expect(page.locator(".facts")).to_contain_text("事前協議の結果")  # the next deadline
    await accessible(page, "05-case-after-submit")

    refused = await page.goto(f"{desk.base}/cases/{desk.theirs}")
    assert refused is not None and refused.status == 403
    await expect(page.get_by_role("heading", name="この案件を見る権限がありません")).to_be_visible()
    expected = re.compile(r"status of (403|422)")  # the refusals this test asks for
    assert [e for e in console_errors if not expected.search(e)] == []  # no CSP or JS error
    await page.screenshot(path=str(SHOTS / "06-other-department-403.png"))

    # forms need the session's CSRF token; another department's case refuses the act too
    await page.goto(f"{desk.base}/cases")
    csrf = await page.locator("input[name=csrf_token]").first.input_value()
    forged = await page.request.post(
        f"{desk.base}/cases/{desk.ours}/acts/withdraw",
        form={"csrf_token": "forged", "reason": "取り下げます"},
    )
    assert forged.status == 403
    across = await page.request.post(
        f"{desk.base}/cases/{desk.theirs}/acts/submit", form={"csrf_token": csrf}
    )
    assert across.status == 403
    for case_id, state in ((desk.ours, "triage"), (desk.theirs, "draft")):
        assert (await desk.edge.cases.snapshot(case_id)).state == state  # nothing changed

    await page.get_by_role("button", name="ログアウト").click()
    await expect(page).to_have_url(f"{desk.base}/login")
    await page.go_back()
    await expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    await expect(page.get_by_text(OURS)).to_have_count(0)


async def test_five_wrong_passwords_lock_the_account(desk: Running, browser: Browser) -> None:
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    for _ in range(5):
        await log_in(page, desk.base, "wrong password!")
        await expect(page.get_by_role("alert")).to_have_text(
            "ユーザー名またはパスワードが正しくありません"
        )
    await log_in(page, desk.base)  # the right password, too late
    await expect(page.get_by_role("alert")).to_contain_text("しばらくログインできません")
    await accessible(page, "07-login-locked")
    assert "/login" in page.url
