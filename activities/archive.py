"""Archives an ended case: its final snapshot and transition log, sealed with the payload
keyring, into the read model's ``case_archives`` before the namespace's retention can delete
the workflow (edge/archive.py reads it back)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from edge.codec import Keyring
from models.archive import ArchiveCaseInput, ArchiveCaseResult
from persistence.archive import seal_context, write_archive


class ArchiveActivities:
    def __init__(self, engine: Engine, keyring: Keyring | None) -> None:
        self._engine = engine
        self._keyring = keyring

    @activity.defn(name="archive_case")
    def archive_case(self, inp: ArchiveCaseInput) -> ArchiveCaseResult:
        """Write the ended case's sealed record. Idempotent by (case id, end state, seq): a
        re-run leaves the row written first."""
        snap = inp.snapshot
        if self._keyring is None:
            raise ApplicationError(
                "the worker has no payload keyring to seal the archive with", non_retryable=True
            )
        sealed = self._keyring.seal(snap.model_dump_json().encode(), seal_context(snap.case_id))
        try:
            return self._write(inp, sealed)
        except IntegrityError:  # another try inserted the row between our read and our insert
            return self._write(inp, sealed)

    def _write(self, inp: ArchiveCaseInput, sealed: bytes) -> ArchiveCaseResult:
        snap, last = inp.snapshot, inp.snapshot.history[-1]
        with Session(self._engine) as session:
            written = write_archive(
                session,
                case_id=snap.case_id,
                state=snap.state.value,
                seq=last.seq,
                ended_at=last.at,
                record=sealed,
                now=dt.datetime.now(dt.UTC),
            )
            session.commit()
        return ArchiveCaseResult(written=written)
