"""The council and session commands as a person meets them: real CLI processes against the
real dev server — register a council, plan a session, run it item by item with --json, and
one clear line plus exit 1 for bad input."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from edge.cases import CaseService
from models.policy import CasePolicy
from tests.factories import act, actor, document
from tests.integration.conftest import FAST_POLICY, System, municipality
from tests.integration.test_cli import cli

JST = dt.timezone(dt.timedelta(hours=9))
POLICY = CasePolicy(
    **{
        **FAST_POLICY.model_dump(),
        "notice_lead_business_days": 0,
        "materials_lead_business_days": 0,
    }
)


def _member(n: int, role: str = "member") -> dict[str, Any]:
    return {
        "member_id": f"m{n}",
        "name": f"委員{n}",
        "role": role,
        "expertise": ["情報法"],
        "term_start": "2020-04-01",
    }


def _council(council_id: str, **overrides: Any) -> dict[str, Any]:
    members = [_member(1, "chair"), _member(2, "vice_chair")]
    members += [_member(n) for n in range(3, 11)]
    return {
        "council_id": council_id,
        "name": "とうしん市個人情報保護審議会",
        "seats": 10,
        "members": members,
        "numbering": "cumulative",
        "first_number": 870,
        "notice_lead_business_days": 0,
        "materials_lead_business_days": 0,
        **overrides,
    }


def _plan(council_id: str, ordinal: int, starts_at: dt.datetime) -> dict[str, Any]:
    return {
        "council_id": council_id,
        "ordinal": ordinal,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + dt.timedelta(hours=2)).isoformat(),
        "place": "市役所3階庁議室",
    }


def _today_soon() -> dt.datetime:
    """A start later today (JST): in a minute, or at the day's last second. The session-day
    acts are then dated with --on (the held day), so they stay on it after midnight and no
    test waits for midnight."""
    now = dt.datetime.now(JST)
    last_second = dt.datetime.combine(now.date(), dt.time(23, 59, 59), JST)
    return min(now + dt.timedelta(minutes=1), last_second).replace(microsecond=0)


def _soon(minutes: int = 1) -> dt.datetime:
    return (dt.datetime.now(JST) + dt.timedelta(minutes=minutes)).replace(microsecond=0)


class Cli:
    """Runs starter.py against the test server, with a municipality of 0 lead days."""

    def __init__(self, system: System, tmp: Path) -> None:
        self.system = system
        self.tmp = tmp
        self.town = municipality(POLICY)
        self.town_file = self.write("municipality", self.town.model_dump(mode="json"))
        self.cases = CaseService(system.client, system.settings, self.town)

    def write(self, name: str, data: Any) -> Path:
        path = self.tmp / f"{name}-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    async def __call__(self, *args: str) -> tuple[int, str, str]:
        return await cli(
            self.system, *args, env_extra={"TOSHIN_MUNICIPALITY_FILE": str(self.town_file)}
        )

    async def json(self, *args: str) -> Any:
        code, out, err = await self(*args, "--json")
        assert code == 0, (args, err)
        return json.loads(out)

    async def refused(self, *args: str) -> str:
        code, out, err = await self(*args)
        assert code == 1, (args, out, err)
        assert len(err.strip().splitlines()) == 1, err
        return err

    async def ready_case(self, title: str) -> str:
        cases = self.cases
        snap = await cases.create_case(document=document(title=title), actor=actor("department"))
        await cases.act(snap.case_id, act("submit", "department"))
        await cases.act(
            snap.case_id,
            act("require_consultation", "secretariat", {"reason": "特に必要と認める"}),
        )
        await cases.act(
            snap.case_id,
            act("pass_precheck", "it", {"items": [{"check_id": "C1", "result": "conforming"}]}),
        )
        return snap.case_id

    async def state(self, case_id: str) -> str:
        return (await self.cases.snapshot(case_id)).state.value


async def test_a_session_through_the_cli(system: System, tmp_path: Path) -> None:
    cli = Cli(system, tmp_path)
    case_id, c2, c3 = [await cli.ready_case(t) for t in ("WEB予約", "自動電話催告", "市営住宅管理")]
    cid = f"c{uuid.uuid4().hex[:8]}"
    council = await cli.json("council", "register", str(cli.write("council", _council(cid))))
    assert council["council"]["council_id"] == cid and len(council["council"]["members"]) == 10

    start = _today_soon()
    on = ("--on", start.date().isoformat())  # the session day, after midnight too
    planned = await cli.json("session", "plan", str(cli.write("plan", _plan(cid, 1, start))))
    sid = planned["session_id"]
    assert sid == f"{cid}-{start.year if start.month >= 4 else start.year - 1}-1"
    assert planned["state"] == "planned" and planned["items"] == []

    code, out, err = await cli("council", "show", cid)
    assert code == 0, err
    assert "会長" in out and "会長職務代理" in out and "第870号" in out and sid in out

    later = await cli.json(
        "session", "plan", str(cli.write("p2", _plan(cid, 2, _soon(60 * 24 * 30))))
    )
    s2 = later["session_id"]
    snap = await cli.json("session", "add", sid, case_id, c2, c3, *on)
    assert [i["case_id"] for i in snap["items"]] == [case_id, c2, c3]
    assert await cli.state(case_id) == "scheduled"

    assert (await cli.json("session", "notice", sid, *on))["state"] == "notice_sent"
    assert (await cli.json("session", "materials", sid, *on))["state"] == "materials_sent"
    assert await cli.state(case_id) == "materials_sent"

    err = await cli.refused("session", "open", sid, "--present", "m1,x9", *on)
    assert "not members of this council" in err and "x9" in err

    snap = await cli.json(
        "session",
        "open",
        sid,
        "--present",
        ",".join(f"m{n}" for n in range(1, 9)),
        "--staff",
        "総務課長",
        "--observers",
        "2",
        *on,
    )
    assert snap["state"] == "opened" and snap["quorum"] == "8 of 10 present: quorate"
    assert snap["absentees"] == ["m9", "m10"] and snap["attendance"]["observers"] == 2

    snap = await cli.json("session", "item-open", sid, case_id, *on)
    assert snap["items"][0]["status"] == "deliberating"
    assert await cli.state(case_id) == "deliberating"
    snap = await cli.json(
        "session",
        "qa",
        sid,
        case_id,
        "--role",
        "委員",
        "--question",
        "USBの挿入ログは取得するか",
        "--answer",
        "後日確認する",
    )
    assert snap["items"][0]["qa"][0]["question"] == "USBの挿入ログは取得するか"

    err = await cli.refused(
        "session", "decide", sid, case_id, "--outcome", "approve", "--yes", "9", *on
    )
    assert "GuardFailed" in err and "votes cast (9) exceed members present (8)" in err
    snap = await cli.json(
        "session", "decide", sid, case_id, "--outcome", "approve", "--yes", "7", "--no", "1", *on
    )
    item = snap["items"][0]
    assert item["status"] == "decided" and item["votes"]["yes"] == 7

    snap = await cli.json(
        "session", "answer", sid, case_id, "--conclusion", "諮問どおり行うことを可とする。", *on
    )
    assert snap["items"][0]["answer"]["number"] == "第870号"
    assert await cli.state(case_id) == "active"

    # item 2: continued to the next session, which the CLI looks up
    await cli.json("session", "item-open", sid, c2, *on)
    snap = await cli.json(
        "session",
        "decide",
        sid,
        c2,
        "--outcome",
        "continue",
        "--reason",
        "業者の書面回答を待つ",
        "--next",
        s2,
        *on,
    )
    assert snap["items"][1]["status"] == "continued" and snap["items"][1]["next_session"] == s2
    assert await cli.state(c2) == "scheduled"
    assert [i["case_id"] for i in (await cli.json("session", "show", s2))["items"]] == [c2]

    # item 3: conditions from a payload file; the answer is left to the chair (会長一任)
    await cli.json("session", "item-open", sid, c3, *on)
    conditions = {
        "conditions": [
            {
                "text": "データセンターを国内とすることを契約に盛り込む",
                "type": "contract_clause",
                "due": "before_contract",
                "owner": "保健センター",
            }
        ],
        "opinions": [{"text": "運用開始後に報告すること"}],
    }
    err = await cli.refused(
        "session",
        "decide",
        sid,
        c3,
        "--outcome",
        "approve_with_conditions",
        "--yes",
        "8",
        "--payload",
        str(cli.write("bad-payload", {**conditions, "outcome": "reject"})),
        *on,
    )
    assert "unknown fields ['outcome']" in err
    snap = await cli.json(
        "session",
        "decide",
        sid,
        c3,
        "--outcome",
        "approve_with_conditions",
        "--yes",
        "8",
        "--payload",
        str(cli.write("payload", conditions)),
        *on,
    )
    assert snap["items"][2]["conditions"][0]["type"] == "contract_clause"
    snap = await cli.json("session", "close", sid, *on)
    assert snap["state"] == "closed" and snap["minutes"] == "drafting"
    snap = await cli.json(
        "session", "answer", sid, c3, "--conclusion", "条件付きで可とする。", "--by", "chair", *on
    )
    assert snap["items"][2]["answer"]["number"] == "第871号"
    assert snap["items"][2]["answer"]["approved_by"] == "chair"
    assert await cli.state(c3) == "conditions_pending"
    snap = await cli.json(
        "session", "redact", sid, "--passage", "保守業者のID", "--basis", "情報公開条例第6条第7号"
    )
    assert snap["redactions"][0]["legal_basis"] == "情報公開条例第6条第7号"
    assert (await cli.json("session", "approve-minutes", sid))["minutes"] == "approved"
    assert (await cli.json("session", "publish-minutes", sid, *on))["minutes"] == "published"

    code, out, err = await cli("session", "show", sid)
    assert code == 0, err
    for words in ("第870号", "USBの挿入ログ", "8 of 10 present", "委員9（委員）", "情報公開条例"):
        assert words in out, (words, out)
    numbers = (await cli.json("council", "show", cid))["numbers"]
    assert numbers == {case_id: "第870号", c3: "第871号"}


async def test_a_failed_quorum_is_carried_over(system: System, tmp_path: Path) -> None:
    cli = Cli(system, tmp_path)
    case_id = await cli.ready_case("自動電話催告")
    cid = f"c{uuid.uuid4().hex[:8]}"
    await cli.json("council", "register", str(cli.write("council", _council(cid))))
    start = _today_soon()
    on = ("--on", start.date().isoformat())  # the session day, after midnight too
    s1 = (await cli.json("session", "plan", str(cli.write("p1", _plan(cid, 1, start)))))[
        "session_id"
    ]
    later = _soon(60 * 24 * 14)
    s2 = (await cli.json("session", "plan", str(cli.write("p2", _plan(cid, 2, later)))))[
        "session_id"
    ]
    await cli.json("session", "add", s1, case_id, *on)
    await cli.json("session", "notice", s1, *on)
    await cli.json("session", "materials", s1, *on)
    snap = await cli.json("session", "open", s1, "--present", "m1,m2,m3,m4,m5", *on)
    assert snap["state"] == "failed_quorum"

    err = await cli.refused(
        "session", "carry-over", s1, "--next", "nosuch-2026-9", "--reason", "流会", *on
    )
    assert "CaseNotFound" in err
    snap = await cli.json(
        "session", "carry-over", s1, "--next", s2, "--reason", "定足数に達せず流会", *on
    )
    assert snap["items"][0]["status"] == "carried_over" and snap["items"][0]["next_session"] == s2
    assert await cli.state(case_id) == "scheduled"
    nxt = await cli.json("session", "show", s2)
    assert [(i["case_id"], i["carried_from"]) for i in nxt["items"]] == [(case_id, s1)]


async def test_bad_input_gets_one_clear_line(system: System, tmp_path: Path) -> None:
    cli = Cli(system, tmp_path)
    cid = f"c{uuid.uuid4().hex[:8]}"
    two_chairs = _council(cid)
    two_chairs["members"][1]["role"] = "chair"
    bad_files = [
        (
            _council(cid, favourite_colour="blue"),
            "favourite_colour: Extra inputs are not permitted",
        ),
        (two_chairs, "exactly one chair"),
        (_council(cid, seats=5), "10 members for 5 seats"),
    ]
    for data, words in bad_files:
        err = await cli.refused("council", "register", str(cli.write("bad", data)))
        assert "InvalidPayload" in err and words in err, err
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("council_id: [x\n", encoding="utf-8")
    assert "malformed YAML" in await cli.refused("council", "register", str(malformed))
    assert "CaseNotFound" in await cli.refused("council", "show", cid)  # nothing was registered

    await cli.json("council", "register", str(cli.write("council", _council(cid))))
    assert "DuplicateCase" in await cli.refused(
        "council", "register", str(cli.write("again", _council(cid)))
    )
    past = _plan(cid, 1, dt.datetime.now(JST) - dt.timedelta(days=1))
    assert "in the past" in await cli.refused("session", "plan", str(cli.write("past", past)))
    naive = {**_plan(cid, 1, _soon(60)), "starts_at": "2030-05-01T10:00:00"}
    assert "time zone" in await cli.refused("session", "plan", str(cli.write("naive", naive)))
    assert "CaseNotFound" in await cli.refused("session", "show", f"{cid}-2026-9")

    sid = (await cli.json("session", "plan", str(cli.write("plan", _plan(cid, 1, _soon())))))[
        "session_id"
    ]
    err = await cli.refused("session", "add", sid, "0000deadbeef")
    assert "not put on the agenda" in err and "0000deadbeef" in err
    err = await cli.refused("session", "materials", sid)
    assert "InvalidTransition" in err
    err = await cli.refused("session", "notice", sid, "--on", "2098-01-01")
    assert "in the future" in err
    snap = await cli.json("session", "show", sid)
    assert snap["state"] == "planned" and snap["items"] == []


async def test_session_and_council_lists_come_from_the_read_model(
    system: System, tmp_path: Path
) -> None:
    cli = Cli(system, tmp_path)
    cid = f"c{uuid.uuid4().hex[:8]}"
    await cli.json("council", "register", str(cli.write("council", _council(cid))))
    later = _soon(60 * 24 * 14)
    planned = [
        (await cli.json("session", "plan", str(cli.write(f"p{n}", _plan(cid, n, start)))))[
            "session_id"
        ]
        for n, start in ((1, later), (2, later + dt.timedelta(days=7)))
    ]
    rows: list[dict[str, Any]] = []
    for _ in range(100):  # the projection is an activity: until both rows are written
        rows = await cli.json("session", "list", "--council", cid)
        if len(rows) == 2:
            break
        await asyncio.sleep(0.2)
    assert [r["session_id"] for r in rows] == planned  # soonest first
    assert {r["state"] for r in rows} == {"planned"}
    assert await cli.json("session", "list", "--council", cid, "--state", "closed") == []
    fy = rows[0]["fiscal_year"]
    assert len(await cli.json("session", "list", "--council", cid, "--fiscal-year", str(fy))) >= 1
    code, out, err = await cli("session", "list", "--council", cid)
    assert code == 0, err
    assert planned[0] in out and "開催予定" in out

    councils = await cli.json("council", "list")
    assert cid in [c["council_id"] for c in councils]
    reprojected = await cli.json("admin", "reproject-councils")
    assert cid in reprojected
