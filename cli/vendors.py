"""`starter.py vendor ...`: news about a vendor's certificate, for every case relying on it
(``edge.vendors``).

A certificate belongs to the vendor, not to one case: when it is suspended or withdrawn every
operating case that rests on it goes to 要対応, and a renewed certificate re-plans the cycle in
each of them. The cases are found in the read model; each is changed through its own act.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from cli.common import console, open_edge, print_json, run, signed_in
from edge import vendors
from edge.vendors import VendorChange
from models.tracking.certificates import CertificateScheme

app = typer.Typer(help="A vendor's certificates, for every case that relies on them.")

VendorOpt = Annotated[str, typer.Option(help="the vendor as named on its certificates")]
SchemeOpt = Annotated[CertificateScheme, typer.Option(help="isms, privacy_mark or ismap")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _report(results: list[VendorChange], as_json: bool, what: str) -> None:
    if as_json:
        print_json(results)
        return
    for r in results:
        console.print(f"{r.case_id}  {r.obligation or '-'}  → {r.state}")
    console.print(f"{len(results)} case(s) {what}")


@app.command()
def lapse(
    vendor: VendorOpt,
    scheme: SchemeOpt,
    reason: Annotated[str, typer.Option(help="what happened, e.g. 認証一時停止")],
    as_json: JsonOpt = False,
) -> None:
    """The certificate was suspended or withdrawn: every case relying on it goes to 要対応."""

    async def work() -> None:
        edge = await open_edge()
        user = signed_in(edge.settings)
        changes = await vendors.lapse(edge.cases, vendor, scheme, reason=reason, user=user)
        _report(changes, as_json, "flagged")

    run(work)


@app.command()
def renew(
    vendor: VendorOpt,
    scheme: SchemeOpt,
    number: Annotated[str, typer.Option(help="the new certificate's number")],
    issued: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    expires: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    as_json: JsonOpt = False,
) -> None:
    """A new certificate (new expiry): re-plan the cycle in every case relying on it."""

    async def work() -> None:
        edge = await open_edge()
        changes = await vendors.renew(
            edge.cases,
            vendor,
            scheme,
            number=number,
            issued=issued.date(),
            expires=expires.date(),
            user=signed_in(edge.settings),
        )
        _report(changes, as_json, "renewed")

    run(work)
