"""Personal API tokens: shown once and kept only as a hash, they sign their account in until
revoked or until the account is disabled; a wrong token is one refusal like a wrong password."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from edge.users import UserService
from models.accounts import UserRole
from models.errors import InvalidPayload, LoginRefused, UnknownUser
from persistence.tables import ApiTokenRow
from settings import Settings


@pytest.fixture
def users(tmp_path: Path) -> UserService:
    service = UserService(Settings(data_dir=tmp_path, database_url=""))
    service.add(
        username="kacho",
        display_name="保健 花子",
        roles=[UserRole.department_head],
        department="保健センター",
        password="correct horse battery",
    )
    return service


def test_a_token_signs_its_account_in_and_only_its_hash_is_kept(users: UserService) -> None:
    token, issued = users.issue_token("kacho", "連携システム")
    assert token.startswith("tsn_") and len(token) > 40
    assert users.by_token(token).username == "kacho"
    with Session(users.engine) as session:
        rows = list(session.exec(select(ApiTokenRow)))
    assert len(rows) == 1 and token not in rows[0].id_hash and rows[0].last_used is not None
    listed = users.tokens("kacho")
    assert [(t.token_id, t.label, t.revoked) for t in listed] == [
        (issued.token_id, "連携システム", False)
    ]


def test_a_revoked_token_or_a_disabled_account_opens_nothing(users: UserService) -> None:
    token, issued = users.issue_token("kacho", "CLI")
    other, _ = users.issue_token("kacho", "API")
    users.revoke_token("kacho", issued.token_id)
    with pytest.raises(LoginRefused, match="token: unknown, revoked"):
        users.by_token(token)
    assert users.by_token(other).username == "kacho"
    users.set_disabled("kacho")
    with pytest.raises(LoginRefused):
        users.by_token(other)
    with pytest.raises(LoginRefused):
        users.by_token("tsn_never-issued")


def test_bad_token_requests_name_the_field(users: UserService) -> None:
    with pytest.raises(UnknownUser, match="username: no account named 'nobody'"):
        users.issue_token("nobody", "x")
    with pytest.raises(InvalidPayload, match="label: 1–100 characters"):
        users.issue_token("kacho", "  ")
    with pytest.raises(InvalidPayload, match="token_id: kacho has no token 'abc'"):
        users.revoke_token("kacho", "abc")
