"""Bad input through the real CLI: every probe gets one typed line naming the field and the
reason, exit code 1, within a bounded time, and changes nothing (no case started, no act)."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
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


CORPUS = Path(__file__).resolve().parent.parent / "bad_input"
_RUN = re.compile("⟨(.+?)×([0-9]+)⟩".encode(), re.S)  # ⟨TEXT×N⟩: TEXT repeated N times
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")  # \\uXXXX in args and expectations


@dataclass(frozen=True)
class Probe:
    """One file of ``tests/bad_input``: a ``# probe:`` name, the CLI ``# args:`` (shell words;
    ``{input}`` is the rest of the file written to a file of the probe's suffix, ``{folder}``
    the folder it is in, ``{draft}`` and ``{deliberating}`` the two cases) and the words the
    one error line must hold (``# expect:``)."""

    name: str
    file: str
    args: list[str]
    expected: str
    content: bytes


def _expand(data: bytes) -> bytes:
    return _RUN.sub(lambda m: m[1] * int(m[2]), data)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)


def load_probe(path: Path) -> Probe:
    raw = path.read_bytes()
    head: dict[str, str] = {}
    while raw.startswith(b"# ") and len(head) < 3:
        line, _, raw = raw.partition(b"\n")
        key, _, value = line.decode("utf-8")[2:].partition(": ")
        head[key] = value
    assert set(head) == {"probe", "args", "expect"} and head["expect"], (path.name, head)
    args = [_unescape(_expand(arg.encode()).decode()) for arg in shlex.split(head["args"])]
    return Probe(head["probe"], path.name, args, _unescape(head["expect"]), _expand(raw))


PROBES = [load_probe(path) for path in sorted(CORPUS.iterdir())]


def _args(probe: Probe, folder: Path, draft: str, deliberating: str) -> list[str]:
    places = {
        "{input}": str(folder / probe.file),
        "{folder}": str(folder),
        "{draft}": draft,
        "{deliberating}": deliberating,
    }
    out = []
    for arg in probe.args:
        for place, value in places.items():
            arg = arg.replace(place, value)
        out.append(arg)
    return out


def test_the_corpus_holds_every_probe() -> None:
    """53 probes (the count before they moved into files); a new file adds one."""
    assert len(PROBES) == len(list(CORPUS.iterdir())) >= 53
    assert len({p.name for p in PROBES}) == len(PROBES)


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
    for probe in PROBES:
        if "{input}" in probe.args:
            (tmp_path / probe.file).write_bytes(probe.content)
    (tmp_path / "doc.yaml").write_text(DOC, encoding="utf-8")
    code, out, err = await cli(system, "case", "create", str(tmp_path / "doc.yaml"), "--json")
    assert code == 0, err
    draft = json.loads(out)["case_id"]
    deliberating = await _deliberating_case(system)
    before = {cid: await system.gateway.snapshot(cid) for cid in (draft, deliberating)}
    workflows = await _workflow_count(system)

    gate = asyncio.Semaphore(3)

    async def run(probe: Probe) -> tuple[Probe, int, str]:
        async with gate:
            args = _args(probe, tmp_path, draft, deliberating)
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
