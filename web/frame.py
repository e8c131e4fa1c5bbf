"""What every desk page shows around its content: who is logged in, the CSRF token of their
session, the municipality and the main menu of the pages their roles open."""

from __future__ import annotations

from typing import Any

from edge.users import Login
from models.accounts import USER_ROLE_LABELS
from web.access import menu
from web.deps import Desk


def page_frame(desk: Desk, login: Login, *, department: str | None = None) -> dict[str, Any]:
    """The frame's template values; ``department`` when the page shows one department's cases."""
    return {
        "login": login,
        "csrf": login.csrf_token,
        "roles": "・".join(USER_ROLE_LABELS[r] for r in login.user.roles),
        "town": desk.town.name,
        "menu": menu(login.user),
        "department": department,
    }
