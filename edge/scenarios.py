"""Drives a scenario file against the running engine, step by step: case triggers through a
CaseService, and — when the file declares councils and sessions — session acts through a
CouncilService on the same client, settings and municipality. Rendering the step results is
the caller's (``cli/render.py``).

A scenario plays every role of its steps: it runs only for an account holding admin, and every
act it records names that admin (``edge.identity.scenario_actor``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from edge.cases import CaseService
from edge.councils import CouncilService
from edge.identity import scenario_actor
from edge.loaders import load_document, load_structured
from edge.sessions import SESSION_ACTS, request_model
from models.accounts import UserView
from models.calendar.clock import ClockEpoch
from models.case.payloads import SessionRef
from models.case.record import ActInput, Actor
from models.case.states import Role
from models.errors import CaseError, DuplicateCase, InvalidPayload, describe_validation_error
from models.labels import ROLE_LABELS, session_label
from models.policy import CasePolicy
from models.scenario import (
    JST,
    TODAY_TOKEN,
    Scenario,
    ScenarioCase,
    ScenarioStep,
    run_clock,
    run_date,
)
from models.session.council import SessionPlan
from models.session.record import SessionClock, SessionSnapshot

PLAN = "plan"  # the session step that plans its session (CouncilWorkflow.plan_session)


@dataclass
class StepResult:
    number: int
    case: str
    trigger: str
    role: str
    expected: str
    got: str
    ok: bool
    detail: str = ""


def _base(scenario: Scenario, now: dt.datetime) -> dt.datetime:
    """The run's base time: the next whole minute, moved earlier when a session held "today"
    would otherwise start after midnight (JST), so every such session is held on the run's
    day (a start a little in the past is fine: the session's clock is pinned to that day)."""
    latest = max(
        (s.starts_in_minutes for s in scenario.sessions.values() if s.starts_in_minutes),
        default=0,
    )
    last = dt.datetime.combine(now.astimezone(JST).date(), dt.time(23, 59), JST)
    return min(run_clock(now), last - dt.timedelta(minutes=latest))


def load_scenario(path: Path) -> Scenario:
    try:
        scenario = Scenario.model_validate(load_structured(path))
    except ValidationError as exc:
        raise InvalidPayload(f"{path}: {describe_validation_error(exc)}") from None
    for n, step in enumerate(scenario.steps, start=1):
        if step.act is not None and step.act != PLAN and step.act not in SESSION_ACTS:
            known = ", ".join([PLAN, *SESSION_ACTS])
            raise InvalidPayload(f"{path}: steps.{n}.act: unknown act {step.act!r} ({known})")
    return scenario


def _resolve_aliases(value: Any, ids: dict[str, Any], today: dt.date | None = None) -> Any:
    """Replace "@alias" strings by what the alias stands for (a case id, or a session's
    SessionRef), and "@today±N" by that date of the run."""
    if isinstance(value, str) and value.startswith("@"):
        if value[1:] in ids:
            return ids[value[1:]]
        if today is not None and TODAY_TOKEN.match(value):
            return run_date(value, today).isoformat()
        return value
    if isinstance(value, dict):
        return {k: _resolve_aliases(v, ids, today) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_aliases(v, ids, today) for v in value]
    return value


@dataclass
class _Session:
    alias: str
    plan: SessionPlan
    ref: SessionRef
    clock: SessionClock  # pinned to the session's day for the whole run
    fresh: bool = True  # False: its council existed already (an earlier run); steps skipped


class ScenarioRunner:
    def __init__(
        self,
        cases: CaseService,
        *,
        admin: UserView,
        unique: bool = False,
        councils: CouncilService | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        scenario_actor(admin, Role.admin, department=None, name=admin.display_name)
        self.cases = cases
        # "now" of the run (aware, in Japan): "@today±N" dates count from its day
        self.clock = clock or (lambda: dt.datetime.now(JST))
        self.admin = admin
        self.departments: dict[str, str] = {}  # case id → the department that filed it
        self.councils = councils
        tag = uuid.uuid4().hex[:8]
        self.suffix = f"#{tag}" if unique else ""
        self.council_suffix = f"-{tag}" if unique else ""
        self.council_ids: dict[str, str] = {}  # alias → council id, after run()
        self.session_ids: dict[str, str] = {}  # alias → session id, after run()

    # -- set-up ---------------------------------------------------------------------------

    def _actor(self, role: Role, name: str | None, department: str | None) -> Actor:
        return scenario_actor(
            self.admin, role, department=department, name=name or ROLE_LABELS[role]
        )

    def _services(self, scenario: Scenario) -> tuple[CaseService, CouncilService]:
        """The case service (with the scenario's policy overrides) and a council service on
        the same client, settings and municipality."""
        cases = self.cases
        if scenario.municipality_policy:
            town = cases.municipality
            policy = CasePolicy.model_validate(
                {**town.policy.model_dump(), **scenario.municipality_policy}
            )
            town = town.model_copy(update={"policy": policy})
            cases = CaseService(cases.client, cases.settings, town)
        councils = self.councils
        if councils is None or scenario.municipality_policy:
            councils = CouncilService(cases.client, cases.settings, cases.municipality)
        return cases, councils

    async def _create(
        self,
        cases: CaseService,
        alias: str,
        spec: ScenarioCase,
        base: Path,
        ids: dict[str, Any],
        today: dt.date,
    ) -> tuple[str, bool]:
        raw = (
            spec.document
            if spec.document is not None
            else load_structured(base / str(spec.document_file))
        )
        where = f"cases.{alias}.document"
        if spec.planned_start is not None:
            if not isinstance(raw, dict) or "planned_start" in raw:
                raise InvalidPayload(f"{where}: planned_start is given twice")
            raw = {**raw, "planned_start": spec.planned_start.resolve(today)}
        document = load_document(_resolve_aliases(raw, ids, today), where)
        ref = f"{spec.external_ref}{self.suffix}" if spec.external_ref else None
        created_on = run_date(spec.created_on, today) if spec.created_on is not None else None
        try:
            snap = await cases.create_case(
                document=document,
                actor=self._actor(spec.created_by.role, spec.created_by.name, document.department),
                external_ref=ref,
                created_on=created_on,
            )
        except DuplicateCase:
            self.departments[cases.case_id_for(ref)] = document.department
            return cases.case_id_for(ref), False
        self.departments[snap.case_id] = document.department
        return snap.case_id, True

    def _council_ids(self, scenario: Scenario) -> dict[str, str]:
        ids: dict[str, str] = {}
        for alias, council in scenario.councils.items():
            ids[alias] = f"{council.council_id}{self.council_suffix}"
            if len(ids[alias]) > 32:
                raise InvalidPayload(
                    f"councils.{alias}.council_id: {council.council_id!r} is too long to take "
                    "the run's suffix (at most 23 characters)"
                )
        return ids

    async def _register(
        self, councils: CouncilService, scenario: Scenario, ids: dict[str, str]
    ) -> dict[str, bool]:
        """Register the declared councils; one registered by an earlier run is reused."""
        fresh: dict[str, bool] = {}
        for alias, council in scenario.councils.items():
            try:
                await councils.register(council.model_copy(update={"council_id": ids[alias]}))
                fresh[alias] = True
            except DuplicateCase:
                fresh[alias] = False
        return fresh

    def _sessions(
        self,
        scenario: Scenario,
        council_ids: dict[str, str],
        clock: dt.datetime,
        now: dt.datetime,
    ) -> dict[str, _Session]:
        """The sessions' plans for this run, each on a clock pinned to its day (the run's day
        for a session held "today", ``_base`` keeps it on that day): its acts, and the case
        acts they fire, are dated on it even after midnight (JST), so no run waits for it."""
        sessions: dict[str, _Session] = {}
        for alias, spec in scenario.sessions.items():
            council = scenario.councils[spec.council]
            try:
                plan = spec.plan(council_ids[spec.council], clock)
            except ValidationError as exc:
                raise InvalidPayload(
                    f"sessions.{alias}: {describe_validation_error(exc)}"
                ) from None
            day = plan.held_on if spec.held_today else now.date()
            ref = SessionRef(
                session_id=plan.session_id,
                council=council.name,
                held_on=plan.held_on,
                label=session_label(plan.fiscal_year, plan.ordinal),
            )
            pinned = SessionClock(epoch=ClockEpoch(at=now, on=day))
            sessions[alias] = _Session(alias, plan, ref, pinned)
        return sessions

    # -- the run --------------------------------------------------------------------------

    async def run(self, scenario: Scenario, base: Path) -> tuple[dict[str, str], list[StepResult]]:
        """Register the councils, create the cases, plan the sessions and run every step;
        stops at the first mismatch. Cases (same external reference) and councils (same id)
        that exist already are reused and their steps are not repeated. Returns the ids of
        the cases and sessions by alias, and one result per step run."""
        now = self.clock().astimezone(JST)
        clock, today = _base(scenario, now), now.date()
        cases, councils = self._services(scenario)
        council_ids = self._council_ids(scenario)
        sessions = self._sessions(scenario, council_ids, clock, now)  # before creating anything
        council_fresh = await self._register(councils, scenario, council_ids)
        for session in sessions.values():
            session.fresh = council_fresh[scenario.sessions[session.alias].council]
        self.council_ids = council_ids
        self.session_ids = {alias: s.plan.session_id for alias, s in sessions.items()}

        ids: dict[str, str] = {}
        fresh: dict[str, bool] = {}
        refs: dict[str, Any] = {a: s.ref.model_dump(mode="json") for a, s in sessions.items()}
        for alias, spec in scenario.cases.items():
            ids[alias], fresh[alias] = await self._create(
                cases, alias, spec, base, {**ids, **refs}, today
            )
        names: dict[str, Any] = {**ids, **refs}

        secretariat = self._actor(Role.secretariat, None, None)
        for alias, session in sessions.items():
            if session.fresh and not scenario.planned_by_step(alias):
                try:
                    await councils.plan(secretariat, session.plan, clock=session.clock)
                except CaseError as err:
                    raise type(err)(f"sessions.{alias}: {err.message}") from None

        results: list[StepResult] = []
        only = next(iter(scenario.cases))
        for number, step in enumerate(scenario.steps, start=1):
            if step.is_session_step:
                assert step.session is not None
                if not sessions[step.session].fresh:
                    continue
                result = await self._session_step(
                    number, step, sessions[step.session], cases, councils, ids, names, today
                )
            else:
                alias = step.case or only
                if not fresh[alias]:
                    continue
                result = await self._case_step(number, step, alias, cases, ids, names, today)
            results.append(result)
            if not result.ok:
                break
        return {**ids, **self.session_ids}, results

    async def _case_step(
        self,
        number: int,
        step: ScenarioStep,
        alias: str,
        cases: CaseService,
        ids: dict[str, str],
        names: dict[str, Any],
        today: dt.date,
    ) -> StepResult:
        assert step.trigger is not None
        act = ActInput(
            trigger=step.trigger,
            actor=self._actor(step.as_, step.actor, self.departments[ids[alias]]),
            payload=_resolve_aliases(step.payload, names, today),
            on=run_date(step.on, today) if step.on is not None else None,
        )
        expected = step.expect.value if step.expect else f"error {step.expect_error}"
        try:
            snap = await cases.act(ids[alias], act)
        except CaseError as err:
            got, detail = f"error {err.error_type}", err.message
            ok = step.expect_error is not None and err.error_type == step.expect_error
        else:
            got, detail = snap.state.value, ""
            ok = step.expect is not None and snap.state == step.expect
            if ok and step.expect_warning:
                codes = [w.code for w in snap.warnings]
                ok = step.expect_warning in codes
                detail = f"warnings: {', '.join(codes) or 'none'}"
            if snap.parked is not None:
                detail = f"parked: {snap.parked.step}: {snap.parked.error}"
        return StepResult(number, alias, step.trigger, step.as_.value, expected, got, ok, detail)

    async def _session_step(
        self,
        number: int,
        step: ScenarioStep,
        session: _Session,
        cases: CaseService,
        councils: CouncilService,
        ids: dict[str, str],
        names: dict[str, Any],
        today: dt.date,
    ) -> StepResult:
        assert step.act is not None
        actor = self._actor(step.as_, step.actor, None)
        label = f"{session.alias}·{step.case}" if step.case else session.alias
        expected = _expected(step)

        def result(got: str, ok: bool, detail: str = "") -> StepResult:
            role = step.as_.value
            return StepResult(number, label, step.act or "", role, expected, got, ok, detail)

        try:
            if step.act == PLAN:
                await councils.plan(actor, session.plan, clock=session.clock)
            else:
                request = self._request(step, actor, ids, names, session.clock.epoch.on)
                await councils.act(session.plan.session_id, step.act, request)
            snap = await councils.session(session.plan.session_id)
        except CaseError as err:
            ok = step.expect_error is not None and err.error_type == step.expect_error
            return result(f"error {err.error_type}", ok, err.message)
        got, ok, detail = await _observed(step, snap, cases, ids)
        return result(got, ok, detail)

    def _request(
        self,
        step: ScenarioStep,
        actor: Actor,
        ids: dict[str, str],
        names: dict[str, Any],
        today: dt.date,
    ) -> BaseModel:
        """The act's request: its payload (aliases resolved), the actor, the date (the step's,
        else the session's day: every act is dated explicitly), and the case_id of an item act
        when the step names its case."""
        assert step.act is not None
        model = request_model(step.act)
        data: dict[str, Any] = {**_resolve_aliases(step.payload, names, today), "actor": actor}
        if step.on is not None:
            data["on"] = run_date(step.on, today)
        elif "on" in model.model_fields:
            data["on"] = today
        if step.case is not None:
            if "case_id" not in model.model_fields:
                raise InvalidPayload(f"{step.act} is not about one item; it takes no case")
            data.setdefault("case_id", ids[step.case])
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise InvalidPayload(describe_validation_error(exc, "payload")) from None


def _expected(step: ScenarioStep) -> str:
    if step.expect_error is not None:
        return f"error {step.expect_error}"
    parts: list[str] = []
    if step.expect_session is not None:
        parts.append(f"session {step.expect_session}")
    if step.expect_minutes is not None:
        parts.append(f"minutes {step.expect_minutes}")
    parts += [f"{a} {s}" for a, s in step.expect_cases.items()]
    parts += [f"item {a} {s}" for a, s in step.expect_items.items()]
    parts += [f"answer {a} {n}" for a, n in step.expect_answers.items()]
    if step.expect_warning:
        parts.append(f"warning {step.expect_warning}")
    return ", ".join(parts)


async def _observed(
    step: ScenarioStep, snap: SessionSnapshot, cases: CaseService, ids: dict[str, str]
) -> tuple[str, bool, str]:
    """What the step's expectations look at, as found after the step; and whether it matches."""
    parts: list[str] = []
    ok = step.expect_error is None
    if step.expect_session is not None:
        parts.append(f"session {snap.state}")
        ok = ok and snap.state == step.expect_session
    if step.expect_minutes is not None:
        parts.append(f"minutes {snap.minutes}")
        ok = ok and snap.minutes == step.expect_minutes
    for alias, state in step.expect_cases.items():
        case = await cases.snapshot(ids[alias])
        parts.append(f"{alias} {case.state}")
        ok = ok and case.state == state
    items = {i.case_id: i for i in snap.items}
    for alias, status in step.expect_items.items():
        item = items.get(ids[alias])
        parts.append(f"item {alias} {item.status if item else 'not on the agenda'}")
        ok = ok and item is not None and item.status == status
    for alias, number in step.expect_answers.items():
        item = items.get(ids[alias])
        got = item.answer.number if item is not None and item.answer is not None else "none"
        parts.append(f"answer {alias} {got}")
        ok = ok and got == number
    codes = [w.code for w in snap.warnings]
    detail = f"warnings: {', '.join(codes)}" if codes else ""
    if step.expect_warning:
        parts.append(f"warning {step.expect_warning if step.expect_warning in codes else 'none'}")
        ok = ok and step.expect_warning in codes
    return ", ".join(parts) or f"session {snap.state}", ok, detail
