"""Who opens the secretariat's and the council members' pages, and which roster member an
account is: from the logged-in user's roles only, never from a form field.

A council member's account is linked to their seat by its username: the account whose
username equals the roster's ``member_id`` (e.g. ``m3``) is that member. An administrator
creates it so (``starter.py user add m3 --role council``); names are never matched.
"""

from __future__ import annotations

from edge.identity import proven
from edge.precedents import PRECEDENT_ROLES
from edge.users import Login
from models.accounts import DEPARTMENT_ROLES, UserRole, UserView
from models.case.record import Actor
from models.case.states import Role
from models.session.council import Council, Member
from web.errors import PageForbidden

ALL_CASES = frozenset({UserRole.secretariat, UserRole.it, UserRole.admin})
CASE_PAGES = DEPARTMENT_ROLES | ALL_CASES  # the case list and 期限 (scoped by web/routes/cases)
INTAKE_PAGES = frozenset({UserRole.secretariat, UserRole.admin, UserRole.it})
SECRETARIAT_PAGES = frozenset({UserRole.secretariat, UserRole.admin})
SESSION_PAGES = SECRETARIAT_PAGES | {UserRole.chair}  # the chair runs items at the session
MEMBER_PAGES = frozenset({UserRole.council, UserRole.chair})
ADMIN_PAGES = frozenset({UserRole.admin})
EVERYONE = frozenset(UserRole)  # pages about the signed-in user's own account
FEED_PAGES = CASE_PAGES | SESSION_PAGES | MEMBER_PAGES  # a calendar of what the user sees
# the roles a session page lets a person act in: members (委員) only read
SESSION_ACTING = (Role.secretariat, Role.chair)


# the main menu: each page with the roles that open it (the routes check the same sets)
MENU: tuple[tuple[str, str, frozenset[UserRole]], ...] = (
    ("/cases", "案件一覧", CASE_PAGES),
    ("/deadlines", "期限", CASE_PAGES),
    ("/intake", "受付・事前確認", INTAKE_PAGES),
    ("/sessions", "審議会と会議", SESSION_PAGES),
    ("/overview", "全庁の状況", INTAKE_PAGES),
    ("/precedents", "類似答申", PRECEDENT_ROLES),
    ("/member", "委員のページ", MEMBER_PAGES),
    ("/calendar", "カレンダー", FEED_PAGES),
    ("/admin", "管理", ADMIN_PAGES),
    ("/tokens", "APIトークン", EVERYONE),
)


def menu(user: UserView) -> list[tuple[str, str]]:
    """The (path, label) of every page of the main menu this user may open; a department's
    own staff see their case list as 自課の案件."""
    own = not any(r in ALL_CASES for r in user.roles)
    return [
        (path, "自課の案件" if path == "/cases" and own else label)
        for path, label, allowed in MENU
        if any(role in allowed for role in user.roles)
    ]


def actor_of(login: Login, role: Role) -> Actor:
    """The actor the engine records for the logged-in user acting in ``role`` (proven: the
    account's roles and department go with it, and the workflow checks them)."""
    return proven(login.user, role)


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
    if target == "/cases" and not any(r in CASE_PAGES for r in user.roles):
        return "/member"
    return target
