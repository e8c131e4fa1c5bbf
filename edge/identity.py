"""Who acts: the ``Actor`` the engine records, built from a signed-in account only.

Every caller proves who it is first (the desk's session, an API token, the CLI's
``TOSHIN_USER`` + password or ``TOSHIN_TOKEN``) and gets a ``UserView``; ``actor_for`` turns it
into the actor of one act, carrying every role the account holds and its department, which the
workflow's validators check (``models.case.checks.check_actor``). A claimed role is never
trusted: an account asking for a role it does not hold is refused by the same rule.

The one exception is the admin path: a scenario file (and the demo loader, which runs them)
plays every role of its steps. Only an account holding admin may run one, and every act it
records names that admin (``scenario_actor``).
"""

from __future__ import annotations

from collections.abc import Sequence

from models.accounts import UserRole, UserView
from models.case.checks import check_actor
from models.case.record import Actor
from models.case.states import Role
from models.errors import RoleNotAllowed

NAME_LENGTH = 100  # Actor.name, and the read model's actor_name


def proven(user: UserView, role: Role) -> Actor:
    """The actor of ``user`` acting as ``role`` (held or not: the validator decides), named
    as pages show it: 表示名(username)."""
    return Actor(
        role=role,
        name=f"{user.display_name}({user.username})"[:NAME_LENGTH],
        username=user.username,
        holds=tuple(user.acting_roles()),
        department=user.department,
        head=UserRole.department_head in user.roles,
    )


def role_for(user: UserView, allowed: Sequence[Role], asked: Role | None = None) -> Role:
    """The role ``user`` acts in: the one asked for, else the first role the user holds that
    ``allowed`` (the table's roles for the act) contains, else the user's first role (the
    validator then says which roles the act needs)."""
    if asked is not None:
        return asked
    held = user.acting_roles()
    if not held:
        raise RoleNotAllowed(f"actor: {user.username} holds no role")
    return next((r for r in held if r in allowed), held[0])


def actor_for(user: UserView, allowed: Sequence[Role], asked: Role | None = None) -> Actor:
    """The actor for an act whose table roles are ``allowed``."""
    return proven(user, role_for(user, allowed, asked))


def scenario_actor(admin: UserView, role: Role, *, department: str | None, name: str) -> Actor:
    """The admin path: a scenario's step acting as ``role`` (for ``department``'s case), run
    by ``admin``, who must hold admin."""
    check_actor(proven(admin, Role.admin), "running a scenario", (Role.admin,), None)
    return Actor(
        role=role,
        name=name,
        username=admin.username,
        holds=(role,),
        department=department if role is Role.department else None,
    )
