"""自治体IDでログイン in a real browser (Debian's chromium) against a real OIDC provider process
on loopback (tests/integration/oidc_provider.py) and the desk under uvicorn (no engine needed:
the case list comes from the read model). A mapped user lands on the desk with toshin's roles;
ID tokens with a wrong nonce, audience, issuer or signature are refused; an unmapped identity
is refused and audited; logout ends the local session. The signed-in user issues and revokes
an API token on the APIトークン page. axe-core: 0 violations on the login page with the
button, the refusal page and the token page. Screenshots: var/test-artifacts/web/."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx2
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import text

from models.accounts import UserRole
from settings import Settings
from tests.conftest import ROOT
from tests.integration.test_desk_browser import CHROMIUM
from tests.integration.test_desk_dept_browser import SHOTS, shot
from web.app import create_app
from web.deps import Desk

CLIENT_ID = "toshin-desk"
SECRET = "provider-test-secret-0123456789"


@dataclass
class Running:
    base: str  # the desk
    issuer: str  # the provider
    desk: Desk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def desk_port() -> int:
    return _free_port()


@pytest.fixture(scope="module")
def provider(desk_port: int) -> Iterator[str]:
    redirect = f"http://127.0.0.1:{desk_port}/login/oidc/callback"
    args = ["--client-id", CLIENT_ID, "--client-secret", SECRET, "--redirect-uri", redirect]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.oidc_provider", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()  # printed once its socket is bound
    try:
        assert port.isdigit(), "the test provider did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture(scope="module")
async def running(
    provider: str, desk_port: int, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    secret_file = tmp_path_factory.mktemp("oidc") / "client_secret"
    secret_file.write_text(SECRET + "\n")
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("desk"),
        database_url="",
        oidc_enabled=True,
        oidc_issuer=provider,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret_file=secret_file,
    )
    app = create_app(settings)
    state: Desk = app.state.desk
    state.users.add(
        username="hoken-kacho",
        display_name="保健 花子",
        roles=[UserRole.department_head],
        department="保健センター",
        password="local-password-2026",
    )
    state.users.add(
        username="kyushi",
        display_name="休止 次郎",
        roles=[UserRole.secretariat],
        department=None,
        password="local-password-2026",
    )
    state.users.set_disabled("kyushi")
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=desk_port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield Running(f"http://127.0.0.1:{desk_port}", provider, state)
    server.should_exit = True
    await task
    state.engine.dispose()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def through_provider(page: Page, base: str, login: str, path: str = "/cases") -> None:
    await page.goto(f"{base}{path}")
    await page.get_by_role("link", name="自治体IDでログイン").click()
    await page.get_by_label("ID").fill(login)
    await page.get_by_role("button", name="サインイン").click()


def tamper(issuer: str, mode: str) -> None:
    httpx2.post(f"{issuer}/test/tamper", data={"mode": mode}).raise_for_status()


def trail(desk: Desk) -> list[tuple[str, str, str]]:
    assert desk.audit.verify().ok
    with desk.engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, action, detail FROM audit_records ORDER BY seq"))
        return [(r[0], r[1], r[2]) for r in rows]


async def test_a_mapped_user_logs_in_through_the_provider_and_out_again(
    running: Running, browser: Browser
) -> None:
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    await page.goto(f"{running.base}/deadlines")
    await expect(page.get_by_role("link", name="自治体IDでログイン")).to_be_visible()
    await shot(page, "oidc-01-login")

    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/oidc/callback" in r.url else None)
    await through_provider(page, running.base, "hoken-kacho", "/deadlines")
    await expect(page).to_have_url(f"{running.base}/deadlines")  # where they were going
    await expect(page.get_by_text("保健 花子")).to_be_visible()
    menu = page.get_by_role("navigation", name="メインメニュー")
    await expect(menu.get_by_role("link", name="自課の案件")).to_be_visible()  # toshin's roles
    await page.screenshot(path=str(SHOTS / "oidc-02-landed.png"), full_page=True)
    assert trail(running.desk)[-1] == ("hoken-kacho", "login", "oidc")
    cookies = {c["name"] for c in await page.context.cookies()}
    assert "toshin_session" in cookies and "toshin_oidc" not in cookies  # one-time values gone

    # APIトークン: issue one (shown once), then revoke it, keyboard-reachable forms
    await menu.get_by_role("link", name="APIトークン").click()
    await expect(page.get_by_text("トークンはまだありません")).to_be_visible()
    await shot(page, "tokens-01-empty")
    await page.get_by_label("用途").fill("連携システム")
    await page.get_by_label("用途").press("Enter")
    secret = await page.locator("#new-token").text_content()
    assert secret and secret.startswith("tsn_")
    assert running.desk.users.by_token(secret).username == "hoken-kacho"
    await shot(page, "tokens-02-issued")
    await page.get_by_role("button", name=re.compile("「連携システム」.*を失効させる")).click()
    await expect(page.get_by_role("status")).to_contain_text("失効させました")
    await expect(page.get_by_role("cell", name="失効", exact=True)).to_be_visible()
    await shot(page, "tokens-03-revoked")
    assert secret not in await page.content()

    await page.get_by_role("button", name="ログアウト").click()
    await expect(page).to_have_url(f"{running.base}/login")
    await page.goto(f"{running.base}/cases")
    await expect(page).to_have_url(f"{running.base}/login?next=/cases")
    replayed = await page.goto(callbacks[0])  # the same code and state again: no new session
    assert replayed is not None and replayed.status == 401
    await page.goto(f"{running.base}/cases")
    await expect(page).to_have_url(f"{running.base}/login?next=/cases")


@pytest.mark.parametrize(
    ("mode", "why"),
    [
        ("nonce", "nonce claim"),
        ("audience", "aud claim"),
        ("issuer", "iss claim"),
        ("signature", "signature"),
    ],
)
async def test_a_wrong_id_token_is_refused(
    running: Running, browser: Browser, mode: str, why: str
) -> None:
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    tamper(running.issuer, mode)
    try:
        await through_provider(page, running.base, "hoken-kacho")
    finally:
        tamper(running.issuer, "")
    await expect(
        page.get_by_role("heading", name="自治体IDでのログインを確認できませんでした")
    ).to_be_visible()
    assert "/login/oidc/callback" in page.url
    actor, action, detail = trail(running.desk)[-1]
    assert (actor, action) == ("", "login_refused") and why in detail, detail
    await page.goto(f"{running.base}/cases")  # no session was opened
    await expect(page).to_have_url(f"{running.base}/login?next=/cases")


async def test_an_unmapped_or_disabled_identity_is_refused_and_audited(
    running: Running, browser: Browser
) -> None:
    page = await (await browser.new_context(locale="ja-JP")).new_page()
    await through_provider(page, running.base, "stranger")
    heading = page.get_by_role("heading", name="この自治体IDで使える職員アカウントがありません")
    await expect(heading).to_be_visible()
    await shot(page, "oidc-03-no-account")
    assert trail(running.desk)[-1] == (
        "",
        "login_refused",
        "oidc: no account for the identity: preferred_username=stranger",
    )
    await through_provider(page, running.base, "kyushi")
    await expect(heading).to_be_visible()
    assert trail(running.desk)[-1][2] == "oidc: the account is disabled: preferred_username=kyushi"


async def test_a_callback_without_this_browsers_attempt_is_refused(running: Running) -> None:
    async with httpx2.AsyncClient(base_url=running.base) as http:
        forged = await http.get("/login/oidc/callback", params={"code": "x", "state": "y"})
        assert forged.status_code == 401
        started = await http.get("/login/oidc")
        assert started.status_code == 303
        assert started.headers["location"].startswith(f"{running.issuer}/authorize?")
        wrong_state = await http.get("/login/oidc/callback", params={"code": "x", "state": "y"})
        assert wrong_state.status_code == 401
    assert "state: does not match" in trail(running.desk)[-1][2]
