"""The department head's main flow with the keyboard alone (Tab, arrows, Enter; no click): log
in, open 期限, change its period, open a case and submit an act form, every focused control
with a visible focus ring. The 期限 period and the case list's filters update in place with
htmx (no page load) and still work with JavaScript off. The カレンダー page issues a feed URL
that serves the user's calendar. axe-core: no WCAG 2 A/AA violation on the pages met.
Screenshots: var/test-artifacts/web/."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from playwright.async_api import Browser, Page, expect
from sqlmodel import Session

import tests.integration.test_desk_browser as desk_browser
from models.projection import DeadlineRow, DeadlineStatus, ProjectDeadlinesInput
from persistence.repository import replace_deadlines
from tests.factories import act
from tests.integration.test_desk_browser import PW, Running
from tests.integration.test_desk_dept_browser import shot

desk = desk_browser.desk
browser = desk_browser.browser
LATER = "来期の点検報告"  # a deadline 45 days ahead: in the 60-day list, not the 30-day one


async def focused(page: Page) -> dict[str, str]:
    """What has the focus, and how its outline is drawn."""
    info: dict[str, str] = await page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {tag: e.tagName, text: (e.innerText || e.value || '').trim(), id: e.id || '',
                href: e.getAttribute('href') || '', style: s.outlineStyle,
                width: s.outlineWidth}; }"""
    )
    return info


async def tab_to(page: Page, wanted: re.Pattern[str], *, limit: int = 80) -> None:
    """Tab until the focused element's text, id or link matches ``wanted``; its focus must
    be visible (an outline at least 2 px wide)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if wanted.search(f"{now['text']}|#{now['id']}|{now['href']}"):
            assert now["style"] != "none" and float(now["width"].rstrip("px")) >= 2, now
            return
    raise AssertionError(f"no focusable element matching {wanted.pattern}")


@pytest.fixture
async def later(desk: Running) -> Running:
    """Our case submitted (its next deadline within 30 days) and a deadline 45 days ahead."""
    await desk.edge.cases.act(desk.ours, act("submit", "department"))
    with Session(desk.desk.engine) as db:
        replace_deadlines(
            db,
            inp=ProjectDeadlinesInput(
                case_id="c00000000late",
                department="保健センター",
                case_number="R8-99",
                title=LATER,
                rows=[
                    DeadlineRow(
                        key="obligation-1",
                        what="アクセスログの点検",
                        due_on=dt.date.today() + dt.timedelta(days=45),
                        status=DeadlineStatus.open,
                    )
                ],
            ),
            now=dt.datetime.now(dt.UTC),
        )
        db.commit()
    return desk


async def test_the_department_heads_flow_with_the_keyboard_alone(
    later: Running, browser: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.perf_counter()
    base = later.base
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    await page.goto(f"{base}/login")
    await expect(page.get_by_label("ユーザー名")).to_be_focused()  # autofocus
    await page.keyboard.type("hoken-kacho")
    await page.keyboard.press("Tab")
    await page.keyboard.type(PW)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="自課の案件")).to_be_visible()

    await tab_to(page, re.compile(r"^期限\|"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="期限 保健センター")).to_be_visible()
    upcoming = page.locator("#upcoming")
    await expect(upcoming.get_by_role("link", name=desk_browser.OURS)).to_be_visible()
    await expect(upcoming.get_by_text(LATER)).to_have_count(0)

    # the period: an arrow key on the select swaps the list in place (no page load)
    await page.evaluate("() => { window.stillHere = true; }")
    await tab_to(page, re.compile(r"#days\b"))
    await page.keyboard.press("ArrowDown")
    await expect(
        page.get_by_role("heading", name=re.compile("60日以内に期限を迎える"))
    ).to_be_visible()
    await expect(upcoming.get_by_role("link", name=LATER)).to_be_visible()
    await expect(page).to_have_url(re.compile(r"days=60"))
    assert await page.evaluate("() => window.stillHere === true")  # htmx, not a reload
    await expect(page.locator("#days")).to_be_focused()
    await shot(page, "30-deadlines-60-days-keyboard")

    await tab_to(page, re.compile(re.escape(desk_browser.OURS)))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name=desk_browser.OURS)).to_be_visible()
    await expect(page.locator(".state.big")).to_have_text("事前協議")
    await tab_to(page, re.compile(r"#withdraw-reason\b"))
    await page.keyboard.type("計画を見直すため取り下げます")
    await tab_to(page, re.compile(r"^取下げ\|"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("「取下げ」を受け付けました")
    await expect(page.locator(".state.big")).to_have_text("取下げ")
    await shot(page, "31-case-withdrawn-keyboard")
    snap = await later.edge.cases.snapshot(later.ours)
    assert snap.state == "withdrawn" and snap.history[-1].actor.username == "hoken-kacho"
    with capsys.disabled():  # a figure for the closing note (issue 11), not a timed test
        print(f"\n  keyboard-only flow in the browser: {time.perf_counter() - started:.1f} s")


async def test_filters_work_without_javascript_and_the_calendar_page_issues_a_feed(
    later: Running, browser: Browser
) -> None:
    base = later.base
    page = await (await browser.new_context(locale="ja-JP", java_script_enabled=False)).new_page()
    await desk_browser.log_in(page, base)
    await page.goto(f"{base}/deadlines")
    await page.get_by_label("期間").select_option("90")
    await page.locator("form.period").get_by_role("button", name="表示").click()
    await expect(page).to_have_url(re.compile(r"/deadlines\?days=90$"))
    await expect(
        page.get_by_role("heading", name=re.compile("90日以内に期限を迎える"))
    ).to_be_visible()
    await expect(page.locator("#upcoming").get_by_text(LATER)).to_be_visible()
    await page.goto(f"{base}/cases")
    await page.get_by_label("状態").select_option(label="取下げ")
    await page.locator("form.filters").get_by_role("button", name="表示").click()
    await expect(page).to_have_url(re.compile(r"state=withdrawn"))
    await expect(page.get_by_text("表示する案件はありません")).to_be_visible()

    # axe-core needs scripts: the calendar page in a browser with JavaScript on
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    await desk_browser.log_in(page, base)
    await page.get_by_role("link", name="カレンダー").click()
    await expect(page.get_by_role("heading", name="カレンダー", exact=True)).to_be_visible()
    await expect(page.get_by_text("未発行")).to_be_visible()
    await shot(page, "32-calendar")
    await page.get_by_role("button", name="URLを発行").click()
    url = await page.get_by_label("あなたのカレンダーのURL").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/calendar/[A-Za-z0-9_-]{{43}}\.ics", url), url
    await shot(page, "33-calendar-issued")
    feed = await page.request.get(url)
    assert feed.status == 200 and "text/calendar" in feed.headers["content-type"]
    assert LATER in await feed.text()
    await page.goto(f"{base}/calendar")
    await page.get_by_role("button", name="URLを停止").click()
    await expect(page.get_by_role("status")).to_contain_text("停止しました")
    assert (await page.request.get(url)).status == 404
