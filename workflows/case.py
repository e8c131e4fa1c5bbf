"""CaseWorkflow: one durable workflow per case, enforcing the lifecycle table.

Its parts: the state and firing an act (case_core), running and parking the steps an act
owes (case_steps), due dates and timers (case_schedule); the views are pure (models.case.views).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.archive import ArchiveCaseInput
    from models.case.checks import (
        check_abort,
        check_act,
        check_creator,
        check_supersede,
        engine_act,
    )
    from models.case.lifecycle import AUTOMATIC, TERMINAL, CaseMachine
    from models.case.payloads import NoPayload
    from models.case.record import (
        ActInput,
        Actor,
        ActResult,
        AdminInput,
        CaseInput,
        CaseRecord,
        CaseResult,
        CaseSnapshot,
        ResetMark,
        TransitionRecord,
    )
    from models.case.states import CaseState, Trigger
    from models.case.views import case_summary
    from models.errors import CaseError, InvalidTransition
    from models.labels import STATE_LABELS
    from models.projection import CaseResetInput, SupersedeInput

from workflows.case_core import JST, Effect
from workflows.case_schedule import CaseSchedule
from workflows.case_steps import CaseSteps, describe_change_case, rejected
from workflows.resets import ResetSensor

# Patches (workflow.patched): never remove one while histories that predate it may replay.
# More in case_core (TRACKING, ANSWER_DOCUMENT) and case_steps (ABORT_BY_RULE).
WAIT_FOR_ALL_EFFECTS = "act-waits-for-all-effects"
QUIET_CONTINUE = "continue-as-new-after-a-quiet-task"
ARCHIVE_ENDED = "archive-the-ended-case"
QUIET_BEFORE_CONTINUE = dt.timedelta(seconds=1)


@workflow.defn
class CaseWorkflow(CaseSchedule, CaseSteps):
    """Holds one case from draft to its end, for years; every change is an update."""

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._config = inp.config
        self._projected_seq = inp.projected_seq
        self._effects = []
        self._admin = None
        self._running = False
        self._settled_seq = inp.projected_seq
        self._tracking = None
        self._replan = False
        self._rungs_sent = 0
        self._sender = None
        self._resending = False
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
        self._resets = ResetSensor(lambda: (self._case.seq, self._case.state))

    async def _note_resets(self) -> None:
        """Record each reset the case meets: a timeline entry at once, then its rows repaired
        and the reset audited before any later step (repair_after_reset)."""
        while True:
            for seq, state in await self._resets.met():
                mark = ResetMark(seq=seq, state=state, at=workflow.now())
                self._case.resets.append(mark)
                kept = [t for t in self._case.history if t.seq <= seq]
                repair = CaseResetInput(
                    summary=case_summary(self._case, self._config), history=kept, mark=mark
                )
                self._effects.insert(0, Effect("repair_after_reset", seq, reset=repair))

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseResult:
        """Run the effects of accepted acts until the case ends; continue-as-new when long."""
        self._resets.running()
        self._upsert_search_attributes()
        self._reset_watch = asyncio.create_task(self._note_resets())
        if self._tracks():
            self._sender = asyncio.create_task(self._send_notices())
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
                if workflow.patched(ARCHIVE_ENDED):
                    await self._archive()
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

    async def _archive(self) -> None:
        """The ended case's last step: its final snapshot and transition log into the
        archive (parked like any step when it keeps failing, so the workflow, and with it the
        record, is not left to the namespace's retention before it is archived)."""
        self._effects.append(
            Effect(
                step="archive_case",
                seq=self._case.seq,
                archive=ArchiveCaseInput(snapshot=self._snapshot()),
            )
        )
        await self._drain_effects()
        await workflow.wait_condition(workflow.all_handlers_finished)

    # -- the case's creation, answered in the same round trip as its start ---------------

    @workflow.update
    async def create(self, actor: Actor) -> CaseSnapshot:
        """The new case's first snapshot, once the read model shows it (or its projection
        parked). Sent with the start (update-with-start): creation is one round trip."""
        await workflow.wait_condition(
            lambda: self._projected_seq >= 0 or self._case.parked is not None
        )
        return self._snapshot()

    @create.validator
    def _validate_create(self, actor: Actor) -> None:
        """Only for the case just started, and only by the actor it was started for (the
        edge checked them before the start, so a refusal here leaves nothing behind)."""
        try:
            created = self._case.history[0]
            if self._case.seq != 0 or self._case.runs != 1:
                raise InvalidTransition(
                    f"case {self._case.case_id} exists already (in {self._case.state})"
                )
            if actor != created.actor:
                raise InvalidTransition(f"case {self._case.case_id} was started by another actor")
            check_creator(actor, self._case.document.department)
        except CaseError as err:
            raise rejected(err) from None

    # -- a person's act ---------------------------------------------------------------

    @workflow.update
    async def act(self, inp: ActInput) -> ActResult:
        """Fire a trigger for a person; returns once its effects have run (the read model
        shows it, a parent is superseded) or a step parked. Deduplicated by update id."""
        try:
            # The validator refused engine-only triggers; histories recorded before it did
            # replay such acts (``supersede`` from a change case) through here.
            checked = check_act(
                self._case,
                self._config,
                self._machine,
                inp,
                self._today(),
                allow_engine_only=True,
                verify_actor=False,
            )
        except CaseError as err:
            raise rejected(err) from None
        self._fire(checked)
        self._replan = True
        automatic = AUTOMATIC if self._tracks() else (Trigger.apply_outcome,)
        for trigger in automatic:
            follow_up = engine_act(
                self._case, self._config, self._machine, trigger, NoPayload(), checked.ctx.on
            )
            if follow_up is not None:
                self._fire(follow_up)
        if self._tracks() and checked.trigger is Trigger.certificate_lapsed:
            self._flag_overdue(checked.ctx.on)
        return await self._answer(self._case.seq)

    @act.validator
    def _validate_act(self, inp: ActInput) -> None:
        try:
            check_act(self._case, self._config, self._machine, inp, self._today())
        except CaseError as err:
            raise rejected(err) from None

    # -- the engine's supersession of this case by its change case ----------------------

    @workflow.update
    async def supersede_by_change(self, inp: SupersedeInput) -> ActResult:
        """End this case as superseded (変更済) by its change case, once an activity found that
        case answered with an approval and naming this case as its parent; a case that does
        not is refused. Deduplicated by update id (the change case's)."""
        change = await describe_change_case(inp.change_case, self._config.policy)
        try:
            checked = check_supersede(
                self._case, self._config, self._machine, inp, self._today(), change
            )
        except CaseError as err:
            raise rejected(err) from None
        self._fire(checked)
        self._replan = True
        return await self._answer(self._case.seq)

    @supersede_by_change.validator
    def _validate_supersede(self, inp: SupersedeInput) -> None:
        try:
            check_supersede(self._case, self._config, self._machine, inp, self._today())
        except CaseError as err:
            raise rejected(err) from None

    async def _answer(self, target: int) -> ActResult:
        """The act's answer, once the steps up to ``target`` have run or one parked."""
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
        """End the parked case (state aborted) by the rule ``abort``, with a reason."""
        return await self._admin_command("abort", inp)

    @admin_retry.validator
    def _validate_retry(self, inp: AdminInput) -> None:
        self._check_admin(inp)

    @admin_skip.validator
    def _validate_skip(self, inp: AdminInput) -> None:
        self._check_admin(inp)

    @admin_abort.validator
    def _validate_abort(self, inp: AdminInput) -> None:
        try:
            check_abort(self._case, self._config, self._machine, inp, self._today())
        except CaseError as err:
            raise rejected(err) from None

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        """The case as it stands: state, label, allowed actions, history, parked step."""
        return self._snapshot()
