"""What the case workflow hands to the archive when a case ends (activities/archive.py):
the final snapshot, whose history is the case's whole transition log."""

from __future__ import annotations

from models.case.document import Strict
from models.case.record import CaseSnapshot


class ArchiveCaseInput(Strict):
    snapshot: CaseSnapshot


class ArchiveCaseResult(Strict):
    written: bool  # False: the same record was archived already
