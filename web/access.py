"""Who opens the secretariat's and the council members' pages, and which roster member an
account is: from the logged-in user's roles only, never from a form field.

A council member's account is linked to their seat by its username: the account whose
username equals the roster's ``member_id`` (e.g. ``m3``) is that member. An administrator
creates it so (``starter.py user add m3 --role council``); names are never matched.
"""

from __future__ import annotations

from models.accounts import DEPARTMENT_ROLES, UserRole, UserView
from models.case.states import Role
from models.session.council import Council, Member
from web.errors import PageForbidden

SECRETARIAT_PAGES = frozenset({UserRole.secretariat, UserRole.admin})
SESSION_PAGES = SECRETARIAT_PAGES | {UserRole.chair}  # the chair runs items at the session
MEMBER_PAGES = frozenset({UserRole.council, UserRole.chair})
# the roles a session page lets a person act in: members (委員) only read
SESSION_ACTING = (Role.secretariat, Role.chair)


def require(user: UserView, allowed: frozenset[UserRole], page: str) -> None:
    """PageForbidden unless the user holds one of ``allowed``."""
    if not any(role in allowed for role in user.roles):
        raise PageForbidden(f"{user.username}: {page} needs one of {', '.join(sorted(allowed))}")


def seat_of(council: Council, user: UserView) -> Member | None:
    """The roster member this account is (see the module docstring), if any."""
    if not any(role in MEMBER_PAGES for role in user.roles):
        return None
    return council.member(user.username)


def landing(user: UserView, target: str) -> str:
    """Where a login lands: ``target``, except that a council member who holds no role with
    a case list lands on their own page instead of the case list."""
    case_list = DEPARTMENT_ROLES | {UserRole.secretariat, UserRole.it, UserRole.admin}
    if target == "/cases" and not any(r in case_list for r in user.roles):
        return "/member"
    return target
