"""What a person sees of a case, a session and a council, as plain data built from their
snapshots: the CLI renders these with Rich, the web desk with templates, so both show the
same lines, columns and labels (``models.labels``).

A sheet is a head (label: value lines) and titled grids (columns and rows of text). A line's
``tone`` says how loudly to show it (a warning, an error); the text is the same everywhere.
"""

from models.views.case import CaseListRow, CaseSheet, case_list, case_sheet
from models.views.council import (
    CouncilSheet,
    SessionSheet,
    absentees,
    council_list,
    council_sheet,
    held_text,
    member_label,
    quorum_needed,
    session_list,
    session_sheet,
)
from models.views.sheet import Grid, Line, Tone

__all__ = [
    "CaseListRow",
    "CaseSheet",
    "CouncilSheet",
    "Grid",
    "Line",
    "SessionSheet",
    "Tone",
    "absentees",
    "case_list",
    "case_sheet",
    "council_list",
    "council_sheet",
    "held_text",
    "member_label",
    "quorum_needed",
    "session_list",
    "session_sheet",
]
