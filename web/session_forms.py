"""The session acts and the session plan as forms: their fields (labelled from the one label
table), and a posted form back into the act's request, checked against the request model
(``edge.sessions.request_model``) before anything is sent; FormErrors name each bad field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from models.case.payloads import ConditionType, DueRule
from models.labels import (
    APPROVED_BY_LABELS,
    CLOSED_REASON_LABELS,
    CONDITION_TYPE_LABELS,
    DUE_RULE_LABELS,
    OPENNESS_LABELS,
    OUTCOME_LABELS,
    SESSION_FIELD_LABELS,
    SPEAKER_ROLES,
)
from models.session.council import SessionPlan
from models.session.record import ItemOutcome
from web.forms import FormErrors

JST = dt.timezone(dt.timedelta(hours=9))
Choices = tuple[tuple[str, str], ...]  # (value, label)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, textarea, lines, number, select, checks, date, time
    required: bool = False
    choices: Choices = ()
    title: str | None = None  # when the one label table names the field elsewhere

    @property
    def label(self) -> str:
        return self.title or SESSION_FIELD_LABELS.get(self.name, self.name)


def _options(labels: Mapping[Any, str], only: Sequence[Any] | None = None) -> Choices:
    return tuple((str(k.value), v) for k, v in labels.items() if only is None or k in only)


# condition deadlines a one-line form can carry (a date or a day count needs a field each)
SIMPLE_DUES = (DueRule.before_contract, DueRule.before_start)

PLAN_FIELDS: tuple[Field, ...] = (
    Field("council_id", "select", True),
    Field("ordinal", "number", True),
    Field("held_on", "date", True),
    Field("starts", "time", True),
    Field("ends", "time", True),
    Field("place", "text", True),
    Field("openness", "select", True, _options(OPENNESS_LABELS)),
    Field("closed_reason", "select", False, _options(CLOSED_REASON_LABELS)),
    Field("closed_reason_text", "text"),
)

# Each session act's fields; acts on one agenda item get its case_id from the form's URL.
ACT_FIELDS: dict[str, tuple[Field, ...]] = {
    "add_items": (Field("case_ids", "checks", True),),
    "remove_item": (Field("reason", "textarea", True),),
    "send_notice": (),
    "send_materials": (),
    "open_session": (
        Field("present", "checks"),
        Field("staff", "lines"),
        Field("explainers", "lines"),
        Field("observers", "number"),
    ),
    "carry_over": (Field("next_session", "select", True), Field("reason", "textarea", True)),
    "open_item": (),
    "record_qa": (
        Field("speaker_role", "select", True, tuple((r, r) for r in SPEAKER_ROLES)),
        Field("speaker", "text"),
        Field("question", "textarea", True),
        Field("answer", "textarea"),
    ),
    "decide_item": (
        Field("outcome", "select", True, _options(OUTCOME_LABELS)),
        Field("yes", "number"),
        Field("no", "number"),
        Field("abstain", "number"),
        Field("chair_casting", "select", False, (("true", "可"), ("false", "否"))),
        Field("conditions", "lines"),
        Field("condition_type", "select", False, _options(CONDITION_TYPE_LABELS)),
        Field("condition_due", "select", False, _options(DUE_RULE_LABELS, SIMPLE_DUES)),
        Field("opinions", "lines"),
        Field("summary", "textarea"),
        Field("reason", "textarea"),
        Field("next_session", "select"),
    ),
    "issue_answer": (
        Field("conclusion", "textarea", True),
        Field("explanation_summary", "textarea"),
        Field("reasons", "textarea"),
        Field("approved_by", "select", True, _options(APPROVED_BY_LABELS)),
    ),
    "close_session": (),
    "redact": (Field("passage", "textarea", True), Field("legal_basis", "text", True)),
    "approve_minutes": (),
    "publish_minutes": (),
}

ITEM_ACTS = frozenset({"remove_item", "open_item", "record_qa", "decide_item", "issue_answer"})


def with_choices(fields: tuple[Field, ...], choices: Mapping[str, Choices]) -> list[Field]:
    """The fields with the choices that depend on the session (members, cases, sessions)."""
    return [replace(f, choices=choices[f.name]) if f.name in choices else f for f in fields]


def _raw(posted: Mapping[str, list[str]], name: str) -> str:
    values = posted.get(name) or [""]
    return values[0].strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _read(fields: Sequence[Field], posted: Mapping[str, list[str]]) -> dict[str, Any]:
    """The posted values by field, typed by kind; FormErrors for missing or non-numeric ones."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in fields:
        if spec.kind == "checks":
            picked = [v for v in posted.get(spec.name, []) if v]
            allowed = {value for value, _ in spec.choices}
            if allowed and any(v not in allowed for v in picked):
                errors[spec.name] = f"{spec.label}: 一覧にないものが選ばれています"
            if spec.required and not picked:
                errors[spec.name] = f"{spec.label}を選んでください"
            values[spec.name] = picked
            continue
        raw = _raw(posted, spec.name)
        if not raw:
            if spec.required:
                errors[spec.name] = f"{spec.label}を入力してください"
            continue
        if spec.choices and raw not in {value for value, _ in spec.choices}:
            errors[spec.name] = f"{spec.label}: 選択肢から選んでください"
        elif spec.kind == "number":
            if not raw.isascii() or not raw.isdigit():
                errors[spec.name] = f"{spec.label}は半角数字で入力してください"
            else:
                values[spec.name] = int(raw)
        elif spec.kind == "lines":
            values[spec.name] = _lines(raw)
        else:
            values[spec.name] = raw
    if errors:
        raise FormErrors(errors)
    return values


def _checked(model: type[BaseModel], data: dict[str, Any], field_names: set[str]) -> None:
    """FormErrors naming the form field of each error the request model finds."""
    try:
        model.model_validate(data)
    except ValidationError as err:
        errors: dict[str, str] = {}
        for item in err.errors():
            names = [str(part) for part in item["loc"] if isinstance(part, str)]
            name = next((n for n in reversed(names) if n in field_names), "")
            label = SESSION_FIELD_LABELS.get(name, "入力内容")
            errors.setdefault(name, f"{label}: 入力内容を確認してください({item['msg']})")
        raise FormErrors(errors) from None


def act_request(
    act: str,
    fields: Sequence[Field],
    posted: Mapping[str, list[str]],
    base: dict[str, Any],
    *,
    owner: str,
) -> dict[str, Any]:
    """The request fields of ``act`` from a posted form (``base``: actor, case id; ``owner``:
    who fulfils the conditions decided on an item, the case's department). ``next_session``
    stays an id here: the caller looks it up in the engine."""
    got = _read(fields, posted)
    data: dict[str, Any] = dict(base)
    if act == "add_items":
        data["case_ids"] = got["case_ids"]
    elif act == "open_session":
        data["attendance"] = {
            "present": got.get("present", []),
            "staff": got.get("staff", []),
            "explainers": got.get("explainers", []),
            "observers": got.get("observers", 0),
        }
    elif act == "record_qa":
        data["qa"] = {
            k: got[k] for k in ("speaker_role", "speaker", "question", "answer") if k in got
        }
    elif act == "decide_item":
        data.update(_decision(got, owner))
    elif act == "redact":
        data["redaction"] = {"passage": got["passage"], "legal_basis": got["legal_basis"]}
    else:
        data.update(got)
    return data


def _decision(got: dict[str, Any], owner: str) -> dict[str, Any]:
    outcome = ItemOutcome(got["outcome"])
    data: dict[str, Any] = {"outcome": outcome.value}
    if any(k in got for k in ("yes", "no", "abstain")):
        data["votes"] = {
            "yes": got.get("yes", 0),
            "no": got.get("no", 0),
            "abstain": got.get("abstain", 0),
            "chair_casting": {"true": True, "false": False}.get(got.get("chair_casting", "")),
        }
    elif "chair_casting" in got:
        raise FormErrors({"chair_casting": "会長裁決は賛成・反対の数とあわせて入力してください"})
    texts = got.get("conditions", [])
    if texts:
        data["conditions"] = [
            {
                "text": text,
                "type": got.get("condition_type", ConditionType.contract_clause.value),
                "due": got.get("condition_due", DueRule.before_contract.value),
                "owner": owner,
            }
            for text in texts
        ]
    data["opinions"] = [{"text": text} for text in got.get("opinions", [])]
    for key in ("summary", "reason", "next_session"):
        if key in got:
            data[key] = got[key]
    if outcome is ItemOutcome.continue_ and "next_session" not in got:
        raise FormErrors({"next_session": "継続審議には次の会を選んでください"})
    if outcome is not ItemOutcome.continue_ and "next_session" in got:
        raise FormErrors({"next_session": "次の会は継続審議のときだけ選びます"})
    return data


def check_request(model: type[BaseModel], data: dict[str, Any], fields: Sequence[Field]) -> None:
    _checked(model, data, {f.name for f in fields} | {"conditions", "votes"})


def session_plan(posted: Mapping[str, list[str]], councils: Choices) -> SessionPlan:
    """The plan a posted plan form makes; FormErrors naming each bad field."""
    fields = with_choices(PLAN_FIELDS, {"council_id": councils})
    got = _read(fields, posted)
    errors: dict[str, str] = {}
    try:
        day = dt.date.fromisoformat(got["held_on"])
    except ValueError:
        raise FormErrors({"held_on": "開催日を正しく入力してください(例: 2027-02-10)"}) from None
    times: dict[str, dt.datetime] = {}
    for name in ("starts", "ends"):
        try:
            times[name] = dt.datetime.combine(day, dt.time.fromisoformat(got[name]), JST)
        except ValueError:
            errors[name] = f"{SESSION_FIELD_LABELS[name]}を正しく入力してください(例: 14:00)"
    if errors:
        raise FormErrors(errors)
    data = {
        "council_id": got["council_id"],
        "ordinal": got["ordinal"],
        "starts_at": times["starts"],
        "ends_at": times["ends"],
        "place": got["place"],
        "openness": got["openness"],
        "closed_reason": got.get("closed_reason"),
        "closed_reason_text": got.get("closed_reason_text"),
    }
    try:
        return SessionPlan.model_validate(data)
    except ValidationError as err:
        for item in err.errors():
            msg = str(item["msg"])
            if "closed_reason" in msg:
                errors["closed_reason"] = "非公開・一部公開の会には非公開の理由を選んでください"
            elif "ends_at" in msg:
                errors["ends"] = "終了時刻は開始時刻より後にしてください"
            else:
                name = str(item["loc"][0]) if item["loc"] else "place"
                errors.setdefault(name, f"入力内容を確認してください({msg})")
        raise FormErrors(errors) from None
