"""One vendor certificate, several cases: a suspension flags every operating case relying on
it (and no other); a new certificate re-plans each of them. Through the real CLI."""

from __future__ import annotations

import datetime as dt
import json

from edge.cases import CaseService
from models.case.states import Role
from models.policy import CasePolicy
from tests.factories import act
from tests.integration.conftest import System, municipality
from tests.integration.drive import to_answer
from tests.integration.test_cli import cli

VENDOR = "株式会社サンプルデータセンター"


def obligation(vendor: str, expires: dt.date) -> dict[str, object]:
    return {
        "obligation": {
            "id": "isms",
            "kind": "certificate",
            "anchor": dt.date.today().isoformat(),
            "certificate": {
                "scheme": "isms",
                "vendor": vendor,
                "number": "IS 555555",
                "issued_on": (expires - dt.timedelta(days=3 * 365)).isoformat(),
                "expires_on": expires.isoformat(),
            },
        }
    }


async def test_a_suspended_vendor_certificate_flags_every_case_relying_on_it(
    system: System,
) -> None:
    policy = CasePolicy(
        step_attempts=2,
        retry_initial_seconds=0.1,
        retry_max_seconds=0.2,
        step_timeout_seconds=5,
        notice_lead_business_days=0,
        materials_lead_business_days=0,
    )
    gateway = CaseService(system.client, system.settings, municipality(policy))
    expires = dt.date.today() + dt.timedelta(days=500)
    relying = []
    for vendor in (VENDOR, VENDOR, "別の事業者"):
        case_id = (await to_answer(gateway)).case_id
        await gateway.act(
            case_id, act("add_obligation", Role.secretariat, obligation(vendor, expires))
        )
        relying.append(case_id)
    code, out, err = await cli(
        system,
        "vendor",
        "lapse",
        "--vendor",
        VENDOR,
        "--scheme",
        "isms",
        "--reason",
        "認証機関による一時停止",
        "--json",
    )
    assert code == 0, err
    flagged = json.loads(out)
    assert sorted(r["case_id"] for r in flagged) == sorted(relying[:2])
    assert {r["state"] for r in flagged} == {"attention"}
    for case_id in relying[:2]:
        snap = await gateway.snapshot(case_id)
        assert snap.state == "attention" and snap.obligations[0].lapsed
    assert (await gateway.snapshot(relying[2])).state == "active"  # another vendor's case

    new_expiry = expires + dt.timedelta(days=3 * 365)
    code, out, err = await cli(
        system,
        "vendor",
        "renew",
        "--vendor",
        VENDOR,
        "--scheme",
        "isms",
        "--number",
        "IS 555555",
        "--issued",
        dt.date.today().isoformat(),
        "--expires",
        new_expiry.isoformat(),
        "--json",
    )
    assert code == 0, err
    for case_id in relying[:2]:
        snap = await gateway.snapshot(case_id)
        cert = snap.obligations[0].obligation.certificate
        assert cert is not None and cert.expires_on == new_expiry
        assert not snap.obligations[0].lapsed
        result = await gateway.act(
            case_id, act("resolve_attention", Role.secretariat, {"evidence": "新しい認証書を確認"})
        )
        assert result.state == "active"

    code, _, err = await cli(
        system,
        "vendor",
        "lapse",
        "--vendor",
        "無関係の事業者",
        "--scheme",
        "isms",
        "--reason",
        "x",
    )
    assert code == 1 and "error: CaseNotFound" in err
