"""類似答申 in a real browser: a department head opens it from the menu, searches, and sees
the past case's title, its answer number, the answer date in 和暦 and the matching passage; a
query too long is refused on the page, naming the field. axe-core: no WCAG 2 A/AA violation.
Screenshots: var/test-artifacts/web/."""

from __future__ import annotations

import datetime as dt
import time

from playwright.async_api import Browser, expect
from sqlmodel import Session

import tests.integration.test_desk_browser as desk_browser
from models.case.payloads import Condition, Outcome, Votes
from models.case.record import Answer, Decision
from models.precedents import PrecedentEntry, answer_entry
from persistence import precedents
from tests.integration.test_desk_browser import Running, log_in
from tests.integration.test_desk_dept_browser import shot

desk = desk_browser.desk
browser = desk_browser.browser

TITLE = "庁舎入口への顔認証カメラの設置"
CONDITION = "顔認証により取得した特徴量データは24時間以内に消去すること。"


def past_answer(case_id: str, title: str, condition: str) -> PrecedentEntry:
    """A past answer with one condition, as the projection indexes it."""
    return answer_entry(
        case_id=case_id,
        title=title,
        department="総務課",
        kind="new",
        fiscal_year=2024,
        decision=Decision(
            outcome=Outcome.approve_with_conditions,
            votes=Votes(yes=6),
            conditions=[
                Condition(
                    text=condition, type="technical_measure", due="before_start", owner="総務課"
                )
            ],
            decided_on=dt.date(2024, 11, 1),
        ),
        answer=Answer(number="第42号", issued_on=dt.date(2024, 11, 8), approved_by="session"),
    )


async def test_a_department_head_finds_a_precedent_in_the_browser(
    desk: Running, browser: Browser
) -> None:
    started = time.perf_counter()
    entry = past_answer("past-face-1", TITLE, CONDITION)
    with Session(desk.desk.engine) as session:
        precedents.write_entry(session, entry)
        session.commit()

    page = await (await browser.new_context(locale="ja-JP")).new_page()
    await log_in(page, desk.base)
    await page.get_by_role("link", name="類似答申", exact=True).click()
    await page.get_by_label("検索する語").fill("顔認証 特徴量")
    await page.get_by_role("button", name="検索").click()
    await expect(page.get_by_role("heading", name="「顔認証 特徴量」の検索結果")).to_be_visible()
    row = page.get_by_role("row", name=TITLE)
    await expect(row).to_contain_text("第42号")
    await expect(row).to_contain_text("2024年(令和6年)11月8日")  # the town's style
    await shot(page, "40-precedents")

    await page.get_by_label("検索する語").fill("指紋認証")
    await page.get_by_role("button", name="検索").click()
    await expect(page.get_by_text("該当する答申・会議録はありません")).to_be_visible()

    await page.goto(f"{desk.base}/precedents?q={'顔' * 201}")
    await expect(page.get_by_role("alert")).to_contain_text("query: at most 200 characters")
    await shot(page, "41-precedents-refused")
    print(f"precedents browser: {time.perf_counter() - started:.1f}s")
