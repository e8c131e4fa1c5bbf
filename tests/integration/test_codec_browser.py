"""The Temporal Web UI in a real browser (Debian's chromium) with the desk as its codec: an
admin logged in to the desk sees a case's input decoded in the UI; a department head, logged
in just the same, sees only ciphertext (the UI asked and was refused, which the audit trail
shows). Its own dev server, because the UI must be started with --ui-codec-endpoint."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, expect
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from edge.connect import Edge
from models import search_attributes as sa
from models.accounts import UserRole
from models.ids import case_workflow_id
from persistence.database import make_engine
from settings import Settings
from tests.conftest import SERVER_STARTUP
from tests.factories import actor, document
from tests.integration.conftest import TEMPORAL_BIN, municipality
from tests.integration.test_desk_browser import SHOTS, _free_port, browser
from tests.keys import TEST_CONVERTER, TEST_KEYRING_ENV
from web.app import create_app
from web.deps import Desk
from worker import build_worker

__all__ = ["browser"]  # the fixture

PW = "codec-browser-password"
TITLE = "住民票写し交付の外部委託"


@dataclass
class Ui:
    ui: str  # the Temporal Web UI's base URL
    desk: str  # the desk's base URL
    state: Desk
    case_id: str


@pytest.fixture
async def ui(executor: ThreadPoolExecutor, tmp_path: Path) -> AsyncIterator[Ui]:
    ui_port, desk_port = _free_port(), _free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_startup_timeout=SERVER_STARTUP,
        dev_server_existing_path=str(TEMPORAL_BIN),
        search_attributes=sa.ALL,
        data_converter=TEST_CONVERTER,
        ui=True,
        ui_port=ui_port,
        dev_server_extra_args=["--ui-codec-endpoint", f"http://127.0.0.1:{desk_port}/codec/"],
    )
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
        ui_port=ui_port,
        keyring=SecretStr(TEST_KEYRING_ENV),
    )
    engine = make_engine(settings.read_model_url)
    town = municipality()
    worker = build_worker(env.client, settings, executor, engine=engine, municipality=town)
    async with worker:
        snap = await CaseService(env.client, settings, town).create_case(
            document=document(title=TITLE), actor=actor("department")
        )
        app = create_app(settings, edge=Edge(env.client, settings, town))
        state: Desk = app.state.desk
        for username, roles, department in (
            ("admin", [UserRole.admin], None),
            ("kacho", [UserRole.department_head], "保健センター"),
        ):
            state.users.add(username=username, display_name=username, roles=roles,
                            department=department, password=PW)  # fmt: skip
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=desk_port, log_level="warning",
                           lifespan="off")
        )  # fmt: skip
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        yield Ui(f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{desk_port}", state,
                 snap.case_id)  # fmt: skip
        server.should_exit = True
        await task
    engine.dispose()
    await env.shutdown()


async def open_case_in_ui(page: Page, ui: Ui, username: str) -> None:
    """Log in to the desk, turn on the UI's "include cross-origin credentials" (the browser
    setting an operator switches on once), and open the case's workflow in the UI."""
    await page.goto(f"{ui.desk}/login")
    await page.get_by_label("ユーザー名").fill(username)
    await page.get_by_label("パスワード").fill(PW)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page).to_have_url(f"{ui.desk}/cases")
    await page.goto(f"{ui.ui}/")
    await page.evaluate(
        """endpoint => {
            localStorage.setItem('endpoint', JSON.stringify(endpoint));
            localStorage.setItem('includeCredentials', 'true');
            localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
        }""",
        f"{ui.desk}/codec/",
    )
    workflow = case_workflow_id(ui.case_id)
    await page.goto(f"{ui.ui}/namespaces/default/workflows/{workflow}")


def codec_records(ui: Ui) -> list[tuple[str, str, str]]:
    with ui.state.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT actor, action, detail FROM audit_records WHERE action LIKE 'codec%'"
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]


async def test_an_admin_sees_decoded_payloads_in_the_temporal_ui(ui: Ui, browser: Browser) -> None:
    page = await (await browser.new_context()).new_page()
    await open_case_in_ui(page, ui, "admin")
    await expect(page.get_by_text(TITLE).first).to_be_visible(timeout=60_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "codec-admin-decoded.png"), full_page=True)
    assert ("admin", "codec_decode") in [(a, b) for a, b, _ in codec_records(ui)]


async def test_a_department_head_sees_only_ciphertext(ui: Ui, browser: Browser) -> None:
    page = await (await browser.new_context()).new_page()
    await open_case_in_ui(page, ui, "kacho")
    # the UI asked the desk's codec, was refused, and says so: the page has settled
    refused = page.locator("#content").get_by_text("Codec Server could not connect")
    await expect(refused).to_be_visible(timeout=60_000)
    await page.screenshot(path=str(SHOTS / "codec-kacho-ciphertext.png"), full_page=True)
    assert ("kacho", "codec_refused") in [(a, b) for a, b, _ in codec_records(ui)]
    assert TITLE not in await page.content()
