"""A vendor's certificate news, for every case relying on it.

A certificate belongs to the vendor, not to one case: when it is suspended or withdrawn every
operating case that rests on it goes to 要対応, and a renewed certificate re-plans the cycle in
each of them. The cases are found in the read model; each is changed through its own act.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlmodel import Session

from edge.cases import CaseService
from edge.identity import actor_for
from models.accounts import UserView
from models.case.guards import relying_obligations
from models.case.lifecycle import roles_for
from models.case.record import ActInput
from models.case.states import CaseState, Trigger
from models.errors import CaseNotFound
from models.tracking.certificates import CertificateScheme
from persistence import repository
from persistence.database import make_engine

TRACKED = (CaseState.conditions_pending, CaseState.active, CaseState.attention, CaseState.review)


class VendorChange(BaseModel):
    """One case (and obligation) changed by the news, and where it went."""

    case_id: str
    obligation: str | None
    state: CaseState


async def relying_cases(
    cases: CaseService, vendor: str, scheme: CertificateScheme
) -> list[tuple[str, list[str]]]:
    """(case id, obligation ids) of every tracked case relying on the vendor's certificate."""
    engine = make_engine(cases.settings.read_model_url)
    with Session(engine) as session:
        ids = [
            row.case_id
            for state in TRACKED
            for row in repository.list_cases(session, state=state.value)
        ]
    engine.dispose()
    found = []
    for case_id in ids:
        snap = await cases.snapshot(case_id)
        obligations = relying_obligations(snap.obligations, vendor, scheme)
        if obligations:
            found.append((case_id, obligations))
    return found


async def _relying_or_refuse(
    cases: CaseService, vendor: str, scheme: CertificateScheme
) -> list[tuple[str, list[str]]]:
    found = await relying_cases(cases, vendor, scheme)
    if not found:
        raise CaseNotFound(f"--vendor: no operating case relies on a {scheme} of {vendor!r}")
    return found


async def lapse(
    cases: CaseService, vendor: str, scheme: CertificateScheme, *, reason: str, user: UserView
) -> list[VendorChange]:
    """The certificate was suspended or withdrawn: every case relying on it goes to 要対応."""
    changes = []
    for case_id, _ in await _relying_or_refuse(cases, vendor, scheme):
        request = ActInput(
            trigger="certificate_lapsed",
            actor=actor_for(user, roles_for(Trigger.certificate_lapsed)),
            payload={"vendor": vendor, "scheme": scheme.value, "reason": reason},
        )
        result = await cases.act(case_id, request)
        changes.append(VendorChange(case_id=case_id, obligation=None, state=result.state))
    return changes


async def renew(
    cases: CaseService,
    vendor: str,
    scheme: CertificateScheme,
    *,
    number: str,
    issued: dt.date,
    expires: dt.date,
    user: UserView,
) -> list[VendorChange]:
    """A new certificate (new expiry): re-plan the cycle in every case relying on it."""
    certificate = {
        "scheme": scheme.value,
        "vendor": vendor,
        "number": number,
        "issued_on": issued.isoformat(),
        "expires_on": expires.isoformat(),
    }
    changes = []
    for case_id, obligations in await _relying_or_refuse(cases, vendor, scheme):
        for obligation in obligations:
            request = ActInput(
                trigger="renew_certificate",
                actor=actor_for(user, roles_for(Trigger.renew_certificate)),
                payload={"obligation": obligation, "certificate": certificate},
            )
            result = await cases.act(case_id, request)
            changes.append(VendorChange(case_id=case_id, obligation=obligation, state=result.state))
    return changes
