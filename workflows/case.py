"""CaseWorkflow: one durable workflow per case, enforcing the lifecycle table."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    from models.acts import CheckedAct, apply_act, check_act
    from models.case import (
        ActInput,
        Actor,
        ActResult,
        AdminAction,
        AdminInput,
        AllowedAction,
        CaseInput,
        CaseRecord,
        CaseResult,
        CaseSnapshot,
        CaseWarning,
        ParkedStep,
        TransitionRecord,
    )
    from models.clock import ClockEpoch, business_today
    from models.deadlines import next_deadline
    from models.documents.spec import CaseSource, DocType, GenerateDocumentInput
    from models.errors import CaseError, NoParkedStep
    from models.guards import GuardContext
    from models.jcalendar import fiscal_year
    from models.labels import STATE_LABELS
    from models.lifecycle import AUTOMATIC, RULES, TERMINAL, CaseMachine
    from models.payloads import NoPayload, Reason
    from models.projection import (
        CaseSummary,
        ProjectDeadlinesInput,
        ProjectTransitionInput,
        SupersedeInput,
    )
    from models.schedule import case_number, deadline_rows, due_items, mark_overdue, plan
    from models.search_attributes import (
        CASE_KIND,
        CASE_STATE,
        DEPARTMENT,
        FISCAL_YEAR,
        NEXT_DEADLINE,
        PARKED_STEP,
    )
    from models.states import CaseState, Role, Trigger
    from workflows.case_steps import Effect, execute, send_notices

JST = dt.timezone(dt.timedelta(hours=9))
ENGINE = Actor(role=Role.engine, name="toshin")
# Patches (workflow.patched): never remove one while histories that predate it may replay.
WAIT_FOR_ALL_EFFECTS = "act-waits-for-all-effects"
TRACKING = "conditions-obligations-reminders"
QUIET_CONTINUE = "continue-as-new-after-a-quiet-task"

# States in which due dates run: conditions, obligations, the re-review.
SCHEDULED_STATES = frozenset(
    {CaseState.conditions_pending, CaseState.active, CaseState.attention, CaseState.review}
)
ANSWER_DOCUMENT = "answer-issued-generates-toshinsho"
QUIET_BEFORE_CONTINUE = dt.timedelta(seconds=1)


@dataclass
class _AdminCommand:
    action: Literal["retry", "skip", "abort"]
    request: AdminInput


def _rejected(err: CaseError) -> ApplicationError:
    return ApplicationError(err.message, type=err.error_type.value, non_retryable=True)


@workflow.defn
class CaseWorkflow:
    """Holds one case from draft to its end, for years; every change is an update."""

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._config = inp.config
        self._projected_seq = inp.projected_seq
        self._effects: list[Effect] = []
        self._admin: _AdminCommand | None = None
        self._running = False
        self._settled_seq = inp.projected_seq  # every effect up to here has run (or was skipped)
        self._tracking: bool | None = None  # decided once per run (workflow.patched)
        self._replan = False  # an act changed what is due: plan the timers again
        self._rungs_sent = 0
        self._sender: asyncio.Task[None] | None = None
        if inp.record is not None:
            self._case = inp.record
        else:
            today = workflow.now().astimezone(JST).date()
            self._case = CaseRecord(
                case_id=inp.case_id,
                external_ref=inp.external_ref,
                document=inp.document,
                category=inp.document.category,
                state=CaseState.draft,
            )
            created = TransitionRecord(
                seq=0,
                trigger=None,
                source=None,
                dest=CaseState.draft,
                actor=inp.created_by,
                at=workflow.now(),
                on=inp.created_on or inp.document.filed_on or today,
            )
            self._case.history.append(created)
            self._effects.append(self._projection_effect(created))
        self._machine = CaseMachine(self._case.state)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseResult:
        """Run the effects of accepted acts until the case ends; continue-as-new when long."""
        self._upsert_search_attributes()
        if self._tracks():
            self._sender = asyncio.create_task(send_notices(self._case, self._config.policy))
        while True:
            wake_at = None
            if self._tracks():
                wake_at = self._schedule()
                self._project_deadlines()
            self._replan = False
            try:
                await workflow.wait_condition(
                    lambda: (
                        bool(self._effects)
                        or self._replan
                        or self._case.state in TERMINAL
                        or (self._history_is_long() and workflow.all_handlers_finished())
                    ),
                    timeout=None
                    if wake_at is None
                    else max(wake_at - workflow.now(), dt.timedelta(milliseconds=1)),
                )
            except TimeoutError:
                continue
            await self._drain_effects()
            if self._case.state in TERMINAL:
                if self._tracks():
                    self._project_deadlines()  # nothing is due any more
                    await self._drain_effects()
                await workflow.wait_condition(workflow.all_handlers_finished)
                return CaseResult(case_id=self._case.case_id, state=self._case.state)
            if self._history_is_long() and workflow.all_handlers_finished():
                if workflow.patched(QUIET_CONTINUE):
                    # Not in the task that completed an update: an update answered in the same
                    # task as the continue-as-new can be lost (temporalio/temporal#6375).
                    await workflow.sleep(QUIET_BEFORE_CONTINUE)
                    if self._effects or not workflow.all_handlers_finished():
                        continue
                workflow.continue_as_new(
                    CaseInput(
                        case_id=self._case.case_id,
                        external_ref=self._case.external_ref,
                        document=self._case.document,
                        created_by=self._case.history[0].actor,
                        config=self._config,
                        record=self._case.model_copy(update={"runs": self._case.runs + 1}),
                        projected_seq=self._projected_seq,
                    )
                )

    async def _drain_effects(self) -> None:
        while self._effects:
            self._running = True
            effect = self._effects.pop(0)
            await self._run_effect(effect)
            self._running = False
            if not any(e.seq <= effect.seq for e in self._effects):
                self._settled_seq = max(self._settled_seq, effect.seq)

    # -- a person's act ---------------------------------------------------------------

    @workflow.update
    async def act(self, inp: ActInput) -> ActResult:
        """Fire a trigger for a person; returns once its effects have run (the read model
        shows it, a parent is superseded) or a step parked. Deduplicated by update id."""
        try:
            checked = check_act(self._case, self._config, self._machine, inp, self._today())
        except CaseError as err:
            raise _rejected(err) from None
        self._fire(checked)
        self._replan = True
        automatic = AUTOMATIC if self._tracks() else (Trigger.apply_outcome,)
        for trigger in automatic:
            follow_up = CheckedAct(
                trigger=trigger, actor=ENGINE, payload=NoPayload(), ctx=checked.ctx
            )
            if self._machine.can(trigger, self._case, follow_up.payload, follow_up.ctx):
                self._fire(follow_up)
        if self._tracks() and checked.trigger is Trigger.certificate_lapsed:
            self._flag_overdue(checked.ctx.on)
        target = self._case.seq
        if workflow.patched(WAIT_FOR_ALL_EFFECTS):
            await workflow.wait_condition(
                lambda: self._settled_seq >= target or self._case.parked is not None
            )
        else:  # histories recorded before the patch answered after the projection only
            await workflow.wait_condition(
                lambda: self._projected_seq >= target or self._case.parked is not None
            )
        case = self._case
        return ActResult(
            case_id=case.case_id,
            state=case.state,
            label=STATE_LABELS[case.state],
            seq=case.seq,
            warnings=case.warnings,
            parked=case.parked,
            title=case.document.title,
            category=case.category,
        )

    @act.validator
    def _validate_act(self, inp: ActInput) -> None:
        try:
            check_act(self._case, self._config, self._machine, inp, self._today())
        except CaseError as err:
            raise _rejected(err) from None

    # -- an admin's repair of a parked step -----------------------------------------------

    @workflow.update
    async def admin_retry(self, inp: AdminInput) -> CaseSnapshot:
        """Run the parked step again. Idempotent per update id."""
        return await self._admin_command("retry", inp)

    @workflow.update
    async def admin_skip(self, inp: AdminInput) -> CaseSnapshot:
        """Drop the parked step, with a reason, and go on."""
        return await self._admin_command("skip", inp)

    @workflow.update
    async def admin_abort(self, inp: AdminInput) -> CaseSnapshot:
        """End the case (state aborted), with a reason."""
        return await self._admin_command("abort", inp)

    @admin_retry.validator
    def _validate_retry(self, inp: AdminInput) -> None:
        self._check_admin(inp)

    @admin_skip.validator
    def _validate_skip(self, inp: AdminInput) -> None:
        self._check_admin(inp)

    @admin_abort.validator
    def _validate_abort(self, inp: AdminInput) -> None:
        self._check_admin(inp)

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        """The case as it stands: state, label, allowed actions, history, parked step."""
        case = self._case
        deadline = next_deadline(case, self._config)
        allowed = [
            AllowedAction(
                trigger=rule.trigger,
                roles=list(rule.roles),
                dest=[
                    r.dest for r in RULES if r.trigger is rule.trigger and case.state in r.sources
                ],
            )
            for rule in {r.trigger: r for r in RULES if case.state in r.sources}.values()
            if rule.trigger not in AUTOMATIC and case.parked is None
        ]
        return CaseSnapshot(
            case_id=case.case_id,
            external_ref=case.external_ref,
            state=case.state,
            label=STATE_LABELS[case.state],
            category=case.category,
            document=case.document,
            fiscal_year=self._fiscal_year(),
            next_deadline=deadline[0] if deadline else None,
            next_deadline_what=deadline[1] if deadline else None,
            allowed=allowed,
            history=case.history,
            warnings=case.warnings,
            triage=case.triage,
            session=case.session,
            decision=case.decision,
            answer=case.answer,
            parked=case.parked,
            admin_log=case.admin_log,
            projected_seq=self._projected_seq,
            run_count=case.runs,
            conditions=case.conditions,
            obligations=case.obligations,
            review=case.review,
            next_review_on=case.next_review_on,
            business_today=self._today(),
            reminders_sent=self._rungs_sent,
            reminders_queued=len(case.outbox),
            verified=case.verified,
        )

    # -- internals -------------------------------------------------------------------------

    def _today(self) -> dt.date:
        policy = self._config.policy
        return business_today(
            workflow.now(), day_seconds=policy.day_seconds, epoch=self._case.clock_epoch
        )

    def _tracks(self) -> bool:
        """Whether this run tracks due dates (runs begun before the feature do not)."""
        if self._tracking is None:
            self._tracking = workflow.patched(TRACKING)
        return self._tracking

    # -- due dates, reminders, attention, re-review ------------------------------------

    def _schedule(self) -> dt.datetime | None:
        """Send what is due, flag what is overdue, open a re-review; the next wake-up."""
        case, policy = self._case, self._config.policy
        if case.state not in SCHEDULED_STATES:
            return None
        if policy.day_seconds is not None and case.clock_epoch is None:
            case.clock_epoch = ClockEpoch(at=workflow.now(), on=self._today())
        today = self._today()
        now = workflow.now()
        last = case.history[-1]
        recorded_on = business_today(
            last.at, day_seconds=policy.day_seconds, epoch=case.clock_epoch
        )
        if last.on < recorded_on and now < last.at + policy.backfill_grace:
            return last.at + policy.backfill_grace  # still being entered after the fact
        due = plan(case, self._config, now, today)
        case.outbox.extend(due.send)
        case.sent_rungs.extend([n.key for n in due.send] + due.skipped)
        self._rungs_sent += len(due.send)
        self._prune_rungs()
        if due.newly_overdue:
            mark_overdue(self._case, due.newly_overdue)
        self._flag_overdue(today)
        if (
            case.state is CaseState.active
            and case.next_review_on is not None
            and today >= case.next_review_on
        ):
            self._fire_engine(Trigger.open_review, NoPayload(), today)
        if due.newly_overdue:
            return self._schedule()  # flagged: plan again from the new state
        return due.wake_at

    def _flag_overdue(self, today: dt.date) -> None:
        """Anything overdue or lapsed moves an operating case to 要対応 (attention)."""
        overdue = self._case.overdue_items()
        if overdue and self._case.state in (CaseState.active, CaseState.conditions_pending):
            reason = Reason(reason=f"期限超過・失効: {', '.join(overdue)}")
            self._fire_engine(Trigger.flag_attention, reason, today)

    def _fire_engine(self, trigger: Trigger, payload: NoPayload | Reason, today: dt.date) -> None:
        act = CheckedAct(
            trigger=trigger,
            actor=ENGINE,
            payload=payload,
            ctx=GuardContext(config=self._config, on=max(today, self._case.last_on)),
        )
        if self._machine.can(trigger, self._case, act.payload, act.ctx):
            self._fire(act)

    def _project_deadlines(self) -> None:
        """Keep the deadlines read model (and the department calendars) current."""
        case = self._case
        rows = deadline_rows(case) if case.state in SCHEDULED_STATES else []
        shown = [(r.key, r.what, r.due_on.isoformat()) for r in rows]
        if shown == case.deadlines_shown:
            return
        case.deadlines_shown = shown
        self._effects.append(
            Effect(
                step="project_deadlines",
                seq=case.seq,
                deadlines=ProjectDeadlinesInput(
                    case_id=case.case_id,
                    department=case.document.department,
                    case_number=case_number(case),
                    title=case.document.title,
                    rows=rows,
                ),
            )
        )

    def _prune_rungs(self) -> None:
        live = tuple(f"{self._case.case_id}:{item.key}:" for item in due_items(self._case))
        self._case.sent_rungs = [k for k in self._case.sent_rungs if k.startswith(live)]

    def _fiscal_year(self) -> int:
        return fiscal_year(self._case.history[0].on)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() > self._config.policy.history_event_limit
            or info.is_continue_as_new_suggested()
        )

    def _fire(self, act: CheckedAct) -> None:
        dest = self._machine.fire(act.trigger, self._case, act.payload, act.ctx)
        record = apply_act(self._case, act, dest, workflow.now())
        self._effects.append(self._projection_effect(record))
        if act.trigger is Trigger.issue_answer and workflow.patched(ANSWER_DOCUMENT):
            self._effects.append(
                Effect(
                    step="generate_document",
                    seq=record.seq,
                    document=GenerateDocumentInput(
                        doc_type=DocType.toshinsho, case=CaseSource.of(self._case)
                    ),
                )
            )
        if (
            act.trigger is Trigger.apply_outcome
            and dest in (CaseState.active, CaseState.conditions_pending)
            and self._case.document.parent_case
        ):
            self._effects.append(
                Effect(
                    step="supersede_case",
                    seq=record.seq,
                    supersede=SupersedeInput(
                        parent_case=self._case.document.parent_case,
                        change_case=self._case.case_id,
                        on=record.on,
                    ),
                )
            )
        self._upsert_search_attributes()

    def _summary(self) -> CaseSummary:
        case = self._case
        deadline = next_deadline(case, self._config)
        return CaseSummary(
            case_id=case.case_id,
            external_ref=case.external_ref,
            title=case.document.title,
            kind=case.document.kind,
            category=case.category,
            department=case.document.department,
            state=case.state,
            fiscal_year=self._fiscal_year(),
            seq=case.seq,
            next_deadline=deadline[0] if deadline else None,
            next_deadline_what=deadline[1] if deadline else None,
            parent_case=case.document.parent_case,
        )

    def _projection_effect(self, record: TransitionRecord) -> Effect:
        return Effect(
            step="project_transition",
            seq=record.seq,
            projection=ProjectTransitionInput(summary=self._summary(), transition=record),
        )

    def _upsert_search_attributes(self) -> None:
        case = self._case
        deadline = next_deadline(case, self._config)
        workflow.upsert_search_attributes(
            [
                CASE_STATE.value_set(case.state.value),
                DEPARTMENT.value_set(case.document.department),
                CASE_KIND.value_set(case.document.kind.value),
                FISCAL_YEAR.value_set(self._fiscal_year()),
                NEXT_DEADLINE.value_set(dt.datetime.combine(deadline[0], dt.time(), JST))
                if deadline
                else NEXT_DEADLINE.value_unset(),
                PARKED_STEP.value_set(case.parked.step)
                if case.parked
                else PARKED_STEP.value_unset(),
            ]
        )

    async def _run_effect(self, effect: Effect) -> None:
        attempts = 0
        while True:
            try:
                warning = await execute(effect, self._config.policy)
            # a failed local activity surfaces as its own ApplicationError, not ActivityError
            except (ActivityError, ApplicationError, TemporalTimeoutError) as err:
                attempts += self._config.policy.step_attempts
                if not await self._park(effect, err, attempts):
                    return
                continue
            if effect.projection is not None:
                self._projected_seq = max(self._projected_seq, effect.seq)
            if warning is not None:
                self._case.warnings.append(
                    CaseWarning(code="parent_not_superseded", message=warning, seq=effect.seq)
                )
            return

    async def _park(self, effect: Effect, err: Exception, attempts: int) -> bool:
        """Park the failed step until an admin decides; True means run it again."""
        cause = getattr(err, "cause", None) or err
        self._case.parked = ParkedStep(
            step=effect.step,
            seq=effect.seq,
            error=str(cause)[:500],
            attempts=attempts,
            since=workflow.now(),
        )
        self._upsert_search_attributes()
        workflow.logger.warning(
            "case %s parked step %s (seq %s)", self._case.case_id, effect.step, effect.seq
        )
        await workflow.wait_condition(lambda: self._admin is not None)
        assert self._admin is not None
        command, self._admin = self._admin, None
        self._case.parked = None
        self._case.admin_log.append(
            AdminAction(
                action=command.action,
                step=effect.step,
                seq=effect.seq,
                actor=command.request.actor,
                reason=command.request.reason,
                at=workflow.now(),
            )
        )
        if command.action == "abort":
            self._abort(command.request)
        self._upsert_search_attributes()
        return command.action == "retry"

    def _abort(self, request: AdminInput) -> None:
        self._case.seq += 1
        self._case.history.append(
            TransitionRecord(
                seq=self._case.seq,
                trigger=None,
                source=self._case.state,
                dest=CaseState.aborted,
                actor=request.actor,
                at=workflow.now(),
                on=max(self._today(), self._case.last_on),
                reason=request.reason,
            )
        )
        self._case.state = CaseState.aborted
        self._effects.clear()
        self._effects.append(self._projection_effect(self._case.history[-1]))

    def _check_admin(self, inp: AdminInput) -> None:
        if self._case.parked is None:
            raise _rejected(NoParkedStep(f"case {self._case.case_id} has no parked step"))
        if inp.actor.role is not Role.admin:
            raise ApplicationError(
                f"admin actions are done by admin, not {inp.actor.role}",
                type="RoleNotAllowed",
                non_retryable=True,
            )

    async def _admin_command(
        self, action: Literal["retry", "skip", "abort"], inp: AdminInput
    ) -> CaseSnapshot:
        self._admin = _AdminCommand(action=action, request=inp)
        await workflow.wait_condition(lambda: self._admin is None)
        await workflow.wait_condition(
            lambda: self._case.parked is not None or not (self._effects or self._running)
        )
        return self.snapshot()
