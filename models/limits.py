"""What a person may hand the engine: the one place for text, list, number, date and size limits.

Every input model builds its fields from these types, so the CLI, the desk, the edge and the
workflow's validators refuse the same things with the same words. The sizes are chosen so that a
case's payloads stay far below Temporal's 2 MiB payload limit for the case's whole life:

- one act's payload at most ``ACT_PAYLOAD_BYTES`` (64 KiB of JSON);
- a consultation document at most ``DOCUMENT_BYTES`` (64 KiB);
- a case record at most ``CASE_RECORD_BYTES`` (512 KiB): the act that would take it past that is
  refused, so the continue-as-new input (record + document + config) and the snapshot stay under
  about 700 KiB.

Dates lie between the first day of 明治 (the first day a 和暦 document can write) and the end of
2099 (the closure table is built for every year a case's dates touch; a date 8,000 years out made
a create run for minutes).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

SHORT_TEXT_CHARS = 200
LINE_CHARS = 500
LONG_TEXT_CHARS = 4000
MAX_LIST_ITEMS = 100
MAX_COUNT = 10_000

INPUT_FILE_BYTES = 256 * 1024  # a YAML/JSON file a person hands the CLI
ACT_PAYLOAD_BYTES = 64 * 1024
DOCUMENT_BYTES = 64 * 1024
CASE_RECORD_BYTES = 512 * 1024
ACT_GROWTH_FACTOR = 3  # an act's payload lands in the record up to about three times
ACT_OVERHEAD_BYTES = 2 * 1024  # the transition record, warnings and status an act adds

EARLIEST_DATE = dt.date(1868, 1, 25)  # 明治元年: 和暦 cannot write an earlier day
LATEST_DATE = dt.date(2099, 12, 31)

# Bidi embeddings, overrides, isolates and marks: a title with U+202E prints reversed.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_LINE_BREAKS = frozenset("\n\r\t")


def _refuse_hidden_characters(value: str, allowed: frozenset[str]) -> str:
    for position, char in enumerate(value, start=1):
        if char in allowed:
            continue
        if char in _BIDI_CONTROLS:
            what = "a bidirectional control character"
        elif unicodedata.category(char) == "Cc":
            what = "a control character"
        else:  # pydantic itself refuses unpaired surrogates
            continue
        raise ValueError(f"{what} (U+{ord(char):04X}) at position {position} is not allowed")
    return value


def one_line(value: str) -> str:
    """The single-line text rule (use in ``AfterValidator`` for a field with its own length)."""
    return _not_blank(_refuse_hidden_characters(value, frozenset()))


def paragraphs(value: str) -> str:
    """The free-text rule (use in ``AfterValidator`` for a field with its own length)."""
    return _not_blank(_refuse_hidden_characters(value, _LINE_BREAKS))


def _paragraphs_or_empty(value: str) -> str:
    return _refuse_hidden_characters(value, _LINE_BREAKS)


def _line_or_empty(value: str) -> str:
    return _refuse_hidden_characters(value, frozenset())


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def in_calendar(value: dt.date) -> dt.date:
    """The calendar rule: ValueError for a day outside ``EARLIEST_DATE .. LATEST_DATE``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            f"{value.isoformat()} is outside {EARLIEST_DATE.isoformat()} (明治元年) .. "
            f"{LATEST_DATE.isoformat()}"
        )
    return value


ShortText = Annotated[
    str, Field(min_length=1, max_length=SHORT_TEXT_CHARS), AfterValidator(one_line)
]
"""A name, label or number: one line, not blank, no control or bidi characters. A field with
another length is ``Annotated[str, Field(min_length=1, max_length=N), AfterValidator(one_line)]``
(a ``Field`` default cannot change an alias's length)."""

Line = Annotated[str, Field(min_length=1, max_length=LINE_CHARS), AfterValidator(one_line)]
"""A longer single line: a title, a file reference, a check item."""

LongText = Annotated[
    str, Field(min_length=1, max_length=LONG_TEXT_CHARS), AfterValidator(paragraphs)
]
"""Free text: line breaks and tabs allowed, not blank, no other control or bidi characters."""

TextOrEmpty = Annotated[
    str, Field(max_length=LONG_TEXT_CHARS), AfterValidator(_paragraphs_or_empty)
]
"""Free text that may be empty: a draft's field not written yet, the "before" of an item a
change adds."""

LineOrEmpty = Annotated[str, Field(max_length=LINE_CHARS), AfterValidator(_line_or_empty)]
"""A single line that may be empty (a draft's field not written yet)."""

CalendarDate = Annotated[dt.date, AfterValidator(in_calendar)]
"""A date the calendar, the closure table and the documents (和暦) can all handle."""

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A head count or vote count."""


def json_bytes(value: Any) -> int:
    """The size of ``value`` as the engine's JSON carries it (UTF-8)."""
    if isinstance(value, BaseModel):
        return len(value.model_dump_json().encode("utf-8"))
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))


def within_budget(value: Any, budget: int, what: str) -> None:
    """ValueError naming ``what`` when ``value`` is larger than ``budget`` bytes of JSON."""
    size = json_bytes(value)
    if size > budget:
        raise ValueError(f"{what} is {kib(size)}; at most {kib(budget)} is allowed")


MAX_NESTING = 16
MAX_VALUES = 100_000


def within_nesting(value: Any, what: str, limit: int = MAX_NESTING) -> None:
    """ValueError naming ``what`` when mappings and lists nest deeper than ``limit`` or hold more
    than ``MAX_VALUES`` values (walked without recursion, so a 100,000-deep value cannot exhaust
    the stack, and stopping early, so shared YAML aliases cannot expand to gigabytes)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if depth > limit:
            raise ValueError(f"{what} nests deeper than {limit} levels")
        if seen > MAX_VALUES:
            raise ValueError(f"{what} holds more than {MAX_VALUES:,} values")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list | tuple):
            stack.extend((child, depth + 1) for child in node)


def kib(size: int) -> str:
    """A byte count for people: ``68.4 KiB``."""
    return f"{size / 1024:,.1f} KiB"
