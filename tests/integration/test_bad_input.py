"""Bad input through the real CLI: every probe gets one typed line naming the field and the
reason, exit code 1, within a bounded time, and changes nothing (no case started, no act)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import WorkflowUpdateFailedError

from models.case.record import ActInput, Actor
from models.case.states import Role
from models.ids import case_workflow_id
from tests.factories import act, actor, document
from tests.integration.conftest import System
from tests.integration.test_cli import DOC, cli
from tests.integration.test_edge_refusals import TO_ACTIVE, D
from workflows.case import CaseWorkflow

PROBE_SECONDS = 60  # a probe that runs longer is a hang (9999-12-31 used to run for minutes)
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: a title with it prints reversed


@dataclass(frozen=True)
class Probe:
    name: str
    args: Callable[[Path, str, str], list[str]]  # (folder, draft case id, deliberating case id)
    expected: str  # the typed error and the words naming the field and the reason


def _doc(**fields: object) -> str:
    """The CLI test's document with some fields replaced (as JSON, so any value fits)."""
    lines = [line for line in DOC.splitlines() if line.split(":")[0] not in fields]
    return "\n".join(lines) + "\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items())


FILES: dict[str, str | bytes] = {
    "not_utf8.yaml": b"kind: external_linkage\ntitle: \xff\xfe\x00\n",
    "deep.yaml": "title: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "filed_year_1.yaml": _doc(filed_on="0001-01-01"),
    "filed_feb_30.yaml": DOC + "filed_on: 2023-02-30\n",
    "filed_9999.yaml": DOC + "filed_on: 9999-12-31\n",
    "filed_future.yaml": DOC + "filed_on: 2098-04-01\n",
    "start_1868.yaml": _doc(planned_start={"year": 1868, "month": 1, "day": 10}),
    "start_feb_30.yaml": _doc(planned_start={"year": 2031, "month": 2, "day": 30}),
    "title_rlo.yaml": _doc(title=f"外部結合{RLO}gnirts"),
    "title_isolate.yaml": _doc(title="外部結合\u2067x\u2069"),
    "title_nul.json": json.dumps({"kind": "external_linkage", "title": "a\u0000b"}),
    "title_bell.yaml": _doc(title="ring\u0007"),
    "title_newline.yaml": _doc(title="two\nlines"),
    "title_empty.yaml": _doc(title=""),
    "title_blank.yaml": _doc(title="   "),
    "title_list.yaml": _doc(title=["a", "b"]),
    "title_long.yaml": _doc(title="件" * 301),
    "reason_1mb.yaml": _doc(reason="x" * 1_000_000),
    "reason_long.yaml": _doc(reason="理" * 5000),
    "record_items_150.yaml": _doc(record_items=[f"項目{i}" for i in range(150)]),
    "document_big.yaml": _doc(
        operational_measures=[{"text": "対" * 3900, "criterion": "f"} for _ in range(8)]
    ),
    "unknown_department.yaml": _doc(department="架空課"),
    "kind_number.yaml": _doc(kind=42),
    "amend_unknown_department.yaml": "document:\n"
    + "".join(f"  {line}\n" for line in _doc(department="架空課").splitlines()),
    "decide_60_conditions.json": json.dumps(
        {
            "outcome": "approve_with_conditions",
            "votes": {"yes": 8},
            "conditions": [
                {"text": f"条件{i}", "type": "report", "due": "before_start", "owner": "課"}
                for i in range(60)
            ],
        }
    ),
    "decide_10000_conditions.json": json.dumps(
        {
            "outcome": "approve_with_conditions",
            "votes": {"yes": 8},
            "conditions": [{"text": "c", "type": "report", "due": "before_start", "owner": "課"}]
            * 10_000,
        }
    ),
    "decide_due_9999.json": json.dumps(
        {
            "outcome": "approve_with_conditions",
            "votes": {"yes": 8},
            "conditions": [
                {
                    "text": "c",
                    "type": "report",
                    "due": "by_date",
                    "due_on": "9999-12-31",
                    "owner": "課",
                }
            ],
        }
    ),
    "decide_nul.json": json.dumps(
        {"outcome": "approve", "votes": {"yes": 8}, "summary": "可\u0000決"}
    ),
    "payload_list.yaml": "- outcome\n- approve\n",
    "payload_deep.json": '{"outcome": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "payload_not_utf8.yaml": b"outcome: \xc3\x28\n",
}


def _create(name: str, *extra: str) -> Callable[[Path, str, str], list[str]]:
    return lambda tmp, _draft, _open: ["case", "create", str(tmp / name), *extra]


def _decide(*extra: str) -> Callable[[Path, str, str], list[str]]:
    return lambda tmp, _draft, case: ["case", "act", case, "decide", "--as", "council", *extra]


def _decide_file(name: str) -> Callable[[Path, str, str], list[str]]:
    return lambda tmp, _draft, case: [
        "case", "act", case, "decide", "--as", "council", "--payload", str(tmp / name)
    ]  # fmt: skip


VOTES = "--set=votes.yes=8"
OUTCOME = "--set=outcome=approve"
PROBES = [
    Probe("non-UTF-8 file", _create("not_utf8.yaml"), "not UTF-8 text (byte 0xff at offset 30)"),
    Probe("100k-deep YAML", _create("deep.yaml"), "InvalidPayload: "),
    Probe("100k-deep JSON", _create("deep.json"), "InvalidPayload: "),
    Probe("filed_on year 1", _create("filed_year_1.yaml"), "filed_on: Value error, 0001-01-01"),
    Probe("filed_on 2023-02-30", _create("filed_feb_30.yaml"), "filed_on: Input should be a valid date"),
    Probe("filed_on 9999-12-31", _create("filed_9999.yaml"), "filed_on: Value error, 9999-12-31 is outside"),
    Probe("filed_on in the future", _create("filed_future.yaml"), "document.filed_on: 2098-04-01 is in the future"),
    Probe("planned start 1868-01", _create("start_1868.yaml"), "planned_start: Value error, 1868-01-10 is outside"),
    Probe("planned start Feb 30", _create("start_feb_30.yaml"), "planned_start: Value error, day is out of range"),
    Probe("title with U+202E", _create("title_rlo.yaml"), "title: Value error, a bidirectional control character (U+202E)"),
    Probe("title with U+2067", _create("title_isolate.yaml"), "(U+2067)"),
    Probe("title with NUL", _create("title_nul.json"), "title: Value error, a control character (U+0000)"),
    Probe("title with BEL", _create("title_bell.yaml"), "(U+0007)"),
    Probe("title on two lines", _create("title_newline.yaml"), "title: Value error, a control character (U+000A)"),
    Probe("empty title", _create("title_empty.yaml"), "title: String should have at least 1 character"),
    Probe("blank title", _create("title_blank.yaml"), "title: Value error, must not be blank"),
    Probe("title is a list", _create("title_list.yaml"), "title: Input should be a valid string"),
    Probe("title of 301 characters", _create("title_long.yaml"), "title: String should have at most 300"),
    Probe("1 MB field", _create("reason_1mb.yaml"), "the file is larger than 256.0 KiB"),
    Probe("5,000-character reason", _create("reason_long.yaml"), "reason: String should have at most 4000"),
    Probe("150 record items", _create("record_items_150.yaml"), "record_items: List should have at most 100"),
    Probe("document over 64 KiB", _create("document_big.yaml"), "the document is"),
    Probe("kind is a number", _create("kind_number.yaml"), "kind: Input should be"),
    Probe("unknown department", _create("unknown_department.yaml"), "UnknownDepartment: document.department"),
    Probe("missing file", _create("no_such_file.yaml"), "InvalidPayload: "),
    Probe("--ref of 300 characters", _create("doc.yaml", "--ref", "参" * 300), "external_ref: String should have at most 200"),
    Probe("create --on 2023-02-30", _create("filed_future.yaml", "--on", "2023-02-30"), "InvalidPayload: Invalid value for '--on'"),
    Probe("create --on 0001-01-01", lambda tmp, _d, _o: ["case", "create", str(tmp / "doc.yaml"), "--on", "0001-01-01"], "created_on: 0001-01-01 is outside"),
    Probe("create --on 2090-01-01", lambda tmp, _d, _o: ["case", "create", str(tmp / "doc.yaml"), "--on", "2090-01-01"], "created_on: 2090-01-01 is in the future"),
    Probe("--as chairman", _decide("--as", "chairman"), "InvalidPayload: Invalid value for '--as'"),
    Probe("list --fiscal-year abc", lambda *_: ["case", "list", "--fiscal-year", "abc"], "InvalidPayload: Invalid value for '--fiscal-year'"),
    Probe("list --state bogus", lambda *_: ["case", "list", "--state", "bogus"], "InvalidPayload: Invalid value for '--state'"),
    Probe("show without a case id", lambda *_: ["case", "show"], "InvalidPayload: Missing argument"),
    Probe("unknown option", lambda *_: ["case", "show", "x", "--colour"], "InvalidPayload: No such option: --colour"),
    Probe("amend to an unknown department", lambda tmp, draft, _o: ["case", "act", draft, "amend", "--as", "department", "--payload", str(tmp / "amend_unknown_department.yaml")], "UnknownDepartment: payload.document.department"),
    Probe("60 conditions", _decide_file("decide_60_conditions.json"), "payload.conditions: List should have at most 50"),
    Probe("10,000 conditions", _decide_file("decide_10000_conditions.json"), "the file is larger than"),
    Probe("condition due 9999-12-31", _decide_file("decide_due_9999.json"), "payload.conditions.0.due_on: Value error, 9999-12-31"),
    Probe("summary with NUL", _decide_file("decide_nul.json"), "payload.summary: Value error, a control character (U+0000)"),
    Probe("payload is a list", _decide_file("payload_list.yaml"), "the payload must be a mapping"),
    Probe("payload 100k deep", _decide_file("payload_deep.json"), "InvalidPayload: "),
    Probe("payload not UTF-8", _decide_file("payload_not_utf8.yaml"), "not UTF-8 text (byte 0xc3"),
    Probe("70 KiB payload", _decide(OUTCOME, VOTES, "--set", "summary=" + "s" * 70_000), "payload: Value error, the payload is 68.4 KiB; at most 64.0 KiB"),
    Probe("votes of 10**30", _decide(OUTCOME, "--set", "votes.yes=" + "9" * 30), "payload.votes.yes: Input should be less than or equal to 10000"),
    Probe("negative votes", _decide(OUTCOME, "--set", "votes.yes=-1"), "payload.votes.yes: Input should be greater than or equal to 0"),
    Probe("votes of 5,000 digits", _decide(OUTCOME, "--set", "votes.yes=" + "9" * 5000), "InvalidPayload: --set votes.yes"),
    Probe("votes as text", _decide(OUTCOME, "--set", "votes.yes=many"), "payload.votes.yes: Input should be a valid integer"),
    Probe("empty summary", _decide(OUTCOME, VOTES, "--set", "summary="), "payload.summary: String should have at least 1"),
    Probe("summary with U+202E", _decide(OUTCOME, VOTES, "--set", f"summary=可決{RLO}"), "payload.summary: Value error, a bidirectional"),
    Probe("unclosed --set list", _decide(OUTCOME, "--set", "votes=[1,"), "InvalidPayload: --set votes: malformed YAML"),
    Probe("act --on 0001-01-01", _decide(OUTCOME, VOTES, "--on", "0001-01-01"), "on: Value error, 0001-01-01 is outside"),
    Probe("act --on 2023-02-30", _decide(OUTCOME, VOTES, "--on", "2023-02-30"), "InvalidPayload: Invalid value for '--on'"),
    Probe("unknown trigger of 300 characters", lambda _t, _d, case: ["case", "act", case, "x" * 300, "--as", "council"], "trigger: String should have at most 200"),
]  # fmt: skip


async def _deliberating_case(system: System) -> str:
    snap = await system.gateway.create_case(
        document=document(), actor=actor("department"), created_on=D(2018, 1, 4)
    )
    for trigger, role, payload, on in TO_ACTIVE[:6]:
        await system.gateway.act(snap.case_id, act(trigger, role, payload, on))
    return snap.case_id


async def _workflow_count(system: System) -> int:
    query = f"TaskQueue = '{system.settings.task_queue}'"
    return len([wf async for wf in system.client.list_workflows(query)])


async def test_every_bad_input_gets_one_typed_line_and_changes_nothing(
    system: System, tmp_path: Path
) -> None:
    for name, content in {**FILES, "doc.yaml": DOC}.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, out, err = await cli(system, "case", "create", str(tmp_path / "doc.yaml"), "--json")
    assert code == 0, err
    draft = json.loads(out)["case_id"]
    deliberating = await _deliberating_case(system)
    before = {cid: await system.gateway.snapshot(cid) for cid in (draft, deliberating)}
    workflows = await _workflow_count(system)

    gate = asyncio.Semaphore(3)

    async def run(probe: Probe) -> tuple[Probe, int, str]:
        async with gate:
            args = probe.args(tmp_path, draft, deliberating)
            code, _out, err = await asyncio.wait_for(cli(system, *args), PROBE_SECONDS)
            return probe, code, err

    results = await asyncio.gather(*(run(probe) for probe in PROBES))
    wrong = [
        (probe.name, code, err)
        for probe, code, err in results
        if code != 1
        or probe.expected not in err
        or len(err.strip().splitlines()) != 1
        or not err.startswith("error: ")
    ]
    assert wrong == []

    for cid, snap in before.items():
        after = await system.gateway.snapshot(cid)
        assert (after.state, after.history, after.document) == (
            snap.state,
            snap.history,
            snap.document,
        )
    assert await _workflow_count(system) == workflows
    assert sorted(row[0] for row in system.sql("select case_id from cases")) == sorted(before)


async def test_the_workflow_refuses_what_the_cli_refuses_when_a_caller_bypasses_it(
    system: System,
) -> None:
    """A raw update straight to the workflow, past the edge and the CLI: the validator runs the
    same model rules, rejects it, and writes nothing (the next act still goes through)."""
    case_id = await _deliberating_case(system)
    handle = system.client.get_workflow_handle(case_workflow_id(case_id))
    before = await system.gateway.snapshot(case_id)
    conditions = [{"text": "c", "type": "report", "due": "before_start", "owner": "課"}] * 60
    raw = ActInput.model_construct(
        trigger="decide",
        actor=actor("council"),
        payload={
            "outcome": "approve_with_conditions",
            "votes": {"yes": 8},
            "conditions": conditions,
        },
        on=D(2018, 2, 7),
    )
    refusals = []
    for payload in (
        raw,
        raw.model_copy(update={"payload": {"outcome": "approve", "votes": {"yes": 8}, "summary": f"a{RLO}b"}}),
        raw.model_copy(update={"payload": {"outcome": "approve", "votes": {"yes": 8}, "summary": "s" * 70_000}}),
        raw.model_copy(update={"actor": Actor.model_construct(role=Role.council, name="名" * 250)}),
    ):  # fmt: skip
        try:
            await handle.execute_update(CaseWorkflow.act, payload)
        except WorkflowUpdateFailedError as exc:
            refusals.append(f"{getattr(exc.cause, 'type', None)}: {exc.cause}")
        else:
            refusals.append("accepted")
    assert all(refusal.startswith("InvalidPayload: ") for refusal in refusals), refusals
    assert "payload.conditions: List should have at most 50 items" in refusals[0]
    assert "payload.summary: Value error, a bidirectional control character" in refusals[1]
    assert "payload: Value error, the payload is 68.4 KiB" in refusals[2]
    assert "actor.name: String should have at most 200 characters" in refusals[3]
    after = await system.gateway.snapshot(case_id)
    assert after.history == before.history
    decided = await system.gateway.act(
        case_id,
        act("decide", "council", {"outcome": "approve", "votes": {"yes": 8}}, D(2018, 2, 7)),
    )
    assert decided.state == "answer_drafting"
