"""The lifecycle vocabulary (LIFECYCLE.md): stable lowercase values that live in histories,
search attributes and the database. Never rename a value that has run."""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    draft = "draft"
    triage = "triage"
    not_required = "not_required"
    precheck = "precheck"
    ready = "ready"
    scheduled = "scheduled"
    materials_sent = "materials_sent"
    deliberating = "deliberating"
    answer_drafting = "answer_drafting"
    answered = "answered"
    conditions_pending = "conditions_pending"
    active = "active"
    attention = "attention"
    review = "review"  # the periodic re-review of the approval is open
    noted = "noted"
    rejected = "rejected"
    superseded = "superseded"
    closed = "closed"
    withdrawn = "withdrawn"
    aborted = "aborted"  # an admin ended the case after a step failed for good


class Trigger(StrEnum):
    amend = "amend"
    submit = "submit"
    require_consultation = "require_consultation"
    waive_consultation = "waive_consultation"
    return_to_department = "return_to_department"
    pass_precheck = "pass_precheck"
    schedule = "schedule"
    send_materials = "send_materials"
    open_deliberation = "open_deliberation"
    decide = "decide"
    continue_deliberation = "continue_deliberation"
    reschedule = "reschedule"  # the session failed its quorum: on to the next session
    unschedule = "unschedule"  # taken off a session's agenda before the materials went out
    note_report = "note_report"
    convert_to_consultation = "convert_to_consultation"
    issue_answer = "issue_answer"
    apply_outcome = "apply_outcome"
    conditions_fulfilled = "conditions_fulfilled"
    flag_attention = "flag_attention"
    resolve_attention = "resolve_attention"
    supersede = "supersede"
    close = "close"
    withdraw = "withdraw"
    # conditions of a conditional approval, one by one
    submit_evidence = "submit_evidence"
    verify_condition = "verify_condition"
    reject_evidence = "reject_evidence"
    waive_condition = "waive_condition"
    activate = "activate"  # automatic: every pre-start condition verified or waived
    # recurring obligations
    add_obligation = "add_obligation"
    fulfil_obligation = "fulfil_obligation"
    renew_certificate = "renew_certificate"
    report_material_change = "report_material_change"
    certificate_lapsed = "certificate_lapsed"  # the vendor's certificate was suspended/revoked
    # periodic re-review of the approval
    open_review = "open_review"
    confirm_unchanged = "confirm_unchanged"
    abort = "abort"  # an admin ends a case whose step failed for good (admin_abort)


class Role(StrEnum):
    department = "department"  # 担当課
    secretariat = "secretariat"  # 事務局
    it = "it"  # 情報システム課
    chair = "chair"  # 会長
    council = "council"  # 審議会
    engine = "engine"  # the engine itself; no person acts as it
    admin = "admin"  # repairs failed steps


PERSON_ROLES = tuple(r for r in Role if r is not Role.engine)
