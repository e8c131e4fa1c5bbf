"""hypothesis strategies for what people send the engine, derived from the pydantic models'
JSON schemas (the one place: change a model and its strategy follows).

``payload(Model)`` draws JSON-like dicts as a caller would send them: mostly values the schema
allows, and, at every field, now and then one it does not (one past a length or count limit, a
control or bidi character, a blank line, a day outside the calendar or not in it, a wrong type,
an unknown field, a missing required one). ``valid_payload(Model)`` draws only values the schema
allows (the model's own validators may still refuse some: blank text, the date rules).
``ACT_PAYLOADS`` is one strategy per case trigger (``models.case.lifecycle.PAYLOADS``),
``SESSION_ACTS`` one per session act (the input type of ``SessionWorkflow``'s update of that
name; not ``replace_closures``, an admin's whole calendar table).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_type_hints

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from models.case.lifecycle import PAYLOADS
from models.case.states import Trigger
from models.limits import EARLIEST_DATE, LATEST_DATE
from models.session.lifecycle import Act
from workflows.session import SessionWorkflow

Json = Any
Schema = dict[str, Any]

LIST_DRAWN = 3  # list sizes drawn item by item; longer lists repeat one drawn item
TEXT_DRAWN = 40  # text lengths drawn character by character; longer text repeats one

_PLAIN = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp"),
)
_JAPANESE = st.sampled_from("諮問審議会答申条件保健センター個人情報外部結合委託アイウ。、")
_HIDDEN = st.sampled_from(["\u0000", "\u0007", "\n", "\t", "\u202e", "\u2067", "\u200f", "\x7f"])


@st.composite
def _text(draw: st.DrawFn, min_len: int, max_len: int, wild: bool) -> str:
    """Text of ``min_len``..``max_len`` characters (long ones repeat a short drawn piece);
    ``wild``: sometimes one character too many or too few, hidden characters, or blank."""
    choice = draw(st.integers(0, 39)) if wild else 39
    if choice == 0:
        return "x" * (max_len + 1) if max_len is not None else "\u202e"
    if choice == 1 and min_len > 0:
        return ""
    if choice == 2:
        return " " * max(min_len, 1)
    piece = draw(st.text(st.one_of(_PLAIN, _JAPANESE), min_size=1, max_size=TEXT_DRAWN))
    if choice == 3:
        at = draw(st.integers(0, len(piece)))
        piece = piece[:at] + draw(_HIDDEN) + piece[at:]
    length = draw(st.sampled_from(sorted({min(max(min_len, 1), max_len), len(piece), max_len})))
    length = max(min_len, min(length, max_len))
    return (piece * (length // len(piece) + 1))[:length] if length else ""


_SAFE_TEXT = st.text(st.one_of(_JAPANESE, st.sampled_from("abcXYZ019 ")), min_size=1, max_size=20)


def _dates(wild: bool) -> st.SearchStrategy[str]:
    valid = st.dates(EARLIEST_DATE, LATEST_DATE).map(dt.date.isoformat)
    if not wild:
        return valid
    return _rarely(
        valid,
        st.one_of(
            st.dates().map(dt.date.isoformat),  # 0001-01-01 .. 9999-12-31
            st.sampled_from(["2023-02-30", "1868-01-24", "2100-01-01", "令和5年", ""]),
        ),
    )


def _integers(schema: Schema, wild: bool) -> st.SearchStrategy[int]:
    low, high = schema.get("minimum"), schema.get("maximum")
    valid = st.integers(low, high)
    if not wild:
        return valid
    edges = [v for v in (low, high) if v is not None]
    beyond = [low - 1] if low is not None else []
    beyond += [high + 1] if high is not None else []
    return _rarely(valid, st.sampled_from(edges + beyond + [10**30, -(10**30)]))


def _wrong_type(schema: Schema) -> st.SearchStrategy[Json]:
    kind = schema.get("type")
    others: list[Json] = [None, 7, 1.5, True, "text", ["a"], {"a": 1}]
    keep = {
        "string": lambda v: not isinstance(v, str),
        "integer": lambda v: not isinstance(v, int) or isinstance(v, bool),
        "boolean": lambda v: not isinstance(v, bool),
        "array": lambda v: not isinstance(v, list),
        "object": lambda v: not isinstance(v, dict),
    }.get(str(kind), lambda v: v is not None)
    return st.sampled_from([v for v in others if keep(v)] or [None])


def _from_schema(schema: Schema, defs: dict[str, Schema], wild: bool) -> st.SearchStrategy[Json]:
    if "$ref" in schema:
        return st.deferred(lambda: _from_schema(defs[schema["$ref"].rsplit("/", 1)[1]], defs, wild))
    if "anyOf" in schema:
        return st.one_of([_from_schema(branch, defs, wild) for branch in schema["anyOf"]])
    drawn = _valid(schema, defs, wild)
    if wild and schema.get("type") is not None:
        return _rarely(drawn, _wrong_type(schema))
    return drawn


def _rarely(
    usual: st.SearchStrategy[Json], odd: st.SearchStrategy[Json]
) -> st.SearchStrategy[Json]:
    """``odd`` about one time in twenty-five: a payload of ten fields is then refused about
    half the time, and accepted often enough to reach the workflow's guards."""
    return st.integers(0, 24).flatmap(lambda n: odd if n == 0 else usual)


def _valid(schema: Schema, defs: dict[str, Schema], wild: bool) -> st.SearchStrategy[Json]:
    if "enum" in schema:
        values = st.sampled_from(schema["enum"])
        return _rarely(values, st.just("bogus")) if wild else values
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return _integers(schema, wild)
    if kind == "string":
        if schema.get("format") == "date":
            return _dates(wild)
        if "pattern" in schema:
            matching = st.from_regex(schema["pattern"], fullmatch=True)
            return _rarely(matching, _SAFE_TEXT) if wild else matching
        return _text(schema.get("minLength", 0), schema.get("maxLength", 4000), wild)
    if kind == "array":
        return _array(schema, defs, wild)
    if kind == "object":
        return _object(schema, defs, wild)
    raise ValueError(f"no strategy for the schema {schema}")


@st.composite
def _array(draw: st.DrawFn, schema: Schema, defs: dict[str, Schema], wild: bool) -> list[Json]:
    low, high = schema.get("minItems", 0), schema.get("maxItems", 100)
    items = _from_schema(schema["items"], defs, wild)
    sizes = sorted({low, min(low + 1, high), min(LIST_DRAWN, high), high})
    size = draw(st.sampled_from(sizes))
    if wild and draw(st.integers(0, 24)) == 0:
        size = draw(st.sampled_from([high + 1] + ([low - 1] if low > 0 else [])))
    drawn = draw(st.lists(items, min_size=min(size, LIST_DRAWN), max_size=min(size, LIST_DRAWN)))
    while drawn and len(drawn) < size:
        drawn.append(drawn[len(drawn) % LIST_DRAWN])
    return drawn


@st.composite
def _object(
    draw: st.DrawFn, schema: Schema, defs: dict[str, Schema], wild: bool
) -> dict[str, Json]:
    required = set(schema.get("required", []))
    out: dict[str, Json] = {}
    for name, sub in schema.get("properties", {}).items():
        if name in required or draw(st.booleans()):
            out[name] = draw(_from_schema(sub, defs, wild))
    if wild:
        mischief = draw(st.integers(0, 24))
        if mischief == 0:
            out["colour"] = "blue"  # an unknown field
        elif mischief == 1 and required:
            out.pop(draw(st.sampled_from(sorted(required))), None)
    return out


def _strategy(model: type[BaseModel], wild: bool) -> st.SearchStrategy[dict[str, Json]]:
    schema = model.model_json_schema()
    return _object(schema, schema.get("$defs", {}), wild)


def payload(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Json]]:
    """What a caller might send for ``model``: mostly allowed, sometimes not, at any field."""
    return _strategy(model, wild=True)


def valid_payload(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Json]]:
    """Only values ``model``'s JSON schema allows."""
    return _strategy(model, wild=False)


ACT_PAYLOADS: dict[Trigger, st.SearchStrategy[dict[str, Json]]] = {
    trigger: payload(model) for trigger, model in PAYLOADS.items()
}


SESSION_INPUTS: dict[Act, type[BaseModel]] = {
    act: get_type_hints(getattr(SessionWorkflow, act.value))["inp"]
    for act in Act
    if act is not Act.replace_closures
}
SESSION_ACTS: dict[Act, st.SearchStrategy[dict[str, Json]]] = {
    act: payload(model) for act, model in SESSION_INPUTS.items()
}


def drawn(strategy: st.SearchStrategy[Json], count: int) -> list[Json]:
    """``count`` examples of ``strategy`` drawn up front (for a test whose system changes as
    it goes, so hypothesis could not replay or shrink a draw against it)."""
    out: list[Json] = []

    @settings(max_examples=count, database=None, phases=[Phase.generate])
    @given(strategy)
    def collect(example: Json) -> None:
        out.append(example)

    collect()
    return out
