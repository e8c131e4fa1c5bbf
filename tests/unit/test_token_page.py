"""The APIトークン page (no engine): a signed-in user issues a token whose secret is shown on
that one page and works on the API, lists and revokes their own tokens only; every form needs
the session's CSRF token; issue and revocation are audited by token id, never the secret."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from models.accounts import UserRole
from tests.unit.test_audit_desk import trail
from tests.unit.test_desk_routes import _csrf, client, login
from web.deps import Desk

__all__ = ["client"]


def desk_of(client: TestClient) -> Desk:
    desk: Desk = client.app.state.desk  # type: ignore[attr-defined]
    return desk


def test_a_token_is_shown_once_works_and_is_revoked(client: TestClient) -> None:
    assert client.get("/tokens", follow_redirects=False).status_code == 303  # login first
    login(client)
    page = client.get("/tokens")
    assert "トークンはまだありません" in page.text and 'href="/tokens"' in page.text  # menu
    issued = client.post("/tokens", data={"label": "連携システム", "csrf_token": _csrf(page.text)})
    assert issued.status_code == 200
    secret = re.search(r'id="new-token"[^>]*>(tsn_[^<]+)<', issued.text)
    assert secret, issued.text
    users = desk_of(client).users
    assert users.by_token(secret.group(1)).username == "kacho"
    again = client.get("/tokens").text
    assert secret.group(1) not in again and "連携システム" in again and "有効" in again

    (token,) = users.tokens("kacho")
    revoked = client.post(f"/tokens/{token.token_id}/revoke", data={"csrf_token": _csrf(again)})
    assert revoked.status_code == 200 and "失効させました" in revoked.text
    assert users.tokens("kacho")[0].revoked
    records = [(actor, action, detail) for actor, _, action, _, detail, _ in trail(client)]
    assert records[-2:] == [
        ("kacho", "api_token_issue", f"token {token.token_id}"),
        ("kacho", "api_token_revoke", f"token {token.token_id}"),
    ]
    assert all(secret.group(1) not in str(r) for r in trail(client))


def test_forms_without_the_csrf_token_change_nothing(client: TestClient) -> None:
    login(client)
    _, issued = desk_of(client).users.issue_token("kacho", "CLI")
    assert client.post("/tokens", data={"label": "x"}).status_code == 403
    forged = client.post(f"/tokens/{issued.token_id}/revoke", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert [(t.label, t.revoked) for t in desk_of(client).users.tokens("kacho")] == [("CLI", False)]


def test_an_empty_label_is_shown_next_to_the_field(client: TestClient) -> None:
    login(client)
    page = client.get("/tokens").text
    refused = client.post("/tokens", data={"label": "  ", "csrf_token": _csrf(page)})
    assert refused.status_code == 422
    assert 'id="token-label-error"' in refused.text and 'aria-invalid="true"' in refused.text
    assert desk_of(client).users.tokens("kacho") == ()


def test_another_users_token_cannot_be_revoked(client: TestClient) -> None:
    users = desk_of(client).users
    users.add(
        username="jimu",
        display_name="総務 一郎",
        roles=[UserRole.secretariat],
        department=None,
        password="another password",
    )
    _, theirs = users.issue_token("jimu", "API")
    login(client)
    page = client.get("/tokens").text
    assert theirs.token_id not in page
    refused = client.post(f"/tokens/{theirs.token_id}/revoke", data={"csrf_token": _csrf(page)})
    assert refused.status_code == 422
    assert users.tokens("jimu")[0].revoked is False
