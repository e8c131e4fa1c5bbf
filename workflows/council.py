"""CouncilWorkflow: a registered council — its roster, its sessions and its answer numbers."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.projection import ProjectionActivities
    from models.calendar.clock import JST
    from models.case.checks import check_actor
    from models.case.states import Role
    from models.errors import CaseError, GuardFailed, InvalidPayload, RoleNotAllowed
    from models.ids import session_workflow_id
    from models.projection import CouncilProjectionInput, NumberRequest
    from models.session.council import Council, Numbering, SessionPlan
    from models.session.council_registry import CouncilInput, CouncilSnapshot, PlanSession
    from models.session.record import SessionInput
    from workflows.session import SessionWorkflow

# Patches (workflow.patched): never remove one while histories that predate it may replay.
PROJECT_COUNCIL = "council-projected-to-read-model"
PROJECTION_TIMEOUT = dt.timedelta(seconds=30)
PROJECTION_RETRY = RetryPolicy(  # the read model may be down for a while: keep trying
    initial_interval=dt.timedelta(seconds=1), maximum_interval=dt.timedelta(seconds=60)
)


def _rejected(err: CaseError) -> ApplicationError:
    return ApplicationError(err.message, type=err.error_type.value, non_retryable=True)


@workflow.defn
class CouncilWorkflow:
    """Holds a council for as long as it exists; plans sessions and hands out numbers."""

    @workflow.init
    def __init__(self, inp: CouncilInput) -> None:
        self._in = inp
        self._council: Council = inp.council
        self._sessions: list[SessionPlan] = list(inp.sessions)
        self._counters: dict[str, int] = dict(inp.counters)
        self._numbers: dict[str, str] = dict(inp.numbers)
        self._unprojected = True  # registered, or continued as new: (re)write the row
        self._version = 0

    @workflow.run
    async def run(self, inp: CouncilInput) -> None:
        """Keep the council's read-model row current (once at registration, then after each
        change); continue-as-new when the history grows."""
        if workflow.patched(PROJECT_COUNCIL):
            while True:
                await workflow.wait_condition(lambda: self._unprojected or self._may_continue())
                if not self._unprojected:
                    break
                self._unprojected = False
                await self._project()
        else:
            await workflow.wait_condition(self._may_continue)
        workflow.continue_as_new(
            CouncilInput(
                council=self._council,
                closures=self._in.closures,
                sessions=self._sessions,
                counters=self._counters,
                numbers=self._numbers,
            )
        )

    def _may_continue(self) -> bool:
        return workflow.info().is_continue_as_new_suggested() and workflow.all_handlers_finished()

    async def _project(self) -> int:
        # grows within a run and across runs (workflow time does not go back)
        now_us = int(workflow.now().timestamp() * 1_000_000)
        self._version = version = max(self._version + 1, now_us)
        await workflow.execute_local_activity_method(
            ProjectionActivities.project_council,
            CouncilProjectionInput(
                council=self._council, sessions_planned=len(self._sessions), version=version
            ),
            start_to_close_timeout=PROJECTION_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
        )
        return version

    @workflow.update
    async def plan_session(self, inp: PlanSession) -> str:
        """Plan a session and start its SessionWorkflow; returns the session id."""
        self._check_plan(inp)
        plan = inp.plan
        await workflow.start_child_workflow(
            SessionWorkflow.run,
            SessionInput(
                plan=plan, council=self._council, closures=self._in.closures, clock=inp.clock
            ),
            id=session_workflow_id(plan.session_id),
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        self._sessions.append(plan)
        self._unprojected = True
        return plan.session_id

    @plan_session.validator
    def _v_plan(self, inp: PlanSession) -> None:
        self._check_plan(inp, verify_actor=True)

    def _check_plan(self, inp: PlanSession, *, verify_actor: bool = False) -> None:
        try:
            if verify_actor:
                check_actor(inp.actor, "plan_session", (Role.secretariat,), None)
            elif inp.actor.role is not Role.secretariat:
                raise RoleNotAllowed(f"plan_session is done by secretariat, not {inp.actor.role}")
            plan = inp.plan
            if plan.council_id != self._council.council_id:
                raise InvalidPayload(f"plan.council_id: this is {self._council.council_id}")
            today = workflow.now().astimezone(JST).date()
            if plan.held_on < today:  # today's session may be recorded after it began
                raise GuardFailed(
                    f"plan.starts_at: {plan.starts_at.isoformat()} is in the past "
                    f"(a session is planned for today, {today.isoformat()}, or later)"
                )
            for other in self._sessions:
                if plan.session_id == other.session_id:
                    raise GuardFailed(f"session {plan.session_id} (第{plan.ordinal}回) exists")
                if plan.starts_at < other.ends_at and other.starts_at < plan.ends_at:
                    raise GuardFailed(
                        f"overlaps session {other.session_id} "
                        f"({other.starts_at.isoformat()}–{other.ends_at.isoformat()})"
                    )
            self._in.closures.is_closed(plan.held_on)  # inside the calendar's range
        except CaseError as err:
            raise _rejected(err) from None
        except ValueError as err:
            raise _rejected(InvalidPayload(f"plan.starts_at: {err}")) from None

    @workflow.update
    async def project_read_model(self) -> int:
        """Write the council's read-model row now (e.g. a council registered before councils
        were projected, whose run predates the patch). Idempotent; returns the version."""
        return await self._project()

    @workflow.update
    def take_number(self, req: NumberRequest) -> str:
        """The next answer number; the same case always gets the same number."""
        if req.case_id not in self._numbers:
            key = "all" if self._council.numbering is Numbering.cumulative else str(req.fiscal_year)
            start = self._council.first_number if key == "all" else 1
            self._counters[key] = self._counters.get(key, start - 1) + 1
            self._numbers[req.case_id] = f"第{self._counters[key]}号"
        return self._numbers[req.case_id]

    @workflow.query
    def snapshot(self) -> CouncilSnapshot:
        """The council, its planned sessions and the numbers handed out."""
        return CouncilSnapshot(
            council=self._council,
            sessions=sorted(self._sessions, key=lambda p: p.starts_at),
            numbers=self._numbers,
            as_of=workflow.now().astimezone(dt.UTC),
        )
