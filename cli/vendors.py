"""`starter.py vendor ...`: news about a vendor's certificate, for every case relying on it.

A certificate belongs to the vendor, not to one case: when it is suspended or withdrawn every
operating case that rests on it goes to 要対応, and a renewed certificate re-plans the cycle in
each of them. The cases are found in the read model; each is changed through its own act.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from sqlmodel import Session

from cli.common import console, open_gateway, print_json, run
from gateway import CaseGateway
from models.case import ActInput, Actor
from models.certificates import CertificateScheme
from models.errors import CaseNotFound
from models.guards import relying_obligations
from models.states import CaseState, Role
from persistence import repository
from persistence.database import make_engine

app = typer.Typer(help="A vendor's certificates, for every case that relies on them.")

TRACKED = (CaseState.conditions_pending, CaseState.active, CaseState.attention, CaseState.review)
VendorOpt = Annotated[str, typer.Option(help="the vendor as named on its certificates")]
SchemeOpt = Annotated[CertificateScheme, typer.Option(help="isms, privacy_mark or ismap")]
ActorOpt = Annotated[str, typer.Option(help="who records it")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


async def relying_cases(
    gateway: CaseGateway, vendor: str, scheme: CertificateScheme
) -> list[tuple[str, list[str]]]:
    """(case id, obligation ids) of every tracked case relying on the vendor's certificate."""
    engine = make_engine(gateway.settings.read_model_url)
    with Session(engine) as session:
        ids = [
            row.case_id
            for state in TRACKED
            for row in repository.list_cases(session, state=state.value)
        ]
    engine.dispose()
    found = []
    for case_id in ids:
        snap = await gateway.snapshot(case_id)
        obligations = relying_obligations(snap.obligations, vendor, scheme)
        if obligations:
            found.append((case_id, obligations))
    return found


def _report(results: list[dict[str, Any]], as_json: bool, what: str) -> None:
    if as_json:
        print_json(results)
        return
    for r in results:
        console.print(f"{r['case_id']}  {r['obligation'] or '-'}  → {r['state']}")
    console.print(f"{len(results)} case(s) {what}")


async def _relying_or_refuse(
    gateway: CaseGateway, vendor: str, scheme: CertificateScheme
) -> list[tuple[str, list[str]]]:
    cases = await relying_cases(gateway, vendor, scheme)
    if not cases:
        raise CaseNotFound(f"--vendor: no operating case relies on a {scheme} of {vendor!r}")
    return cases


@app.command()
def lapse(
    vendor: VendorOpt,
    scheme: SchemeOpt,
    reason: Annotated[str, typer.Option(help="what happened, e.g. 認証一時停止")],
    actor: ActorOpt = "事務局",
    as_json: JsonOpt = False,
) -> None:
    """The certificate was suspended or withdrawn: every case relying on it goes to 要対応."""

    async def work() -> None:
        gateway = await open_gateway()
        cases = await _relying_or_refuse(gateway, vendor, scheme)
        results = []
        for case_id, _ in cases:
            request = ActInput(
                trigger="certificate_lapsed",
                actor=Actor(role=Role.secretariat, name=actor),
                payload={"vendor": vendor, "scheme": scheme.value, "reason": reason},
            )
            result = await gateway.act(case_id, request)
            results.append({"case_id": case_id, "obligation": None, "state": result.state})
        _report(results, as_json, "flagged")

    run(work)


@app.command()
def renew(
    vendor: VendorOpt,
    scheme: SchemeOpt,
    number: Annotated[str, typer.Option(help="the new certificate's number")],
    issued: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    expires: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    actor: ActorOpt = "事務局",
    as_json: JsonOpt = False,
) -> None:
    """A new certificate (new expiry): re-plan the cycle in every case relying on it."""

    async def work() -> None:
        gateway = await open_gateway()
        cases = await _relying_or_refuse(gateway, vendor, scheme)
        certificate = {
            "scheme": scheme.value,
            "vendor": vendor,
            "number": number,
            "issued_on": issued.date().isoformat(),
            "expires_on": expires.date().isoformat(),
        }
        results = []
        for case_id, obligations in cases:
            for obligation in obligations:
                request = ActInput(
                    trigger="renew_certificate",
                    actor=Actor(role=Role.department, name=actor),
                    payload={"obligation": obligation, "certificate": certificate},
                )
                result = await gateway.act(case_id, request)
                results.append(
                    {"case_id": case_id, "obligation": obligation, "state": result.state}
                )
        _report(results, as_json, "renewed")

    run(work)
