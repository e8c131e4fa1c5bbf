"""SessionWorkflow: one council session (第N回), from notice to published minutes.

Every act is an update named after its row in THE session table
(models/session/lifecycle.py): the validator checks the row (``session_checks.check``), the
handler fires the row's case trigger on each item's case through the case's own update
(so each case keeps enforcing its lifecycle) and then applies the row to the record
(``session_checks.apply``). A case step that parks after its case accepted the trigger is
recorded on the item (``parked``; the answer waits as ``answer_pending``) until the
secretariat or the chair completes it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import models.session.checks as sc
    import models.session.record as s
    from models.documents.spec import DocType
    from models.errors import CaseError, GuardFailed
    from models.session.guards import SessionContext
    from models.session.lifecycle import Act
    from models.session.schedule import finished, session_today
    from models.session.view import build_snapshot
    from workflows import session_schedule as schedule
    from workflows import session_steps as steps

from workflows.resets import ResetSensor

# Patches (workflow.patched): never remove one while histories that predate it may replay.
MINUTES_DOCUMENTS = "minutes-approved-generates-kaigiroku"
PROJECT_SESSION = "session-projected-to-read-model"


@workflow.defn
class SessionWorkflow:
    """One session of a council; every act of the secretariat, chair or council is an update."""

    @workflow.init
    def __init__(self, inp: s.SessionInput) -> None:
        self._closures = inp.closures
        self._s = inp.record or s.SessionRecord(plan=inp.plan, council=inp.council)
        if inp.clock is not None and self._s.clock is None:
            self._s.clock = inp.clock
        self._lock = asyncio.Lock()
        self._changed = False
        self._resets = ResetSensor(lambda: (self._s.version, self._s.state))

    async def _note_resets(self) -> None:
        """Record each reset the session meets: in its record and warnings at once, then
        its rows rewritten and the reset audited (repair_session_after_reset)."""
        while True:
            for version, state in await self._resets.met():
                mark = s.SessionReset(version=version, state=state, at=workflow.now())
                self._s.resets.append(mark)
                sc.warn(self._s, "reset", f"reset to act {version} ({state.value}) at {mark.at}")
                repaired = await steps.repair_after_reset(self._s, mark)
                self._s.resets = [
                    m.model_copy(update={"rows_repaired": repaired}) if m == mark else m
                    for m in self._s.resets
                ]
                self._changed = True

    @workflow.run
    async def run(self, inp: s.SessionInput) -> str:
        """Remind the secretariat of overdue notice, materials and minutes; end when done."""
        self._resets.running()
        self._reset_watch = asyncio.create_task(self._note_resets())
        await self._project()  # the planned session is listed at once
        while not finished(self._s):
            await schedule.wait_for_due_or_change(self._s, self._closures, lambda: self._changed)
            self._changed = False
            await schedule.remind_if_due(self._s, self._closures)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._s.state.value

    # -- agenda ---------------------------------------------------------------------------

    @workflow.update
    async def add_items(self, inp: s.AddItems) -> s.SessionAck:
        """Put cases in `ready` on the agenda (each case is scheduled for this session); with
        all_ready, every case the read model shows waiting in `ready`."""
        async with self._lock:
            checked = self._check(Act.add_items, inp)
            refused: list[str] = []
            case_ids = inp.case_ids
            if inp.all_ready:
                case_ids = [c for c in await steps.ready_cases() if self._s.item(c) is None]
            payload = sc.case_payload(self._s, checked, inp)
            for case_id in case_ids:
                outcome = await steps.fire(self._s, checked, case_id, payload, inp)
                if outcome is None:
                    continue
                if not outcome.accepted:
                    if not steps.parked(outcome):
                        refused.append(f"{case_id}: {outcome.error_type}: {outcome.message}")
                        continue
                    sc.warn(self._s, "case_step_parked", f"{case_id}: {outcome.message}")
                sc.add_item(self._s, case_id, outcome.title or case_id, outcome.category)
                sc.warn_ex_post(self._s, case_id, outcome.warnings)
            for line in refused:
                sc.warn(self._s, "not_scheduled", line)
            return await self._apply(checked, inp)

    @add_items.validator
    def _v_add(self, inp: s.AddItems) -> None:
        self._check(Act.add_items, inp, verify_actor=True)

    @workflow.update
    async def remove_item(self, inp: s.RemoveItem) -> s.SessionAck:
        """Take a case off the agenda before the materials go out (its case goes back to
        ready, the reason in its history). A refusal by the case fails the act."""
        async with self._lock:
            checked = self._check(Act.remove_item, inp)
            payload = sc.case_payload(self._s, checked, inp)
            parked = await steps.fire_item(self._s, checked, inp.case_id, payload, inp)
            return await self._apply(checked, inp, parked=parked)

    @remove_item.validator
    def _v_remove(self, inp: s.RemoveItem) -> None:
        self._check(Act.remove_item, inp)

    @workflow.update
    async def receive_item(self, inp: s.CarryIn) -> None:
        """A case continued or carried over from another session joins this agenda.
        Idempotent: a case already on the agenda is not added twice. Only another session
        of this council sends it: a carry-in that cannot prove so is refused."""
        if workflow.patched("receive-item-proof"):
            await steps.check_carry_in(self._s, inp)
        before = len(self._s.items)
        sc.apply(self._s, self._check(Act.receive_item, inp), inp, self._closures)
        if len(self._s.items) > before:
            await self._project()
            self._changed = True

    @receive_item.validator
    def _v_receive(self, inp: s.CarryIn) -> None:
        self._check(Act.receive_item, inp, verify_actor=True)

    # -- before the session ----------------------------------------------------------------

    @workflow.update
    async def send_notice(self, inp: s.SessionAct) -> s.SessionAck:
        """The convocation notice (開催通知) went out to the members."""
        async with self._lock:
            return await self._apply(self._check(Act.send_notice, inp), inp)

    @send_notice.validator
    def _v_notice(self, inp: s.SessionAct) -> None:
        self._check(Act.send_notice, inp, verify_actor=True)

    @workflow.update
    async def send_materials(self, inp: s.SessionAct) -> s.SessionAck:
        """Materials went to the members; every case on the agenda records it."""
        async with self._lock:
            checked = self._check(Act.send_materials, inp)
            assert checked.on is not None
            late = sc.materials_late(self._s, self._closures, checked.on)
            # one case at a time: parallel updates stalled on the dev server (about 20 s)
            for item in self._s.items:
                outcome = await steps.fire(
                    self._s, checked, item.case_id, {"late_reason": late}, inp
                )
                if outcome is not None and not outcome.accepted:
                    sc.warn(self._s, "case_not_updated", f"{item.case_id}: {outcome.message}")
            return await self._apply(checked, inp)

    @send_materials.validator
    def _v_materials(self, inp: s.SessionAct) -> None:
        self._check(Act.send_materials, inp, verify_actor=True)

    # -- the session -----------------------------------------------------------------------

    @workflow.update
    async def open_session(self, inp: s.OpenSession) -> s.SessionAck:
        """Record attendance; the session opens if quorate, otherwise it fails (流会)."""
        async with self._lock:
            return await self._apply(self._check(Act.open_session, inp), inp)

    @open_session.validator
    def _v_open(self, inp: s.OpenSession) -> None:
        self._check(Act.open_session, inp, verify_actor=True)

    @workflow.update
    async def carry_over(self, inp: s.CarryOver) -> s.SessionAck:
        """After a failed quorum: every item goes back to `scheduled` for the next session."""
        async with self._lock:
            checked = self._check(Act.carry_over, inp)
            await steps.check_next_session(self._s, inp.next_session)
            payload = sc.case_payload(self._s, checked, inp)
            for item in self._s.items:
                if item.status is not s.ItemStatus.on_agenda:
                    continue
                outcome = await steps.fire(self._s, checked, item.case_id, payload, inp)
                if outcome is not None and not outcome.accepted:
                    sc.warn(self._s, "case_not_updated", f"{item.case_id}: {outcome.message}")
                    if not steps.parked(outcome):
                        continue
                await steps.carry(self._s, item, inp.next_session)
                sc.carry_item(self._s, checked, item.case_id, inp.next_session.session_id)
                sc.warn_ex_post(self._s, item.case_id, outcome.warnings if outcome else [])
            return await self._apply(checked, inp)

    @carry_over.validator
    def _v_carry(self, inp: s.CarryOver) -> None:
        self._check(Act.carry_over, inp, verify_actor=True)

    @workflow.update
    async def open_item(self, inp: s.ItemAct) -> s.SessionAck:
        """The chair opens deliberation of one item."""
        async with self._lock:
            checked = self._check(Act.open_item, inp)
            payload = sc.case_payload(self._s, checked, inp)
            parked = await steps.fire_item(self._s, checked, inp.case_id, payload, inp)
            return await self._apply(checked, inp, parked=parked)

    @open_item.validator
    def _v_open_item(self, inp: s.ItemAct) -> None:
        self._check(Act.open_item, inp, verify_actor=True)

    @workflow.update
    async def record_qa(self, inp: s.RecordQA) -> s.SessionAck:
        """A question and its answer in the deliberation of an item (for the minutes)."""
        async with self._lock:
            return await self._apply(self._check(Act.record_qa, inp), inp)

    @record_qa.validator
    def _v_qa(self, inp: s.RecordQA) -> None:
        self._check(Act.record_qa, inp, verify_actor=True)

    @workflow.update
    async def decide_item(self, inp: s.DecideItem) -> s.SessionAck:
        """The council's decision on an item, with its votes."""
        async with self._lock:
            checked = self._check(Act.decide_item, inp)
            if inp.next_session is not None:
                await steps.check_next_session(self._s, inp.next_session)
            payload = sc.case_payload(self._s, checked, inp)
            parked = await steps.fire_item(self._s, checked, inp.case_id, payload, inp)
            if inp.outcome is s.ItemOutcome.continue_:
                item = self._s.item(inp.case_id)
                assert item is not None and inp.next_session is not None
                await steps.carry(self._s, item, inp.next_session)
            return await self._apply(checked, inp, parked=parked)

    @decide_item.validator
    def _v_decide(self, inp: s.DecideItem) -> None:
        self._check(Act.decide_item, inp, verify_actor=True)

    @workflow.update
    async def issue_answer(self, inp: s.IssueAnswer) -> s.SessionAck:
        """Number, date and issue the answer (答申) drafted from the decision. Again on an
        item waiting as `answer_pending` (its case's 答申書 step parked): completes it once
        the case has run the step, with the number already taken."""
        async with self._lock:
            checked = self._check(Act.issue_answer, inp)
            item = self._s.item(inp.case_id)
            assert item is not None
            if checked.rule.reads_case:
                await steps.confirm_answered(item)
                return await self._apply(checked, inp)
            number = await steps.take_answer_number(self._s, item.case_id)
            payload: dict[str, Any] = {
                "number": number,
                "approved_by": inp.approved_by,
                "conclusion": inp.conclusion,
                "signed_by": self._s.council.chair.name,  # 会長 on the roster, not the account
            }
            # the 答申書 shows the explanation summary and the reasons (older cases lack them)
            if inp.explanation_summary:
                payload["explanation_summary"] = inp.explanation_summary
            if inp.reasons:
                payload["reasons"] = inp.reasons
            parked = await steps.fire_item(self._s, checked, item.case_id, payload, inp)
            return await self._apply(checked, inp, number=number, parked=parked)

    @issue_answer.validator
    def _v_answer(self, inp: s.IssueAnswer) -> None:
        self._check(Act.issue_answer, inp, verify_actor=True)

    @workflow.update
    async def close_session(self, inp: s.SessionAct) -> s.SessionAck:
        """Close the session; the minutes (会議録) are now drafted and due for publication."""
        async with self._lock:
            return await self._apply(self._check(Act.close_session, inp), inp)

    @close_session.validator
    def _v_close(self, inp: s.SessionAct) -> None:
        self._check(Act.close_session, inp, verify_actor=True)

    # -- minutes ---------------------------------------------------------------------------

    @workflow.update
    async def redact(self, inp: s.Redact) -> s.SessionAck:
        """Leave a passage out of the public minutes, with its legal basis."""
        return await self._apply(self._check(Act.redact, inp), inp)

    @redact.validator
    def _v_redact(self, inp: s.Redact) -> None:
        self._check(Act.redact, inp, verify_actor=True)

    @workflow.update
    async def approve_minutes(self, inp: s.SessionAct) -> s.SessionAck:
        """The chair approves the minutes."""
        sc.apply(self._s, self._check(Act.approve_minutes, inp), inp, self._closures)
        if workflow.patched(MINUTES_DOCUMENTS):
            await steps.generate(self._s, [DocType.kaigiroku, DocType.kaigiroku_public])
        await self._project()
        return self._ack()  # after the documents: the main loop wakes on the ack

    @approve_minutes.validator
    def _v_approve_minutes(self, inp: s.SessionAct) -> None:
        self._check(Act.approve_minutes, inp, verify_actor=True)

    @workflow.update
    async def publish_minutes(self, inp: s.SessionAct) -> s.SessionAck:
        """Publish the (redacted) minutes."""
        return await self._apply(self._check(Act.publish_minutes, inp), inp)

    @publish_minutes.validator
    def _v_publish(self, inp: s.SessionAct) -> None:
        self._check(Act.publish_minutes, inp, verify_actor=True)

    @workflow.update
    async def retry_documents(self, inp: s.SessionAct) -> s.SessionAck:
        """Generate again the documents that failed (after the template was fixed)."""
        checked = self._check(Act.retry_documents, inp)
        failed = [DocType(f.doc_type) for f in self._s.document_failures]
        sc.apply(self._s, checked, inp, self._closures)
        await steps.generate(self._s, failed)
        await self._project()
        return self._ack()

    @retry_documents.validator
    def _v_retry_documents(self, inp: s.SessionAct) -> None:
        self._check(Act.retry_documents, inp, verify_actor=True)

    @workflow.update
    async def replace_closures(self, inp: s.ReplaceClosures) -> s.SessionAck:
        """Use a new calendar table; reminders are re-planned from it."""
        checked = self._check(Act.replace_closures, inp)
        self._closures = inp.closures
        return await self._apply(checked, inp)

    @replace_closures.validator
    def _v_replace(self, inp: s.ReplaceClosures) -> None:
        self._check(Act.replace_closures, inp, verify_actor=True)

    @workflow.query
    def record(self) -> s.SessionRecord:
        """Everything the session recorded (the minutes are built from it)."""
        return self._s

    @workflow.query
    def snapshot(self) -> s.SessionSnapshot:
        """The session as it stands, with the acts the table allows now."""
        return build_snapshot(self._s, self._closures, self._today())

    # -- internals -------------------------------------------------------------------------

    def _today(self) -> dt.date:
        return session_today(self._s, workflow.now())

    def _check(self, act: Act, inp: Any, *, verify_actor: bool = False) -> sc.CheckedAct:
        try:
            context = SessionContext(today=self._today())
            return sc.check(self._s, act, inp, context, verify_actor=verify_actor)
        except CaseError as err:
            raise steps.rejected(err) from None
        except ValueError as err:  # calendar range
            raise steps.rejected(GuardFailed(str(err))) from None

    async def _apply(self, checked: sc.CheckedAct, inp: Any, **facts: Any) -> s.SessionAck:
        sc.apply(self._s, checked, inp, self._closures, **facts)
        await self._project()
        return self._ack()

    async def _project(self) -> None:
        """The read model shows the act before its caller hears back (runs since the patch)."""
        if workflow.patched(PROJECT_SESSION):
            await steps.project(self._s)

    def _ack(self) -> s.SessionAck:
        """A small answer: every update's answer stays in the history (query the snapshot)."""
        self._changed = True
        return s.SessionAck(
            session_id=self._s.plan.session_id,
            state=self._s.state,
            warnings=len(self._s.warnings),
        )
