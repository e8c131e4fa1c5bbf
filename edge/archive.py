"""The case archive: an ended case's full record (final snapshot and transition log), written
by the case workflow's last step (activities/archive.py) and read here when the workflow is
gone, so ended cases stay visible for ``record_retention_years`` after the namespace's
retention has deleted their workflows.

The record is sealed with the payload keyring (``Keyring.seal``, bound to the case id): a copy
of the read model without the keyring shows only the case id, its end state and times."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client

from edge.audit import keyring_of
from edge.codec import Keyring, KeyringCodec, KeyringError, TamperedPayloadError
from models.case.record import CaseSnapshot
from models.errors import CaseError, CaseNotFound
from persistence.archive import get_archive, seal_context
from persistence.database import make_engine
from persistence.tables import CaseArchiveRow
from settings import Settings

ARCHIVE_READ = "read from the archive"  # the detail of an archived case's audited read


def payload_keyring(client: Client, settings: Settings) -> Keyring:
    """The keyring the client's payloads are encrypted with (the same keyring seals the
    archive); the settings' keyring (``edge.audit.keyring_of``) when the client has none of
    ours."""
    codec = client.data_converter.payload_codec
    if isinstance(codec, KeyringCodec):
        return codec.keyring
    try:
        return keyring_of(settings)
    except KeyringError as err:
        raise CaseError(str(err)) from None


class CaseArchive:
    """Reads ended cases' records from the read model: on ``engine``, or on an engine made
    from the settings for each read (and disposed: archive reads are rare)."""

    def __init__(
        self, engine: Engine | None, keyring: Keyring, settings: Settings | None = None
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.settings = settings

    def _row(self, case_id: str) -> CaseArchiveRow | None:
        if self.engine is not None:
            with Session(self.engine) as session:
                return get_archive(session, case_id)
        settings = self.settings or Settings()
        engine = make_engine(
            settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        try:
            with Session(engine) as session:
                return get_archive(session, case_id)
        finally:
            engine.dispose()

    def snapshot(self, case_id: str) -> CaseSnapshot:
        """The archived final snapshot, marked with when it was archived; CaseNotFound when
        the case was never archived (or its archive was purged)."""
        row = self._row(case_id)
        if row is None:
            raise CaseNotFound(f"case {case_id}: not found")
        try:
            plain = self.keyring.open(row.record, seal_context(case_id))
            snap = CaseSnapshot.model_validate_json(plain)
        except (TamperedPayloadError, KeyringError) as err:
            raise CaseError(f"case {case_id}: its archived record cannot be read ({err})") from None
        except ValidationError:  # the message would quote the record: name the case only
            raise CaseError(f"case {case_id}: its archived record is not a case record") from None
        archived = row.archived_at
        if archived.tzinfo is None:  # SQLite hands times back naive (they are UTC)
            archived = archived.replace(tzinfo=dt.UTC)
        return snap.model_copy(update={"archived_at": archived})
