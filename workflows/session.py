"""SessionWorkflow: one council session (第N回), from notice to published minutes.

It drives the cases on its agenda through their own updates (activity ``act_on_case``), so
each case keeps enforcing its lifecycle; the session adds what belongs to the meeting:
attendance and quorum, Q&A, votes, carry-over, answers and minutes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.agenda import AgendaActivities
    from activities.documents import DocumentActivities
    from activities.links import SessionLinkActivities
    from activities.reminders import ReminderActivities
    from models import session as s
    from models import session_checks as sc
    from models.case import ActInput
    from models.council import QuorumRule
    from models.documents.spec import DocType, GenerateDocumentInput, SessionSource
    from models.errors import CaseError, GuardFailed, InvalidPayload
    from models.payloads import SessionRef
    from models.projection import CarryRequest, CaseActRequest, NumberRequest, ReminderInput
    from models.states import Role

JST = dt.timezone(dt.timedelta(hours=9))
TIMEOUT = dt.timedelta(seconds=30)
RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=1), maximum_interval=dt.timedelta(seconds=30)
)
# Patches (workflow.patched): never remove one while histories that predate it may replay.
MINUTES_DOCUMENTS = "minutes-approved-generates-kaigiroku"
DOCUMENT_TIMEOUT = dt.timedelta(seconds=120)
DOCUMENT_RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=1),
    maximum_interval=dt.timedelta(seconds=10),
    maximum_attempts=3,
)
FINAL = (
    s.ItemStatus.answered,
    s.ItemStatus.continued,
    s.ItemStatus.noted,
    s.ItemStatus.converted,
    s.ItemStatus.carried_over,
)


def _rejected(err: CaseError) -> ApplicationError:
    return ApplicationError(err.message, type=err.error_type.value, non_retryable=True)


@workflow.defn
class SessionWorkflow:
    """One session of a council; every act of the secretariat, chair or council is an update."""

    @workflow.init
    def __init__(self, inp: s.SessionInput) -> None:
        self._closures = inp.closures
        self._s = inp.record or s.SessionRecord(plan=inp.plan, council=inp.council)
        self._lock = asyncio.Lock()
        self._changed = False

    @workflow.run
    async def run(self, inp: s.SessionInput) -> str:
        """Remind the secretariat of overdue notice, materials and minutes; end when done."""
        while not self._finished():
            due = self._next_reminder()
            timeout = None
            if due is not None:
                timeout = max(0.0, (due[0] - workflow.now()).total_seconds())
            with contextlib.suppress(TimeoutError):  # the reminder is due
                await workflow.wait_condition(
                    lambda: self._finished() or self._changed, timeout=timeout
                )
            self._changed = False
            due = self._next_reminder()
            if due is not None and due[0] <= workflow.now():
                await workflow.execute_activity_method(
                    ReminderActivities.remind_secretariat,
                    ReminderInput(session_id=self._s.plan.session_id, what=due[1], due=due[2]),
                    start_to_close_timeout=TIMEOUT,
                    retry_policy=RETRY,
                )
                self._s.reminders.append(due[1])
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._s.state.value

    # -- agenda ---------------------------------------------------------------------------

    @workflow.update
    async def add_items(self, inp: s.AddItems) -> s.SessionAck:
        """Put cases in `ready` on the agenda (each case is scheduled for this session); with
        all_ready, every case the read model shows waiting in `ready`."""
        async with self._lock:
            self._check(sc.check_add, inp)
            refused: list[str] = []
            case_ids = inp.case_ids
            if inp.all_ready:
                ready = await workflow.execute_activity_method(
                    AgendaActivities.ready_cases,
                    start_to_close_timeout=TIMEOUT,
                    retry_policy=RETRY,
                )
                case_ids = [c for c in ready if self._s.item(c) is None]
            for case_id in case_ids:
                outcome = await self._act(case_id, "schedule", {"session": self._s.ref}, inp)
                if not outcome.accepted:
                    refused.append(f"{case_id}: {outcome.error_type}: {outcome.message}")
                    continue
                self._s.items.append(
                    s.AgendaItem(
                        case_id=case_id,
                        title=outcome.title or case_id,
                        category=outcome.category or "consultation",
                    )
                )
                self._warn_from(case_id, outcome.warnings)
            for line in refused:
                self._s.warnings.append(s.SessionWarning(code="not_scheduled", message=line))
            return self._done()

    @add_items.validator
    def _v_add(self, inp: s.AddItems) -> None:
        self._check(sc.check_add, inp)

    @workflow.update
    async def receive_item(self, inp: s.CarryIn) -> None:
        """A case continued or carried over from another session joins this agenda."""
        if self._s.item(inp.case_id) is None:
            self._s.items.append(
                s.AgendaItem(
                    case_id=inp.case_id,
                    title=inp.title,
                    category=inp.category,
                    carried_from=inp.from_session,
                )
            )
            self._changed = True

    @receive_item.validator
    def _v_receive(self, inp: s.CarryIn) -> None:
        self._check(sc.check_receive, inp)

    # -- before the session ----------------------------------------------------------------

    @workflow.update
    async def send_notice(self, inp: s.SessionAct) -> s.SessionAck:
        """The convocation notice (開催通知) went out to the members."""
        async with self._lock:
            self._check(sc.check_notice, inp)
            on = self._on(inp)
            self._s.notice_sent_on = on
            due = self._notice_due()
            if on > due:
                self._warn("notice_late", f"notice sent {on}, due {due}")
            self._s.state = s.SessionState.notice_sent
            return self._done()

    @send_notice.validator
    def _v_notice(self, inp: s.SessionAct) -> None:
        self._check(sc.check_notice, inp)

    @workflow.update
    async def send_materials(self, inp: s.SessionAct) -> s.SessionAck:
        """Materials went to the members; every case on the agenda records it."""
        async with self._lock:
            self._check(sc.check_materials, inp)
            on = self._on(inp)
            due = self._materials_due()
            late = f"資料送付が遅延 (期限 {due})" if on > due else None
            # one case at a time: parallel updates stalled on the dev server (about 20 s)
            for item in self._s.items:
                outcome = await self._act(
                    item.case_id, "send_materials", {"late_reason": late}, inp
                )
                if not outcome.accepted:
                    self._warn("case_not_updated", f"{item.case_id}: {outcome.message}")
            self._s.materials_sent_on = on
            if late:
                self._warn("materials_late", late)
            self._s.state = s.SessionState.materials_sent
            return self._done()

    @send_materials.validator
    def _v_materials(self, inp: s.SessionAct) -> None:
        self._check(sc.check_materials, inp)

    # -- the session -----------------------------------------------------------------------

    @workflow.update
    async def open_session(self, inp: s.OpenSession) -> s.SessionAck:
        """Record attendance; the session opens if quorate, otherwise it fails (流会)."""
        async with self._lock:
            self._check(sc.check_open, inp)
            self._s.attendance = inp.attendance
            present = self._s.council.voting_present(inp.attendance.present)
            if self._s.council.quorate(present):
                self._s.state = s.SessionState.opened
            else:
                self._s.state = s.SessionState.failed_quorum
                self._warn(
                    "failed_quorum",
                    f"{present} of {self._s.council.seats} present: no quorum; carry the "
                    "agenda over to the next session",
                )
            return self._done()

    @open_session.validator
    def _v_open(self, inp: s.OpenSession) -> None:
        self._check(sc.check_open, inp)

    @workflow.update
    async def carry_over(self, inp: s.CarryOver) -> s.SessionAck:
        """After a failed quorum: every item goes back to `scheduled` for the next session."""
        async with self._lock:
            self._check(sc.check_carry, inp)
            await self._check_next_session(inp.next_session)
            payload = {"reason": inp.reason, "next_session": inp.next_session}
            for item in self._s.items:
                if item.status is not s.ItemStatus.on_agenda:
                    continue
                outcome = await self._act(item.case_id, "reschedule", payload, inp)
                if not outcome.accepted:
                    self._warn("case_not_updated", f"{item.case_id}: {outcome.message}")
                    continue
                await self._carry(item, inp.next_session)
                item.status = s.ItemStatus.carried_over
                item.next_session = inp.next_session.session_id
                self._warn_from(item.case_id, outcome.warnings)
            return self._done()

    @carry_over.validator
    def _v_carry(self, inp: s.CarryOver) -> None:
        self._check(sc.check_carry, inp)

    @workflow.update
    async def open_item(self, inp: s.ItemAct) -> s.SessionAck:
        """The chair opens deliberation of one item."""
        async with self._lock:
            item = self._check(sc.check_open_item, inp)
            assert self._s.attendance is not None
            payload = {
                "seats": self._s.council.seats,
                "present": self._s.council.voting_present(self._s.attendance.present),
                "half_is_quorum": self._s.council.quorum is QuorumRule.half_of_seats,
            }
            self._require(await self._act(item.case_id, "open_deliberation", payload, inp))
            item.status = s.ItemStatus.deliberating
            return self._done()

    @open_item.validator
    def _v_open_item(self, inp: s.ItemAct) -> None:
        self._check(sc.check_open_item, inp)

    @workflow.update
    async def record_qa(self, inp: s.RecordQA) -> s.SessionAck:
        """A question and its answer in the deliberation of an item (for the minutes)."""
        async with self._lock:
            item = self._check(sc.check_qa, inp)
            item.qa.append(inp.qa)
            return self._done()

    @record_qa.validator
    def _v_qa(self, inp: s.RecordQA) -> None:
        self._check(sc.check_qa, inp)

    @workflow.update
    async def decide_item(self, inp: s.DecideItem) -> s.SessionAck:
        """The council's decision on an item, with its votes."""
        async with self._lock:
            item = self._check(sc.check_decide, inp)
            trigger, payload, status = sc.case_act_for(inp)
            if inp.next_session is not None:
                await self._check_next_session(inp.next_session)
            self._require(await self._act(item.case_id, trigger, payload, inp))
            item.outcome = inp.outcome
            item.votes = inp.votes
            item.conditions = inp.conditions
            item.opinions = inp.opinions
            item.action_items = inp.action_items
            item.summary = inp.summary or inp.reason
            item.status = status
            if inp.outcome is s.ItemOutcome.continue_:
                assert inp.next_session is not None
                await self._carry(item, inp.next_session)
                item.next_session = inp.next_session.session_id
            return self._done()

    @decide_item.validator
    def _v_decide(self, inp: s.DecideItem) -> None:
        self._check(sc.check_decide, inp)

    @workflow.update
    async def issue_answer(self, inp: s.IssueAnswer) -> s.SessionAck:
        """Number, date and issue the answer (答申) drafted from the decision."""
        async with self._lock:
            item = self._check(sc.check_answer, inp)
            number = await workflow.execute_activity_method(
                SessionLinkActivities.take_answer_number,
                NumberRequest(
                    council_id=self._s.council.council_id,
                    case_id=item.case_id,
                    fiscal_year=self._s.plan.fiscal_year,
                ),
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
            )
            payload = {
                "number": number,
                "approved_by": inp.approved_by,
                "conclusion": inp.conclusion,
            }
            # the 答申書 shows the explanation summary and the reasons (older cases lack them)
            if inp.explanation_summary:
                payload["explanation_summary"] = inp.explanation_summary
            if inp.reasons:
                payload["reasons"] = inp.reasons
            self._require(await self._act(item.case_id, "issue_answer", payload, inp))
            item.answer = s.AnswerDraft(
                number=number,
                conclusion=inp.conclusion,
                explanation_summary=inp.explanation_summary,
                reasons=inp.reasons,
                conditions=item.conditions,
                opinions=item.opinions,
                approved_by=inp.approved_by,
                issued_on=self._on(inp),
            )
            item.status = s.ItemStatus.answered
            return self._done()

    @issue_answer.validator
    def _v_answer(self, inp: s.IssueAnswer) -> None:
        self._check(sc.check_answer, inp)

    @workflow.update
    async def close_session(self, inp: s.SessionAct) -> s.SessionAck:
        """Close the session; the minutes (会議録) are now drafted and due for publication."""
        async with self._lock:
            self._check(sc.check_close, inp)
            on = self._on(inp)
            self._s.state = s.SessionState.closed
            self._s.closed_on = on
            self._s.minutes = s.MinutesState.drafting
            due = on + dt.timedelta(days=self._s.council.minutes_due_days)
            self._s.minutes_due = self._closures.next_business_day(due)
            return self._done()

    @close_session.validator
    def _v_close(self, inp: s.SessionAct) -> None:
        self._check(sc.check_close, inp)

    # -- minutes ---------------------------------------------------------------------------

    @workflow.update
    async def redact(self, inp: s.Redact) -> s.SessionAck:
        """Leave a passage out of the public minutes, with its legal basis."""
        self._check(sc.check_redact, inp)
        self._s.redactions.append(inp.redaction)
        return self._done()

    @redact.validator
    def _v_redact(self, inp: s.Redact) -> None:
        self._check(sc.check_redact, inp)

    @workflow.update
    async def approve_minutes(self, inp: s.SessionAct) -> s.SessionAck:
        """The chair approves the minutes."""
        self._check(sc.check_approve_minutes, inp)
        self._s.minutes = s.MinutesState.approved
        if workflow.patched(MINUTES_DOCUMENTS):
            await self._generate([DocType.kaigiroku, DocType.kaigiroku_public])
        return self._done()

    @approve_minutes.validator
    def _v_approve_minutes(self, inp: s.SessionAct) -> None:
        self._check(sc.check_approve_minutes, inp)

    @workflow.update
    async def publish_minutes(self, inp: s.SessionAct) -> s.SessionAck:
        """Publish the (redacted) minutes."""
        self._check(sc.check_publish, inp)
        on = self._on(inp)
        if self._s.minutes_due is not None and on > self._s.minutes_due:
            self._warn("minutes_late", f"minutes published {on}, due {self._s.minutes_due}")
        self._s.minutes = s.MinutesState.published
        return self._done()

    @publish_minutes.validator
    def _v_publish(self, inp: s.SessionAct) -> None:
        self._check(sc.check_publish, inp)

    @workflow.update
    async def retry_documents(self, inp: s.SessionAct) -> s.SessionAck:
        """Generate again the documents that failed (after the template was fixed)."""
        self._check(sc.check_retry_documents, inp)
        failed = [DocType(f.doc_type) for f in self._s.document_failures]
        self._s.document_failures = []
        await self._generate(failed)
        return self._done()

    @retry_documents.validator
    def _v_retry_documents(self, inp: s.SessionAct) -> None:
        self._check(sc.check_retry_documents, inp)

    @workflow.update
    def replace_closures(self, inp: s.ReplaceClosures) -> s.SessionAck:
        """Use a new calendar table; reminders are re-planned from it."""
        self._check(sc.check_replace_closures, inp)
        self._closures = inp.closures
        return self._done()

    @replace_closures.validator
    def _v_replace(self, inp: s.ReplaceClosures) -> None:
        self._check(sc.check_replace_closures, inp)

    @workflow.query
    def record(self) -> s.SessionRecord:
        """Everything the session recorded (the minutes are built from it)."""
        return self._s

    @workflow.query
    def snapshot(self) -> s.SessionSnapshot:
        """The session as it stands."""
        r = self._s
        present = r.council.voting_present(r.attendance.present) if r.attendance else 0
        quorum = (
            f"{present} of {r.council.seats} present: "
            f"{'quorate' if r.council.quorate(present) else 'not quorate'}"
            if r.attendance
            else "attendance not yet recorded"
        )
        return s.SessionSnapshot(
            session_id=r.plan.session_id,
            council=r.council.name,
            plan=r.plan,
            state=r.state,
            items=r.items,
            attendance=r.attendance,
            quorum=quorum,
            notice_due=self._notice_due(),
            materials_due=self._materials_due(),
            notice_sent_on=r.notice_sent_on,
            materials_sent_on=r.materials_sent_on,
            minutes=r.minutes,
            minutes_due=r.minutes_due,
            redactions=r.redactions,
            reminders=r.reminders,
            warnings=r.warnings,
            document_failures=r.document_failures,
        )

    # -- internals -------------------------------------------------------------------------

    def _check(self, check: Callable[[s.SessionRecord, Any, dt.date], Any], inp: Any) -> Any:
        try:
            return check(self._s, inp, self._today())
        except CaseError as err:
            raise _rejected(err) from None
        except ValueError as err:  # calendar range
            raise _rejected(GuardFailed(str(err))) from None

    def _done(self) -> s.SessionAck:
        """A small answer: every update's answer stays in the history (query the snapshot)."""
        self._changed = True
        return s.SessionAck(
            session_id=self._s.plan.session_id,
            state=self._s.state,
            warnings=len(self._s.warnings),
        )

    def _today(self) -> dt.date:
        return workflow.now().astimezone(JST).date()

    def _on(self, inp: s.SessionAct) -> dt.date:
        return sc.act_date(inp, self._today())

    def _notice_due(self) -> dt.date:
        return self._due(self._s.council.notice_lead_business_days)

    def _materials_due(self) -> dt.date:
        return self._due(self._s.council.materials_lead_business_days)

    def _due(self, days: int) -> dt.date:
        held = self._s.plan.held_on
        return self._closures.due_date(held, days) if days else held

    def _next_reminder(self) -> tuple[dt.datetime, str, dt.date] | None:
        """The next overdue reminder: (when, what, due date), or None."""
        r = self._s
        candidates: list[tuple[str, dt.date]] = []
        if r.state is s.SessionState.planned:
            candidates.append(("notice", self._notice_due()))
        if r.state in (s.SessionState.planned, s.SessionState.notice_sent):
            candidates.append(("materials", self._materials_due()))
        if r.minutes in (s.MinutesState.drafting, s.MinutesState.approved) and r.minutes_due:
            candidates.append(("minutes", r.minutes_due))
        pending = [(what, due) for what, due in candidates if what not in r.reminders]
        if not pending:
            return None
        what, due = min(pending, key=lambda p: p[1])
        overdue_at = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), JST)
        return overdue_at, what, due

    def _finished(self) -> bool:
        r = self._s
        if r.state is s.SessionState.failed_quorum:
            return all(i.status in FINAL for i in r.items)
        return (
            r.state is s.SessionState.closed
            and r.minutes is s.MinutesState.published
            and all(i.status in FINAL for i in r.items)
            and not r.document_failures  # stays open for `retry_documents`
        )

    async def _generate(self, doc_types: list[DocType]) -> None:
        """Generate session documents (DOCX and PDF); a failure is recorded on the session
        (snapshot `document_failures`, a warning) for the secretariat to retry."""
        source = SessionSource(record=self._s.model_copy(deep=True))
        for doc_type in doc_types:
            try:
                await workflow.execute_activity_method(
                    DocumentActivities.generate_document,
                    GenerateDocumentInput(doc_type=doc_type, session=source),
                    start_to_close_timeout=DOCUMENT_TIMEOUT,
                    retry_policy=DOCUMENT_RETRY,
                )
            except ActivityError as err:
                cause = err.cause or err
                message = getattr(cause, "message", None) or str(cause)
                self._s.document_failures.append(
                    s.DocumentFailure(doc_type=doc_type.value, error=message, at=workflow.now())
                )
                self._warn("document_failed", f"{doc_type.value}: {message}"[:500])

    def _warn(self, code: str, message: str) -> None:
        self._s.warnings.append(s.SessionWarning(code=code, message=message))

    def _warn_from(self, case_id: str, messages: list[str]) -> None:
        for message in messages:
            if message.startswith("事後諮問"):
                self._warn("ex_post", f"{case_id}: {message}")

    async def _act(
        self, case_id: str, trigger: str, payload: dict[str, Any], inp: s.SessionAct
    ) -> Any:
        act = ActInput.model_validate(
            {
                "trigger": trigger,
                "actor": _case_actor(trigger, inp),
                "payload": payload,
                "on": inp.on,
            }
        )
        return await workflow.execute_activity_method(
            SessionLinkActivities.act_on_case,
            CaseActRequest(
                case_id=case_id,
                act=act,
                request_id=f"{self._s.plan.session_id}-{trigger}-{case_id}-{workflow.uuid4().hex[:8]}",
            ),
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )

    def _require(self, outcome: Any) -> None:
        if not outcome.accepted:
            raise ApplicationError(
                outcome.message or "the case refused", type=outcome.error_type, non_retryable=True
            )

    async def _check_next_session(self, ref: SessionRef) -> None:
        """Before a case moves on: the next session exists, is this council's, takes items."""
        info = await workflow.execute_activity_method(
            SessionLinkActivities.describe_session,
            ref.session_id,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        problem: CaseError | None = None
        if not info.found:
            problem = InvalidPayload(f"next_session: session {ref.session_id} does not exist")
        elif info.council_id != self._s.council.council_id:
            problem = InvalidPayload(f"next_session: {ref.session_id} is another council's")
        elif info.state not in (s.SessionState.planned, s.SessionState.notice_sent):
            problem = GuardFailed(f"next_session: {ref.session_id} is {info.state}")
        if problem is not None:
            raise _rejected(problem)

    async def _carry(self, item: s.AgendaItem, ref: SessionRef) -> None:
        await workflow.execute_activity_method(
            SessionLinkActivities.carry_into_session,
            CarryRequest(
                session_id=ref.session_id,
                item=s.CarryIn(
                    case_id=item.case_id,
                    title=item.title,
                    category=item.category,
                    from_session=self._s.plan.session_id,
                ),
            ),
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )


_CASE_ROLE = {
    "schedule": Role.secretariat,
    "send_materials": Role.secretariat,
    "reschedule": Role.secretariat,
    "open_deliberation": Role.chair,
    "issue_answer": Role.chair,
}


def _case_actor(trigger: str, inp: s.SessionAct) -> dict[str, str]:
    """The case-level actor for a session act: the council acts as council, the chair as chair."""
    role = _CASE_ROLE.get(trigger, Role.council)
    return {"role": role.value, "name": inp.actor.name}
