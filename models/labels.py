"""Japanese labels people see, in one table (never in code paths)."""

from __future__ import annotations

from models.audit import AuditAction
from models.case.document import CaseKind, Category, Criterion
from models.case.payloads import ApprovedBy, CheckResult, ConditionType, DueRule
from models.case.states import CaseState, Role, Trigger
from models.precedents import PassageSource
from models.session.council import ClosedReason, Openness, QuorumRule
from models.session.record import ItemOutcome, ItemStatus, MinutesState, SessionState
from models.tracking.conditions import ConditionStatus

STATE_LABELS: dict[CaseState, str] = {
    CaseState.draft: "起案中",
    CaseState.triage: "事前協議",
    CaseState.not_required: "諮問不要",
    CaseState.precheck: "事前確認中",
    CaseState.ready: "付議待ち",
    CaseState.scheduled: "付議決定",
    CaseState.materials_sent: "資料送付済",
    CaseState.deliberating: "審議中",
    CaseState.answer_drafting: "答申作成中",
    CaseState.answered: "答申済",
    CaseState.conditions_pending: "条件履行中",
    CaseState.active: "運用中",
    CaseState.attention: "要対応",
    CaseState.review: "定期再審査中",
    CaseState.noted: "了承",
    CaseState.rejected: "不承認",
    CaseState.superseded: "変更済",
    CaseState.closed: "終了",
    CaseState.withdrawn: "取下げ",
    CaseState.aborted: "中止",
}

TRIGGER_LABELS: dict[Trigger, str] = {
    Trigger.amend: "諮問書の修正",
    Trigger.submit: "提出",
    Trigger.require_consultation: "諮問要と判断",
    Trigger.waive_consultation: "諮問不要と判断",
    Trigger.return_to_department: "差戻し",
    Trigger.pass_precheck: "事前確認完了",
    Trigger.schedule: "付議決定",
    Trigger.send_materials: "資料送付",
    Trigger.open_deliberation: "審議開始",
    Trigger.decide: "議決",
    Trigger.continue_deliberation: "継続審議",
    Trigger.reschedule: "次回へ延期",
    Trigger.unschedule: "付議の取消し",
    Trigger.note_report: "報告了承",
    Trigger.convert_to_consultation: "諮問へ切替",
    Trigger.issue_answer: "答申",
    Trigger.apply_outcome: "答申結果の反映",
    Trigger.conditions_fulfilled: "条件履行確認",
    Trigger.flag_attention: "要対応",
    Trigger.resolve_attention: "対応完了",
    Trigger.supersede: "変更諮問の答申",
    Trigger.close: "終了",
    Trigger.withdraw: "取下げ",
    Trigger.abort: "中止",
    Trigger.submit_evidence: "条件の履行報告",
    Trigger.verify_condition: "条件の履行確認",
    Trigger.reject_evidence: "履行報告の差戻し",
    Trigger.waive_condition: "条件の免除",
    Trigger.activate: "運用開始",
    Trigger.add_obligation: "定期義務の登録",
    Trigger.fulfil_obligation: "定期義務の履行",
    Trigger.renew_certificate: "認証の更新",
    Trigger.report_material_change: "重要な変更の報告",
    Trigger.certificate_lapsed: "認証の失効・停止",
    Trigger.open_review: "定期再審査の開始",
    Trigger.confirm_unchanged: "変更なしの確認",
}

ROLE_LABELS: dict[Role, str] = {
    Role.department: "担当課",
    Role.secretariat: "事務局",
    Role.it: "情報システム課",
    Role.chair: "会長",
    Role.council: "審議会",
    Role.engine: "システム",
    Role.admin: "管理者",
}

CONDITION_LABELS: dict[ConditionStatus, str] = {
    ConditionStatus.open: "未履行",
    ConditionStatus.submitted: "履行報告済（確認待ち）",
    ConditionStatus.verified: "確認済",
    ConditionStatus.rejected: "差戻し",
    ConditionStatus.waived: "免除",
    ConditionStatus.overdue: "期限超過",
}

KIND_LABELS: dict[CaseKind, str] = {
    CaseKind.external_linkage: "外部結合",
    CaseKind.outsourcing: "委託",
    CaseKind.computer_processing: "コンピュータ処理",
    CaseKind.external_provision: "目的外利用・外部提供",
    CaseKind.indirect_collection: "本人以外からの収集",
    CaseKind.record_items: "記録項目の設定",
    CaseKind.pia_review: "特定個人情報保護評価",
    CaseKind.system_review: "制度運営",
}

CATEGORY_LABELS: dict[Category, str] = {
    Category.consultation: "諮問",
    Category.report: "報告",
}

# The council's fixed criteria for safety measures (Fujisawa answer, 判断理由 a–f).
CRITERION_LABELS: dict[Criterion, str] = {
    Criterion.a: "必要最小限の担当者以外の者がデータにアクセスできないようにするための措置",
    Criterion.b: "ネットワークへの不正アクセスを防止するための措置",
    Criterion.c: "ネットワークを通じた情報漏えいを防止するための措置",
    Criterion.d: (
        "実施機関の安全対策を確認できるようにするための措置"
        "（データを確実に消去するための措置を含む）"
    ),
    Criterion.e: "その他受託者の安全対策を高めるための措置",
    Criterion.f: "日常的な安全対策",
}

# -- sessions and councils --------------------------------------------------------------

SESSION_STATE_LABELS: dict[SessionState, str] = {
    SessionState.planned: "開催予定",
    SessionState.notice_sent: "開催通知済",
    SessionState.materials_sent: "資料送付済",
    SessionState.opened: "開会中",
    SessionState.failed_quorum: "流会",
    SessionState.closed: "閉会",
}

ITEM_STATUS_LABELS: dict[ItemStatus, str] = {
    ItemStatus.on_agenda: "付議",
    ItemStatus.deliberating: "審議中",
    ItemStatus.decided: "議決済・答申待ち",
    ItemStatus.answer_pending: "答申済・答申書作成待ち（案件の手順が停止中）",
    ItemStatus.answered: "答申済",
    ItemStatus.continued: "継続審議",
    ItemStatus.noted: "報告了承",
    ItemStatus.converted: "諮問へ切替",
    ItemStatus.carried_over: "次回へ延期",
}

# The session acts (models.session.lifecycle.Act), by name: labels cannot import the table.
SESSION_ACT_LABELS: dict[str, str] = {
    "add_items": "議題の追加",
    "remove_item": "議題から外す",
    "receive_item": "継続案件の受入れ",
    "send_notice": "開催通知",
    "send_materials": "資料送付",
    "open_session": "開会（出席確認）",
    "carry_over": "流会による延期",
    "open_item": "審議開始",
    "record_qa": "質疑の記録",
    "decide_item": "議決",
    "issue_answer": "答申",
    "close_session": "閉会",
    "redact": "会議録の不開示部分",
    "approve_minutes": "会議録の承認",
    "publish_minutes": "会議録の公開",
    "replace_closures": "閉庁日表の差替え",
    "retry_documents": "文書の再生成",
}

# An agenda item whose case step parked during a session act (admin retry, then the act again).
PARKED_MARK = "手順停止中"

OUTCOME_LABELS: dict[ItemOutcome, str] = {
    ItemOutcome.approve: "可",
    ItemOutcome.approve_with_conditions: "条件付き可",
    ItemOutcome.reject: "否",
    ItemOutcome.continue_: "継続審議",
    ItemOutcome.noted: "了承",
    ItemOutcome.convert: "諮問へ切替",
}

MINUTES_LABELS: dict[MinutesState, str] = {
    MinutesState.drafting: "作成中",
    MinutesState.approved: "会長承認済",
    MinutesState.published: "公開済",
}

APPROVED_BY_LABELS: dict[ApprovedBy, str] = {
    ApprovedBy.session: "審議会",
    ApprovedBy.chair: "会長一任",
}

# The chair's casting vote on a tie (可否同数), by how the chair voted.
CASTING_LABELS: dict[bool, str] = {True: "会長裁決:可", False: "会長裁決:否"}

QUORUM_LABELS: dict[QuorumRule, str] = {
    QuorumRule.majority_of_seats: "委員の過半数",
    QuorumRule.half_of_seats: "委員の半数以上",
}

TIE_LABELS: dict[bool, str] = {
    True: "会長の決するところによる",
    False: "否決 (the chair does not break ties)",
}

# An obligation's standing in the case sheet.
OBLIGATION_LAPSED = "失効"
OBLIGATION_OVERDUE = "期限超過"

NO_NUMBERS_YET = "答申番号: none handed out yet"


def session_label(fiscal_year: int, ordinal: int) -> str:
    """A session as cases record it: 2018年度第3回."""
    return f"{fiscal_year}年度第{ordinal}回"


# the fields of an act's payload, as a form shows them (models/case/payloads.py)
FIELD_LABELS: dict[str, str] = {
    "reason": "理由",
    "comments": "指摘事項(1行に1件)",
    "condition": "条件番号",
    "file_ref": "証拠文書(文書管理番号など)",
    "note": "備考",
    "statement": "確認した内容",
    "end_duties": "終了時の措置(1行に1件)",
    "obligation": "義務ID",
    "witnessed_by": "立会者",
    "erasure_certificate": "消去証明書",
    "category": "区分",
    "on": "日付",
    "file": "証拠ファイル",
    "target": "対象",
    "signed_by": "署名する会長の氏名",
}

# what a case's next deadline is (models/case/deadlines.py; stored as is in the read model)
DEADLINE_LABELS: dict[str, str] = {
    "triage decision": "事前協議の結果",
    "pre-check result": "事前確認の結果",
    "planned start (schedule before it)": "運用開始予定(それまでに付議)",
    "materials to members": "委員への資料送付",
    "council session": "審議会の開催",
    "answer (答申)": "答申",
    "condition evidence": "条件の履行報告",
    "pre-start conditions": "運用開始前の条件",
}


def deadline_label(what: str | None) -> str:
    """A deadline's "what" for people; text that is already Japanese passes through."""
    return DEADLINE_LABELS.get(what, what) if what else ""


# when a condition is due (models/case/payloads.py DueRule)
DUE_RULE_LABELS: dict[DueRule, str] = {
    DueRule.before_contract: "契約前",
    DueRule.before_start: "運用開始前",
    DueRule.by_date: "期日まで",
    DueRule.within_business_days: "答申から所定の営業日以内",
}

# the column titles of the case sheet's grids (models/views/case.py), as the desk shows them
COLUMN_LABELS: dict[str, str] = {
    "#": "番号",
    "condition": "条件",
    "due": "期限",
    "status": "状況",
    "evidence": "履行の証拠",
    "id": "ID",
    "next due": "次に行うこと",
    "from": "受付開始",
    "by": "期限",
    "last done": "前回の実施",
}


# -- the desk's session pages (web/routes/sessions.py, web/session_forms.py) -----------------

# the fields of the session acts' forms and the plan form, as the desk shows them
SESSION_FIELD_LABELS: dict[str, str] = {
    "council_id": "審議会",
    "ordinal": "回(第N回)",
    "held_on": "開催日",
    "starts": "開始時刻",
    "ends": "終了時刻",
    "place": "会場",
    "openness": "公開・非公開",
    "closed_reason": "非公開の理由",
    "closed_reason_text": "非公開の理由(説明)",
    "case_ids": "議題に追加する案件",
    "present": "出席委員",
    "staff": "事務局職員(1行に1名)",
    "explainers": "説明者・参考人(1行に1名)",
    "observers": "傍聴者数",
    "next_session": "次の会",
    "reason": "理由",
    "speaker_role": "発言者の区分",
    "speaker": "発言者",
    "question": "質問・意見",
    "answer": "回答",
    "outcome": "議決の内容",
    "yes": "賛成",
    "no": "反対",
    "abstain": "棄権",
    "chair_casting": "可否同数のときの会長裁決",
    "summary": "審議の要旨",
    "conditions": "条件(1行に1件)",
    "condition_type": "条件の種類",
    "condition_due": "条件の期限",
    "opinions": "附帯意見(1行に1件)",
    "conclusion": "結論",
    "explanation_summary": "説明要旨",
    "reasons": "判断理由",
    "approved_by": "答申の決定",
    "passage": "不開示とする記載",
    "legal_basis": "不開示の根拠",
}

OPENNESS_LABELS: dict[Openness, str] = {
    Openness.open: "公開",
    Openness.partly_closed: "一部公開",
    Openness.closed: "非公開",
}

CLOSED_REASON_LABELS: dict[ClosedReason, str] = {
    ClosedReason.law: "法令により非公開",
    ClosedReason.nondisclosure: "非開示情報を審議する",
    ClosedReason.proceedings: "公正・円滑な議事運営に支障",
}

CONDITION_TYPE_LABELS: dict[ConditionType, str] = {
    ConditionType.contract_clause: "契約条項",
    ConditionType.vendor_written_answer: "業者の書面回答",
    ConditionType.staff_attendance: "職員の立会い",
    ConditionType.specification_clause: "仕様書への記載",
    ConditionType.technical_measure: "技術的措置",
    ConditionType.report: "報告",
}

# who speaks in a session's Q&A (models.session.record.QA.speaker_role holds the label itself)
SPEAKER_ROLES: tuple[str, ...] = ("委員", "会長", "担当課", "事務局", "参考人")

# a pre-check item's result (models/case/payloads.py CheckResult; DOMAIN.md §5, C1–C27)
CHECK_RESULT_LABELS: dict[CheckResult, str] = {
    CheckResult.conforming: "適合",
    CheckResult.nonconforming: "不適合",
    CheckResult.not_applicable: "該当なし",
    CheckResult.to_confirm: "要確認",
}


# the audit trail's actions (models/audit.py), as the 事務局's CSV shows them
AUDIT_ACTION_LABELS: dict[AuditAction, str] = {
    AuditAction.login: "ログイン",
    AuditAction.login_refused: "ログイン失敗",
    AuditAction.login_locked: "ログイン拒否(ロック中)",
    AuditAction.logout: "ログアウト",
    AuditAction.case_read: "案件の閲覧",
    AuditAction.case_read_refused: "案件の閲覧拒否",
    AuditAction.case_act: "案件の操作",
    AuditAction.case_act_refused: "案件の操作拒否",
    AuditAction.case_list_csv: "案件一覧のCSV出力",
    AuditAction.document_download: "文書のダウンロード",
    AuditAction.admin_action: "管理操作",
    AuditAction.case_reset: "案件のリセット(エンジンが検知)",
    AuditAction.session_reset: "会議のリセット(エンジンが検知)",
    AuditAction.codec_decode: "ペイロードの復号",
    AuditAction.codec_encode: "ペイロードの暗号化",
    AuditAction.codec_refused: "ペイロード復号の拒否",
    AuditAction.api_token_issue: "APIトークンの発行",
    AuditAction.api_token_revoke: "APIトークンの失効",
    AuditAction.feed_issued: "カレンダーURLの発行",
    AuditAction.feed_revoked: "カレンダーURLの停止",
    AuditAction.records_purged: "保存期間を過ぎた記録の廃棄",
}

PASSAGE_LABELS: dict[PassageSource, str] = {
    PassageSource.subject: "件名",
    PassageSource.conclusion: "結論",
    PassageSource.explanation: "説明要旨",
    PassageSource.reasons: "判断理由",
    PassageSource.summary: "審議の概要",
    PassageSource.condition: "条件",
    PassageSource.opinion: "附帯意見",
    PassageSource.minutes: "会議録",
}
