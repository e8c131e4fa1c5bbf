"""Record workflow histories for the replay tests (tests/replay/test_replay.py).

    .venv/bin/python -m scripts.record_histories [--only NAME ...] [--into FOLDER]

Starts a fresh dev server and the production worker (``worker.build_worker``; SQLite read
model with a 200 ms busy timeout, fast retry policy), drives a set of case journeys — every
scenario file in ``scenarios/`` plus the journeys built below — and writes each workflow
run's history as ``history.to_json()`` to ``tests/replay/histories/<name>.json`` (a case
that continued-as-new gets ``<name>.run<k>.json`` per run).

Files are overwritten by name; other files in the folder are left alone on purpose: a
history recorded by an older engine version must keep replaying against the new code.
``--into FOLDER`` writes into a sub-folder instead, to add histories of a newer engine
beside the old ones of the same name (e.g. ``--into session_table``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import shutil
import sqlite3
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from bench.transition_latency import exit_with, sample_document, start_dev_server
from edge.cases import CaseService
from edge.scenarios import ScenarioRunner, load_scenario
from models.case.record import ActInput, ActResult, AdminInput, CaseSnapshot
from models.case.states import Role
from models.errors import CaseError
from models.ids import case_workflow_id, council_workflow_id, session_workflow_id
from models.policy import CasePolicy
from settings import ROOT, Settings
from tests.factories import TEST_ADMIN, actor
from tests.integration.conftest import municipality
from tests.integration.smtp_sink import SmtpSink
from worker import build_worker

HISTORIES = ROOT / "tests" / "replay" / "histories"
SCENARIOS = ROOT / "scenarios"

FAST_POLICY = CasePolicy(
    step_attempts=2,
    retry_initial_seconds=0.1,
    retry_max_seconds=0.2,
    step_timeout_seconds=5,
)
# a history limit this low makes the case continue-as-new every few transitions
SHORT_HISTORY_POLICY = FAST_POLICY.model_copy(update={"history_event_limit": 20})

ADMIN = actor(Role.admin, "運用管理者")
D = dt.date

# -- journeys built in code ----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    trigger: str
    role: str
    on: dt.date
    expect: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Admin:
    """An admin repair of the parked step; the snapshot it returns may be parked again."""

    action: str  # retry / skip / abort
    reason: str
    expect_parked: bool = False


@dataclass(frozen=True)
class Lock:
    """Take (True) or release (False) an exclusive lock on the SQLite read model."""

    held: bool


COUNCIL = "情報公開・個人情報保護審議会"
SESSION_1 = {"session_id": "2025-2", "council": COUNCIL, "held_on": "2025-05-22", "label": "第2回"}
SESSION_2 = {"session_id": "2025-3", "council": COUNCIL, "held_on": "2025-06-19", "label": "第3回"}
CONDITIONS = [
    {
        "text": "データセンターを国内とすることを契約に盛り込む",
        "type": "contract_clause",
        "due": "before_contract",
        "owner": "保健センター",
    },
    {
        "text": "運用開始後1年以内に運用状況を報告する",
        "type": "report",
        "due": "by_date",
        "due_on": "2032-03-31",
        "owner": "保健センター",
    },
]
CHECKS = {
    "items": [
        {"check_id": "C1", "result": "conforming"},
        {"check_id": "C8", "result": "conforming", "note": "TLS 1.2 以上"},
        {"check_id": "C12", "result": "nonconforming", "note": "ログ保存は半年: 運用で補う"},
        {"check_id": "C20", "result": "not_applicable"},
    ]
}

TO_PRECHECK = [
    Step("submit", "department", D(2025, 4, 2), "triage"),
    Step(
        "require_consultation",
        "secretariat",
        D(2025, 4, 3),
        "precheck",
        {"reason": "外部結合であり、特に必要と認める (法第129条)"},
    ),
]
TO_DELIBERATING = [
    *TO_PRECHECK,
    Step("pass_precheck", "it", D(2025, 4, 15), "ready", CHECKS),
    Step("schedule", "secretariat", D(2025, 4, 21), "scheduled", {"session": SESSION_1}),
    Step("send_materials", "secretariat", D(2025, 5, 13), "materials_sent"),
    Step("open_deliberation", "chair", D(2025, 5, 22), "deliberating", {"seats": 10, "present": 8}),
]


def _amended() -> dict[str, Any]:
    doc = sample_document().model_dump(mode="json")
    doc["reason"] = "24時間予約を受け付け、窓口の混雑を減らすため"
    return {"document": doc}


JOURNEYS: dict[str, list[Step | Admin | Lock]] = {
    # draft → … → conditions_pending → active, with a return, an amendment, a late
    # materials warning and a continued deliberation on the way
    "conditions_active": [
        *TO_PRECHECK,
        Step(
            "return_to_department",
            "secretariat",
            D(2025, 4, 7),
            "draft",
            {"comments": ["目的の記載を具体的に"]},
        ),
        Step("amend", "department", D(2025, 4, 8), "draft", _amended()),
        Step("submit", "department", D(2025, 4, 9), "triage"),
        Step(
            "require_consultation",
            "secretariat",
            D(2025, 4, 10),
            "precheck",
            {"reason": "外部結合であり、特に必要と認める (法第129条)"},
        ),
        Step("pass_precheck", "it", D(2025, 4, 15), "ready", CHECKS),
        Step("schedule", "secretariat", D(2025, 4, 21), "scheduled", {"session": SESSION_1}),
        Step(
            "send_materials",
            "secretariat",
            D(2025, 5, 19),
            "materials_sent",
            {"late_reason": "事業者の回答待ち"},
        ),
        Step(
            "open_deliberation",
            "chair",
            D(2025, 5, 22),
            "deliberating",
            {"seats": 10, "present": 7},
        ),
        Step(
            "continue_deliberation",
            "council",
            D(2025, 5, 22),
            "scheduled",
            {"reason": "事業者の回答を待って継続審議", "next_session": SESSION_2},
        ),
        Step("send_materials", "secretariat", D(2025, 6, 10), "materials_sent"),
        Step(
            "open_deliberation",
            "chair",
            D(2025, 6, 19),
            "deliberating",
            {"seats": 10, "present": 8},
        ),
        Step(
            "decide",
            "council",
            D(2025, 6, 19),
            "answer_drafting",
            {
                "outcome": "approve_with_conditions",
                "votes": {"yes": 7, "no": 1},
                "conditions": CONDITIONS,
                "opinions": [{"text": "委託先の監督を徹底すること"}],
            },
        ),
        Step("issue_answer", "chair", D(2025, 6, 26), "conditions_pending", {"number": "第12号"}),
        Step(
            "conditions_fulfilled",
            "secretariat",
            D(2025, 7, 10),
            "active",
            {"verified": [{"condition": 1, "evidence": "契約書第15条"}]},
        ),
    ],
    "approved_closed": [
        *TO_DELIBERATING,
        Step(
            "decide",
            "council",
            D(2025, 5, 22),
            "answer_drafting",
            {"outcome": "approve", "votes": {"yes": 8}},
        ),
        Step("issue_answer", "chair", D(2025, 5, 29), "active", {"number": "第13号"}),
        Step(
            "close",
            "department",
            D(2025, 9, 1),
            "closed",
            {"end_duties": ["事業者保有データの消去を確認 (証明書第3号)"]},
        ),
    ],
    "rejected": [
        *TO_DELIBERATING,
        Step(
            "decide",
            "council",
            D(2025, 5, 22),
            "answer_drafting",
            {"outcome": "reject", "votes": {"yes": 3, "no": 5}},
        ),
        Step("issue_answer", "chair", D(2025, 5, 29), "rejected", {"number": "第14号"}),
    ],
    "withdrawn": [
        *TO_PRECHECK,
        Step("withdraw", "department", D(2025, 4, 10), "withdrawn", {"reason": "事業の中止"}),
    ],
    "waived": [
        Step("submit", "department", D(2025, 4, 2), "triage"),
        Step(
            "waive_consultation",
            "secretariat",
            D(2025, 4, 3),
            "not_required",
            {"reason": "特に必要と認めない"},
        ),
    ],
    # a step parks on a locked read model, an admin retries while it is still locked (parks
    # again), the lock goes, the next retry works and the case goes on
    "parked_retry": [
        Lock(True),
        Step("submit", "department", D(2025, 4, 2), "triage"),
        Admin("retry", "まだロック中", expect_parked=True),
        Lock(False),
        Admin("retry", "ロック解除後に再実行"),
        *TO_PRECHECK[1:],
    ],
    "parked_skip": [
        Lock(True),
        Step("submit", "department", D(2025, 4, 2), "triage"),
        Lock(False),
        Admin("skip", "次の遷移で読取モデルが追いつくため省略"),
        *TO_PRECHECK[1:],
    ],
    "parked_abort": [
        *TO_PRECHECK[:1],
        Lock(True),
        TO_PRECHECK[1],
        Lock(False),
        Admin("abort", "案件を登録し直すため中止"),
    ],
}
POLICIES = {"continued_as_new": SHORT_HISTORY_POLICY}
PARKED_ANSWER = "session_parked_answer"  # a session journey (Recorder.parked_answer)
RESET_BY_CLI = "reset_by_temporal_cli"  # a case reset with `temporal workflow reset`
JOURNEYS["continued_as_new"] = JOURNEYS["conditions_active"]

# -- driving -----------------------------------------------------------------------------------


class ReadModelLock:
    """A real fault: another process holds an exclusive lock on the SQLite read model, so
    the projection step fails after its bounded retries and parks."""

    def __init__(self, settings: Settings) -> None:
        self._path = settings.read_model_url.removeprefix("sqlite:///")
        self._conn: sqlite3.Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def hold(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, isolation_level=None)
            self._conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute("ROLLBACK")
            self._conn.close()
            self._conn = None


class Recorder:
    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.recorded: dict[str, list[str]] = {}  # name → workflow ids

    def gateway(self, policy: CasePolicy = FAST_POLICY) -> CaseService:
        town = municipality(policy)
        return CaseService(self.client, self.settings, town)

    async def journey(self, name: str, steps: list[Step | Admin | Lock]) -> None:
        gateway = self.gateway(POLICIES.get(name, FAST_POLICY))
        snap: CaseSnapshot | ActResult = await gateway.create_case(
            document=sample_document(),
            actor=actor(Role.department, "保健センター"),
            created_on=D(2025, 4, 1),
        )
        case_id = snap.case_id
        lock = ReadModelLock(self.settings)
        try:
            for item in steps:
                if isinstance(item, Lock) and item.held:
                    lock.hold()
                elif isinstance(item, Lock):
                    lock.release()
                elif isinstance(item, Admin):
                    snap = await gateway.admin(
                        case_id, item.action, AdminInput(actor=ADMIN, reason=item.reason)
                    )
                    _check(name, f"admin {item.action}", snap, None, item.expect_parked)
                else:
                    act = ActInput(
                        trigger=item.trigger,
                        actor=actor(item.role, item.role),
                        payload=item.payload,
                        on=item.on,
                    )
                    snap = await gateway.act(case_id, act)
                    _check(name, item.trigger, snap, item.expect, lock.held)
        finally:
            lock.release()
        if name in POLICIES:  # a short history: the case continues as new once quiet
            for _ in range(100):
                if (await gateway.snapshot(case_id)).run_count > 1:
                    break
                await asyncio.sleep(0.1)
        self.recorded[name] = [case_workflow_id(case_id)]

    async def parked_answer(self, name: str) -> None:
        """A session whose answer's 答申書 step parks on the case (a broken template): the
        item waits as answer_pending, completing it is refused while the case step is
        parked, and succeeds after the admin's retry."""
        from edge.councils import CouncilService
        from models.session.record import (
            AddItems,
            Attendance,
            DecideItem,
            IssueAnswer,
            ItemAct,
            ItemStatus,
            OpenSession,
            SessionAct,
        )
        from tests.integration.test_sessions import (
            CHAIR,
            COUNCIL,
            POLICY,
            SECRETARIAT,
            council,
            plan_on_its_day,
            ready_case,
        )

        cases = self.gateway(POLICY)
        councils = CouncilService(self.client, self.settings, cases.municipality)
        council_id = f"c{uuid.uuid4().hex[:8]}"
        await councils.register(council(council_id))
        case_id = await ready_case(cases, "WEB予約")
        sid = (await plan_on_its_day(councils, council_id, 1)).session_id
        await councils.act(sid, "add_items", AddItems(actor=SECRETARIAT, case_ids=[case_id]))
        for act in ("send_notice", "send_materials"):
            await councils.act(sid, act, SessionAct(actor=SECRETARIAT))
        present = Attendance(present=[f"m{n}" for n in range(1, 9)])
        await councils.act(sid, "open_session", OpenSession(actor=CHAIR, attendance=present))
        await councils.act(sid, "open_item", ItemAct(actor=CHAIR, case_id=case_id))
        decide = DecideItem(actor=COUNCIL, case_id=case_id, outcome="approve", votes={"yes": 8})
        await councils.act(sid, "decide_item", decide)
        page = self.settings.templates_dir / "html" / "toshinsho.html"
        good = page.read_text(encoding="utf-8")
        page.write_text(good.replace("{{ conclusion }}", "{{ conclusoin }}"), encoding="utf-8")
        answer = IssueAnswer(actor=CHAIR, case_id=case_id, conclusion="可とする。")
        try:
            snap = await councils.act(sid, "issue_answer", answer)
            if snap.items[0].status is not ItemStatus.answer_pending:
                raise RuntimeError(f"{name}: the answer did not wait: {snap.items[0].status}")
            try:
                await councils.act(sid, "issue_answer", answer)
                raise RuntimeError(f"{name}: completed while the case step was parked")
            except CaseError:
                pass  # refused: the case step is still parked
        finally:
            page.write_text(good, encoding="utf-8")
        await cases.admin(case_id, "retry", AdminInput(actor=ADMIN, reason="テンプレート修正"))
        snap = await councils.act(sid, "issue_answer", answer)
        if snap.items[0].status is not ItemStatus.answered:
            raise RuntimeError(f"{name}: not completed: {snap.items[0].status}")
        await councils.act(sid, "close_session", SessionAct(actor=SECRETARIAT))
        await councils.act(sid, "approve_minutes", SessionAct(actor=CHAIR))
        await councils.act(sid, "publish_minutes", SessionAct(actor=SECRETARIAT))
        self.recorded[f"{name}_session"] = [session_workflow_id(sid)]
        self.recorded[f"{name}_case"] = [case_workflow_id(case_id)]

    async def reset_by_cli(self, name: str) -> None:
        """A case in precheck reset with the Temporal CLI to before its second act; the case
        meets the reset (a ResetMark, its rows repaired), then acts again."""
        from edge import history

        gateway = self.gateway()
        snap = await gateway.create_case(
            document=sample_document(), actor=actor(Role.department, "保健センター")
        )
        case_id = snap.case_id
        for step in TO_PRECHECK:
            act = ActInput(trigger=step.trigger, actor=actor(step.role), payload=step.payload)
            _check(name, step.trigger, await gateway.act(case_id, act), step.expect, False)
        workflow_id = case_workflow_id(case_id)
        await _settle(self.client.get_workflow_handle(workflow_id))
        run = await history.current_run(self.client, workflow_id)
        full = await gateway.snapshot(case_id)
        [_, point] = await history.reset_points(self.client, run, full.history)
        proc = await asyncio.create_subprocess_exec(
            str(ROOT / ".venv" / "bin" / "temporal"),
            *("workflow", "reset", "--address", self.client.service_client.config.target_host),
            *("-w", workflow_id, "--event-id", str(point.reset_event_id)),
            *("--reason", "recorded reset", "--reapply-exclude", "All"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"{name}: temporal workflow reset: {err.decode()}")
        for _ in range(200):
            snap = await gateway.snapshot(case_id)
            if snap.resets and snap.resets[-1].rows_repaired is not None:
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"{name}: the case did not meet the reset")
        again = TO_PRECHECK[1]
        act = ActInput(trigger=again.trigger, actor=actor(again.role), payload=again.payload)
        _check(name, "again", await gateway.act(case_id, act), again.expect, False)
        self.recorded[name] = [workflow_id]

    async def scenario(self, path: Path) -> bool:
        scenario = load_scenario(path)
        runner = ScenarioRunner(self.gateway(), admin=TEST_ADMIN, unique=True)
        ids, results = await runner.run(scenario, path.parent)
        failed = [r for r in results if not r.ok]
        for r in failed:
            print(
                f"  ! {path.name} step {r.number} {r.trigger} as {r.role}: expected "
                f"{r.expected}, got {r.got} {r.detail}"
            )
        for alias, case_id in ids.items():
            if alias in scenario.cases:
                self.recorded[f"scenario_{path.stem}_{alias}"] = [case_workflow_id(case_id)]
        for alias, session_id in runner.session_ids.items():
            self.recorded[f"scenario_{path.stem}_session_{alias}"] = [
                session_workflow_id(session_id)
            ]
        for alias, council_id in runner.council_ids.items():
            self.recorded[f"scenario_{path.stem}_council_{alias}"] = [
                council_workflow_id(council_id)
            ]
        return not failed and len(results) == len(scenario.steps)

    async def write(self, folder: Path = HISTORIES) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, workflow_ids in self.recorded.items():
            for workflow_id in workflow_ids:
                runs = await self._runs(workflow_id)
                for k, handle in enumerate(runs, start=1):
                    await _settle(handle)
                    history = await handle.fetch_history()
                    suffix = f".run{k}" if len(runs) > 1 else ""
                    path = folder / f"{name}{suffix}.json"
                    path.write_text(history.to_json(), encoding="utf-8")
                    written.append(path)
        return written

    async def _runs(self, workflow_id: str) -> list[WorkflowHandle[Any, Any]]:
        """Every run of a workflow, oldest first (visibility lags by milliseconds)."""
        latest = self.client.get_workflow_handle(workflow_id)
        await _settle(latest)
        want = 1  # councils and sessions do not continue-as-new in these journeys
        if workflow_id.startswith("case-"):
            want = (await latest.query("snapshot", result_type=CaseSnapshot)).run_count
        for _ in range(100):
            runs = [wf async for wf in self.client.list_workflows(f"WorkflowId = '{workflow_id}'")]
            if len(runs) >= want:
                break
            await asyncio.sleep(0.05)
        runs.sort(key=lambda wf: wf.start_time)
        return [self.client.get_workflow_handle(workflow_id, run_id=wf.run_id) for wf in runs]


def _check(
    name: str, what: str, snap: CaseSnapshot | ActResult, expect: str | None, expect_parked: bool
) -> None:
    if expect is not None and snap.state != expect:
        raise RuntimeError(f"{name}: {what}: expected {expect}, got {snap.state}")
    if (snap.parked is not None) != expect_parked:
        raise RuntimeError(f"{name}: {what}: parked is {snap.parked}, expected {expect_parked}")


async def _settle(handle: WorkflowHandle[Any, Any], timeout: float = 10.0) -> None:
    """Wait until the run has no workflow task or activity in flight (or has closed), so
    its history ends on a completed workflow task and its commands."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        desc = await handle.describe()
        raw = desc.raw_description
        if desc.status != WorkflowExecutionStatus.RUNNING:
            return
        if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
            return
        if loop.time() > deadline:
            raise RuntimeError(f"{handle.id}: still busy after {timeout}s")
        await asyncio.sleep(0.05)


async def run(only: list[str], into: str | None = None) -> int:
    # the parked journeys fail their projection on purpose: keep the SDK's activity
    # tracebacks out of the output (the workflow's own "parked" warning stays)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    HISTORIES.mkdir(parents=True, exist_ok=True)
    scenario_files = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("sessions/*.yaml"))
    ok = True
    with tempfile.TemporaryDirectory(prefix="toshin-record-") as tmp:
        data_dir = Path(tmp)
        sink = SmtpSink().start()  # reminders of live cases go out and complete
        templates = data_dir / "templates"  # a copy: the parked-answer journey breaks one
        shutil.copytree(ROOT / "templates", templates)
        settings = Settings(
            task_queue=f"record-{uuid.uuid4().hex[:8]}",
            templates_dir=templates,
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'read_model.db'}",
            sqlite_busy_timeout_ms=200,
            smtp_port=sink.port,
        )
        env = await start_dev_server(data_dir)
        try:
            with ThreadPoolExecutor(max_workers=16) as executor:
                async with build_worker(env.client, settings, executor):
                    recorder = Recorder(env.client, settings)
                    for path in scenario_files:
                        if only and path.stem not in only:
                            continue
                        print(f"scenario {path.name}")
                        ok = await recorder.scenario(path) and ok
                    for name, steps in JOURNEYS.items():
                        if only and name not in only:
                            continue
                        print(f"journey {name}")
                        await recorder.journey(name, steps)
                    if not only or PARKED_ANSWER in only:
                        print(f"journey {PARKED_ANSWER}")
                        await recorder.parked_answer(PARKED_ANSWER)
                    if not only or RESET_BY_CLI in only:
                        print(f"journey {RESET_BY_CLI}")
                        await recorder.reset_by_cli(RESET_BY_CLI)
                    written = await recorder.write(HISTORIES / into if into else HISTORIES)
        finally:
            await env.shutdown()
            sink.stop()
    for path in written:
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")
    if not ok:
        print("some scenario steps did not go as the files expect (recorded anyway)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="journey or scenario names")
    parser.add_argument("--into", help="a sub-folder of the histories to write into")
    args = parser.parse_args()
    return asyncio.run(run(args.only, args.into))


if __name__ == "__main__":
    exit_with(main)
