"""The parts every view is made of: label: value lines and titled grids of text. A line's
``tone`` says how loudly to show it (a warning, an error); the text is the same everywhere."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Tone(StrEnum):
    plain = "plain"
    warning = "warning"
    error = "error"


class Line(BaseModel):
    label: str
    value: str
    tone: Tone = Tone.plain


class Grid(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[str]]
