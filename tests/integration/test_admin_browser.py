"""The admin console in a real browser against the real engine: a department head is refused
(403); the admin sees a parked step under its cause and a workflow whose input cannot be
decoded with its error; an action without a reason is refused next to the field and changes
nothing; a batch retry says how many it touches first; a case is reset to an earlier step after
its dry run; reconcile repairs a deleted row. axe-core: no WCAG 2 A/AA violation on these
pages. Screenshots: var/test-artifacts/web/."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import text

import tests.integration.test_desk_browser as desk_browser
from edge.admin import AdminService
from models.accounts import UserRole
from tests.factories import act, actor, document
from tests.integration.conftest import System
from tests.integration.polling import until
from tests.integration.test_desk_browser import Running, log_in
from tests.integration.test_desk_dept_browser import shot
from tests.integration.test_failed_steps import read_model_locked

desk = desk_browser.desk
browser = desk_browser.browser

ADMIN_PW = "kanri-password-2026"
PARKED_TITLE = "保留中の案件"


async def log_in_as_admin(page: Page, base: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("ユーザー名").fill("kanri")
    await page.get_by_label("パスワード").fill(ADMIN_PW)
    await page.get_by_role("button", name="ログイン").click()


@pytest.fixture
async def bogus(desk: Running, system: System) -> AsyncIterator[str]:
    """A workflow of a type this deployment's worker does not have (say, one retired by an
    upgrade while it ran): its task fails for ever."""
    workflow_id = f"retired-{uuid.uuid4().hex[:12]}"
    handle = await system.client.start_workflow(
        "RetiredWorkflow", id=workflow_id, task_queue=system.settings.task_queue
    )
    admin = AdminService(desk.edge, desk.desk.engine)
    await until(
        admin.failing,
        lambda found: any(f.workflow_id == workflow_id for f in found),
        timeout=30,
        what="the bogus workflow failing",
        every=0.5,
    )
    yield workflow_id
    await handle.terminate("test over")


async def test_the_admin_console_in_the_browser(
    desk: Running, system: System, bogus: str, browser: Browser
) -> None:
    cases = desk.edge.cases
    desk.desk.users.add(
        username="kanri",
        display_name="管理 太郎",
        roles=[UserRole.admin],
        department=None,
        password=ADMIN_PW,
    )
    with read_model_locked(system):
        parked = await cases.create_case(
            document=document(title=PARKED_TITLE), actor=actor("department")
        )
    assert parked.parked is not None
    await cases.act(desk.ours, act("submit", "department"))
    await cases.act(desk.ours, act("require_consultation", "secretariat", {"reason": "外部結合"}))
    with system.engine.begin() as conn:  # a row lost: reconcile brings it back
        conn.execute(text("delete from case_transitions where case_id = :c"), {"c": desk.theirs})
        conn.execute(text("delete from cases where case_id = :c"), {"c": desk.theirs})

    context = await browser.new_context(locale="ja-JP")
    page = await context.new_page()

    # a department head may not open the console
    await log_in(page, desk.base)
    refused = await page.goto(f"{desk.base}/admin")
    assert refused is not None and refused.status == 403
    await expect(page.get_by_role("link", name="管理", exact=True)).to_have_count(0)
    await context.clear_cookies()

    await log_in_as_admin(page, desk.base)
    await page.get_by_role("link", name="管理", exact=True).click()
    await expect(page.get_by_role("heading", name="停止中の処理 1件")).to_be_visible()
    await expect(page.locator("h3", has_text="project_transition")).to_contain_text(
        "database is locked"
    )
    parked_row = page.locator("table.parked tr", has_text=parked.case_id)
    await expect(parked_row.get_by_role("link", name="Temporal UIで開く")).to_have_attribute(
        "href", f"http://127.0.0.1:{system.settings.ui_port}/namespaces/default/workflows/"
        f"case-{parked.case_id}",
    )  # fmt: skip
    failing = page.locator("table.failing")
    await expect(failing).to_contain_text(bogus)
    await expect(failing).to_contain_text("WORKFLOW_WORKER_UNHANDLED_FAILURE")
    await expect(failing).to_contain_text("not registered")
    await shot(page, "20-admin-console")

    # no reason: refused next to the field, the step still parked
    await parked_row.get_by_role("button", name="実行").click()
    await expect(page.get_by_role("alert")).to_contain_text("理由")
    await expect(page.locator(".field.invalid input[name=reason]")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert (await cases.snapshot(parked.case_id)).parked is not None
    await shot(page, "21-admin-reason-refused")

    # batch retry: how many it touches first, then the retry
    await page.locator("table.parked tr", has_text=parked.case_id).get_by_role("checkbox").check()
    await page.get_by_role("button", name="影響を確認する").click()
    await expect(page.get_by_role("heading", name="1件に影響します")).to_be_visible()
    await shot(page, "22-admin-batch-preview")
    await page.get_by_label("理由").fill("ロック解除を確認したため")
    await page.get_by_role("button", name="1件を再実行する").click()
    await expect(page.get_by_role("status")).to_contain_text("1件が完了")
    await expect(page.get_by_role("heading", name="停止中の処理 0件")).to_be_visible()
    snap = await cases.snapshot(parked.case_id)
    assert snap.parked is None
    assert snap.admin_log[-1].reason == "ロック解除を確認したため"
    assert snap.admin_log[-1].actor.name == "管理 太郎(kanri)"

    # reset: the points, the dry run, then the reset
    await page.get_by_role("link", name="案件を前の段階に戻す").click()
    await page.get_by_label("案件番号").fill(desk.ours)
    await page.get_by_role("button", name="戻せる段階を表示").click()
    await page.get_by_role("link", name="遷移 1 の後").click()
    plan = page.locator("section", has=page.get_by_role("heading", name="試行"))
    await expect(plan).to_contain_text("事前確認")
    await expect(plan.locator("ol").nth(1)).to_contain_text("require_consultation")
    await shot(page, "23-admin-reset-dry-run")
    assert (await cases.snapshot(desk.ours)).state == "precheck"  # the dry run changed nothing
    await page.get_by_label("理由").fill("誤って事前確認に進めたため")
    await page.get_by_role("button", name="遷移 1 の後に戻す").click()
    await expect(page.get_by_role("status")).to_contain_text("遷移 1 の後に戻しました")
    assert (await cases.snapshot(desk.ours)).state == "triage"
    assert system.sql("select state from cases where case_id = :c", c=desk.ours) == [("triage",)]

    # reconcile: the deleted row comes back
    await page.get_by_role("navigation").get_by_role("link", name="管理").click()
    await page.locator("#reconcile-reason").fill("週次の照合")
    await page.get_by_role("button", name="照合して修復する").click()
    await expect(page.get_by_role("status")).to_contain_text("欠落1件")
    await expect(page.get_by_role("status")).to_contain_text(f"case {desk.theirs}: missing")
    assert system.sql("select state from cases where case_id = :c", c=desk.theirs) == [("draft",)]
    await shot(page, "24-admin-reconciled")
    await context.close()
