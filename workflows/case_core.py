"""The state CaseWorkflow holds and the one way it changes: firing a checked act through the
Machine and owing the steps that follow (workflows/case.py). Deterministic workflow code."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.archive import ArchiveCaseInput
    from models.calendar.clock import business_today
    from models.case.acts import apply_act
    from models.case.checks import CheckedAct
    from models.case.deadlines import next_deadline
    from models.case.lifecycle import CaseMachine
    from models.case.record import (
        AdminInput,
        CaseConfig,
        CaseRecord,
        CaseSnapshot,
        TransitionRecord,
    )
    from models.case.states import CaseState, Trigger
    from models.case.views import case_fiscal_year, case_snapshot, case_summary
    from models.documents.spec import CaseSource, DocType, GenerateDocumentInput
    from models.precedents import PrecedentEntry, answer_entry
    from models.projection import (
        CaseResetInput,
        ProjectDeadlinesInput,
        ProjectTransitionInput,
        SupersedeInput,
    )
    from models.search_attributes import (
        CASE_KIND,
        CASE_STATE,
        DEPARTMENT,
        FISCAL_YEAR,
        NEXT_DEADLINE,
        PARKED_STEP,
    )

JST = dt.timezone(dt.timedelta(hours=9))
# Patches (workflow.patched): never remove one while histories that predate it may replay.
TRACKING = "conditions-obligations-reminders"
ANSWER_DOCUMENT = "answer-issued-generates-toshinsho"


StepName = Literal[
    "project_transition",
    "supersede_case",
    "project_deadlines",
    "generate_document",
    "archive_case",
    "repair_after_reset",
]


@dataclass
class Effect:
    """A step the case owes after a transition; exactly one input is set."""

    step: StepName
    seq: int
    projection: ProjectTransitionInput | None = None
    supersede: SupersedeInput | None = None
    deadlines: ProjectDeadlinesInput | None = None
    document: GenerateDocumentInput | None = None
    archive: ArchiveCaseInput | None = None
    reset: CaseResetInput | None = None


@dataclass
class AdminCommand:
    action: Literal["retry", "skip", "abort"]
    request: AdminInput


class CaseCore:
    """The workflow's state, and firing an act: record it, owe its steps, show it."""

    _case: CaseRecord
    _config: CaseConfig
    _machine: CaseMachine
    _effects: list[Effect]
    _projected_seq: int
    _settled_seq: int  # every effect up to here has run (or was skipped)
    _running: bool
    _admin: AdminCommand | None
    _tracking: bool | None  # decided once per run (workflow.patched)
    _replan: bool  # an act changed what is due: plan the timers again
    _rungs_sent: int
    _sender: asyncio.Task[None] | None
    _resending: bool  # an admin's retry of a parked reminder is being sent
    _reset_watch: asyncio.Task[None]

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

    def _snapshot(self) -> CaseSnapshot:
        return case_snapshot(
            self._case,
            self._config,
            projected_seq=self._projected_seq,
            today=self._today(),
            reminders_sent=self._rungs_sent,
        )

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() > self._config.policy.history_event_limit
            or info.is_continue_as_new_suggested()
        )

    def _fire(self, act: CheckedAct) -> None:
        """Fire a checked act through the Machine, record it, and owe the steps it brings."""
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

    def _projection_effect(self, record: TransitionRecord) -> Effect:
        return Effect(
            step="project_transition",
            seq=record.seq,
            projection=ProjectTransitionInput(
                summary=case_summary(self._case, self._config),
                transition=record,
                precedent=self._precedent() if record.trigger is Trigger.issue_answer else None,
            ),
        )

    def _precedent(self) -> PrecedentEntry | None:
        """The issued answer's public passages for the precedents index."""
        case = self._case
        if case.answer is None:
            return None
        return answer_entry(
            case_id=case.case_id,
            title=case.document.title,
            department=case.document.department,
            kind=case.document.kind.value,
            fiscal_year=case_fiscal_year(case),
            decision=case.decision,
            answer=case.answer,
        )

    def _upsert_search_attributes(self) -> None:
        case = self._case
        deadline = next_deadline(case, self._config)
        workflow.upsert_search_attributes(
            [
                CASE_STATE.value_set(case.state.value),
                DEPARTMENT.value_set(case.document.department),
                CASE_KIND.value_set(case.document.kind.value),
                FISCAL_YEAR.value_set(case_fiscal_year(case)),
                NEXT_DEADLINE.value_set(dt.datetime.combine(deadline[0], dt.time(), JST))
                if deadline
                else NEXT_DEADLINE.value_unset(),
                PARKED_STEP.value_set(case.parked.step)
                if case.parked
                else PARKED_STEP.value_unset(),
            ]
        )
