"""Registered accounts for the tests that act as a person (the CLI, the API): added to the
test's read model through ``edge.users`` like `starter.py user add`, with a personal token."""

from __future__ import annotations

from edge.users import UserService
from models.accounts import UserRole
from settings import Settings
from tests.factories import TEST_DEPARTMENT

OPERATOR = "operator"  # holds every role, for 保健センター: the CLI tests' default account
EVERY_ROLE = [
    UserRole.department_head,
    UserRole.secretariat,
    UserRole.it,
    UserRole.chair,
    UserRole.council,
    UserRole.admin,
]
PASSWORD = "correct horse battery"

_tokens: dict[tuple[str, str], str] = {}


def account_token(
    settings: Settings,
    username: str = OPERATOR,
    roles: list[UserRole] | None = None,
    department: str | None = TEST_DEPARTMENT,
) -> str:
    """A personal token of ``username`` in ``settings``' read model (added on first use)."""
    key = (settings.read_model_url, username)
    if key not in _tokens:
        users = UserService(settings)
        try:
            users.add(
                username=username,
                display_name=f"{username} 太郎",
                roles=roles or EVERY_ROLE,
                department=department,
                password=PASSWORD,
            )
            _tokens[key] = users.issue_token(username, "tests")[0]
        finally:
            users.engine.dispose()
    return _tokens[key]
