"""Desk accounts: who a person is and which roles they hold. A role here is a post a person
holds; ``acting_role`` turns it into the lifecycle's ``Role`` the engine checks acts against.

A department member and a department head both act for their department (the lifecycle knows
one department role); the head is marked so pages can show them more.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, field_validator

from models.case.states import Role
from models.limits import one_line

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")


class UserRole(StrEnum):
    department_member = "department_member"  # 担当課 職員
    department_head = "department_head"  # 担当課 課長
    secretariat = "secretariat"  # 事務局
    it = "it"  # 情報システム課
    council = "council"  # 審議会委員
    chair = "chair"  # 会長
    admin = "admin"  # システム管理者


USER_ROLE_LABELS: dict[UserRole, str] = {
    UserRole.department_member: "担当課職員",
    UserRole.department_head: "担当課長",
    UserRole.secretariat: "事務局",
    UserRole.it: "情報システム課",
    UserRole.council: "審議会委員",
    UserRole.chair: "会長",
    UserRole.admin: "システム管理者",
}

DEPARTMENT_ROLES = frozenset({UserRole.department_member, UserRole.department_head})


def acting_role(role: UserRole) -> Role:
    """The lifecycle role a post acts as."""
    return Role.department if role in DEPARTMENT_ROLES else Role(role.value)


class UserSpec(BaseModel):
    """A new account, checked before it is stored."""

    username: str
    display_name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(one_line)]
    roles: list[UserRole] = Field(min_length=1)
    department: str | None = Field(default=None, max_length=100)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not USERNAME.match(value):
            raise ValueError("2–40 characters: lowercase letters, digits, '.', '_' or '-'")
        return value

    def model_post_init(self, _context: object) -> None:
        needs_department = any(r in DEPARTMENT_ROLES for r in self.roles)
        if needs_department and not self.department:
            raise ValueError("department: a department member or head needs a department")
        if not needs_department and self.department:
            raise ValueError("department: only department members and heads have one")


class UserView(BaseModel):
    """An account as pages and the CLI show it (never the hash)."""

    username: str
    display_name: str
    roles: list[UserRole]
    department: str | None
    disabled: bool
    locked: bool

    def acting_roles(self) -> list[Role]:
        return list(dict.fromkeys(acting_role(r) for r in self.roles))
