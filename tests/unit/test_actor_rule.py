"""THE rule for who may act (``models.case.checks.check_actor``), as the validators apply it,
and the actor histories recorded before accounts existed still reading back."""

from __future__ import annotations

import pytest

from models.case.checks import check_actor, check_creator
from models.case.record import Actor
from models.case.states import Role
from models.errors import OtherDepartment, RoleNotAllowed

HOKEN = Actor(
    role=Role.department,
    name="保健 花子",
    username="hoken",
    holds=(Role.department,),
    department="保健センター",
    head=True,
)
JIMU = Actor(role=Role.secretariat, name="総務 一郎", username="jimu", holds=(Role.secretariat,))


def test_an_account_acts_in_a_role_the_table_gives_and_it_holds() -> None:
    check_actor(HOKEN, "submit", (Role.department,), "保健センター")
    check_actor(JIMU, "require_consultation", (Role.secretariat,), "保健センター")
    with pytest.raises(RoleNotAllowed, match=r"^submit is done by department, not secretariat$"):
        check_actor(JIMU, "submit", (Role.department,), "保健センター")
    claimed = HOKEN.model_copy(update={"role": Role.secretariat})
    with pytest.raises(
        RoleNotAllowed, match=r"^actor\.role: the account does not hold secretariat"
    ):
        check_actor(claimed, "schedule", (Role.secretariat,), "保健センター")


def test_a_department_acts_on_its_own_cases_only() -> None:
    with pytest.raises(
        OtherDepartment, match=r"^actor\.department: a case of 納税課 .* not 保健センター"
    ):
        check_actor(HOKEN, "submit", (Role.department,), "納税課")
    with pytest.raises(OtherDepartment, match="an account without a department"):
        check_actor(
            HOKEN.model_copy(update={"department": None}), "submit", (Role.department,), "納税課"
        )
    with pytest.raises(OtherDepartment):
        check_creator(HOKEN, "納税課")
    check_creator(HOKEN, "保健センター")
    check_creator(JIMU, "納税課")  # the secretariat files a paper case for any department


def test_an_actor_no_account_stands_behind_is_refused() -> None:
    legacy = Actor.model_validate(
        {"role": "department", "name": "担当課"}
    )  # as old histories hold it
    assert (legacy.holds, legacy.department, legacy.head, legacy.username) == (
        None,
        None,
        False,
        None,
    )
    with pytest.raises(RoleNotAllowed, match=r"^actor: not a signed-in account"):
        check_actor(legacy, "submit", (Role.department,), "保健センター")
