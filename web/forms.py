"""An act as a form: its fields from the trigger's payload model (``models.case.lifecycle
.PAYLOADS``), labelled from the one label table, and the posted form back into a payload.
Acts whose payload is a whole document, obligation or certificate have no desk form yet."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from models.case.lifecycle import PAYLOADS
from models.case.states import Trigger
from models.labels import FIELD_LABELS, TRIGGER_LABELS

LONG_TEXT = {"reason", "note", "statement"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # text, textarea, lines (one item a line), number, select
    required: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActForm:
    trigger: Trigger
    label: str
    fields: tuple[FieldSpec, ...]
    supported: bool


@dataclass
class FormErrors(Exception):
    """Field name → message for a posted form that does not make a valid payload."""

    errors: dict[str, str] = field(default_factory=dict)


def _bare(annotation: Any) -> Any:
    """The type under ``Annotated[...]`` (the models' bounded text, models/limits.py)."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _kind(annotation: Any) -> tuple[str, bool, tuple[str, ...]] | None:
    """(kind, optional, choices) for a payload field type the desk can show, else None."""
    optional = False
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        if len(args) != 1:
            return None
        annotation = args[0]
    annotation = _bare(annotation)
    if annotation is str:
        return "text", optional, ()
    if annotation is int:
        return "number", optional, ()
    if get_origin(annotation) is list and tuple(map(_bare, get_args(annotation))) == (str,):
        return "lines", optional, ()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "select", optional, tuple(str(m.value) for m in annotation)
    return None


def act_form(trigger: Trigger) -> ActForm:
    model: type[BaseModel] = PAYLOADS[trigger]
    fields: list[FieldSpec] = []
    supported = True
    for name, info in model.model_fields.items():
        shown = _kind(info.annotation)
        if shown is None:
            supported = False
            continue
        kind, optional, choices = shown
        if kind == "text" and name in LONG_TEXT:
            kind = "textarea"
        fields.append(
            FieldSpec(
                name=name,
                label=FIELD_LABELS.get(name, name),
                kind=kind,
                required=info.is_required() and not optional,
                choices=choices,
            )
        )
    return ActForm(
        trigger=trigger, label=TRIGGER_LABELS[trigger], fields=tuple(fields), supported=supported
    )


def payload_of(form: ActForm, posted: Mapping[str, str]) -> dict[str, Any]:
    """The payload a posted form makes, checked against the trigger's model; FormErrors
    naming each bad field otherwise (nothing is sent to the engine then)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in form.fields:
        raw = (posted.get(spec.name) or "").strip()
        if not raw:
            if spec.required:
                errors[spec.name] = f"{spec.label}を入力してください"
            continue
        if spec.kind == "lines":
            data[spec.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif spec.kind == "number":
            if not raw.isdigit():
                errors[spec.name] = f"{spec.label}は半角数字で入力してください"
                continue
            data[spec.name] = int(raw)
        else:
            data[spec.name] = raw
    if not errors:
        try:
            PAYLOADS[form.trigger].model_validate(data)
        except ValidationError as err:
            for item in err.errors():
                name = str(item["loc"][0]) if item["loc"] else ""
                label = FIELD_LABELS.get(name, name)
                errors.setdefault(name, f"{label}: 入力内容を確認してください({item['msg']})")
    if errors:
        raise FormErrors(errors)
    return data
