"""The read model: a projection of every case and its transition log, of the councils and
their sessions, and the mail outbox. Workflows never import this module; only activities
write it, and the CLI and dashboard read it. Every change to a table here needs a revision
in persistence/migrations/versions (a test compares the two)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    # the desk's list: one department's cases in one state, by deadline (migration 0006)
    __table_args__ = (
        Index("ix_cases_department_state_deadline", "department", "state", "next_deadline"),
    )

    case_id: str = Field(primary_key=True, max_length=32)
    external_ref: str | None = Field(default=None, unique=True, max_length=200)
    title: str = Field(max_length=300)
    kind: str = Field(index=True, max_length=40)
    category: str = Field(max_length=20)
    department: str = Field(index=True, max_length=100)
    state: str = Field(index=True, max_length=40)
    fiscal_year: int = Field(index=True)
    seq: int
    next_deadline: dt.date | None = None
    next_deadline_what: str | None = Field(default=None, max_length=100)
    parent_case: str | None = Field(default=None, max_length=32)
    updated_at: dt.datetime


class TransitionRow(SQLModel, table=True):
    __tablename__ = "case_transitions"

    case_id: str = Field(primary_key=True, foreign_key="cases.case_id", max_length=32)
    seq: int = Field(primary_key=True)
    trigger: str | None = Field(default=None, max_length=40)
    source: str | None = Field(default=None, max_length=40)
    dest: str = Field(max_length=40)
    actor_role: str = Field(max_length=20)
    actor_name: str = Field(max_length=100)  # "" once the actor is in ``people`` (actor_ref)
    actor_ref: str | None = Field(default=None, max_length=40)  # people.ref (migration 0008)
    at: dt.datetime
    on: dt.date
    reason: str | None = None
    mac: str | None = Field(default=None, max_length=64)  # persistence/seal.py: edits show


class ReminderRow(SQLModel, table=True):
    """A reminder to the secretariat (no personal data: the session, what is due, when)."""

    __tablename__ = "reminders"

    session_id: str = Field(primary_key=True, max_length=80)
    what: str = Field(primary_key=True, max_length=40)
    due: dt.date
    sent_at: dt.datetime


class OutboxRow(SQLModel, table=True):
    """One reminder mail, exactly once per key: prepared → committing → sent, or unknown (see
    activities/mail.py). Holds no body: the mail is rebuilt from the workflow's input.
    ``attempt_id`` is the try that holds the row while ``lease_until`` lies ahead."""

    __tablename__ = "outbox"

    key: str = Field(primary_key=True, max_length=200)
    message_id: str = Field(max_length=100)
    recipients: str  # comma-separated
    subject: str = Field(max_length=500)
    state: str = Field(index=True, max_length=20)
    attempts: int = 0
    updated_at: dt.datetime
    sent_at: dt.datetime | None = None
    attempt_id: str | None = Field(default=None, max_length=40)
    lease_until: dt.datetime | None = None


class CaseDeadlineRow(SQLModel, table=True):
    """A case's pending or past deadlines, replaced whole on each projection; the calendar
    feed lists a department's upcoming ones. No personal data."""

    __tablename__ = "deadlines"

    case_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=100)
    department: str = Field(index=True, max_length=100)
    case_number: str = Field(max_length=200)
    title: str = Field(max_length=300)
    what: str = Field(max_length=200)
    due_on: dt.date = Field(index=True)
    window_from: dt.date | None = None
    status: str = Field(max_length=20)
    updated_at: dt.datetime


class DocumentRow(SQLModel, table=True):
    """A generated document file: one row per subject + type + format + data version. No
    content here (the file is under the documents folder; its SHA-256 proves which)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("subject_id", "doc_type", "format", "data_version", name="uq_document"),
    )

    id: str = Field(primary_key=True, max_length=40)
    subject: str = Field(max_length=20)  # case / session
    subject_id: str = Field(index=True, max_length=80)  # the case id, or the session id
    doc_type: str = Field(max_length=40)
    format: str = Field(max_length=10)
    data_version: str = Field(max_length=40)  # the case seq, or the session record's digest
    sha256: str = Field(max_length=64)
    path: str
    size: int
    template: str = Field(max_length=200)
    generated_at: dt.datetime


class CouncilRow(SQLModel, table=True):
    """One council: its rules and the size of its roster. No member names."""

    __tablename__ = "councils"

    council_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=300)
    seats: int
    quorum: str = Field(max_length=40)
    member_count: int
    sessions_planned: int
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: dt.datetime


class SessionRow(SQLModel, table=True):
    """One session (第N回) as its workflow last projected it. No personal names. Times read
    back in UTC (``held_on`` is the day in Japan)."""

    __tablename__ = "sessions"

    session_id: str = Field(primary_key=True, max_length=80)
    council_id: str = Field(index=True, max_length=32)
    fiscal_year: int = Field(index=True)
    ordinal: int
    held_on: dt.date = Field(index=True)
    starts_at: dt.datetime
    state: str = Field(index=True, max_length=40)
    minutes: str | None = Field(default=None, max_length=20)
    minutes_due: dt.date | None = None
    item_count: int
    warning_count: int
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: dt.datetime


class SessionItemRow(SQLModel, table=True):
    """One case on a session's agenda, replaced whole with its session row. No titles, no
    names: join ``cases`` for what a list shows."""

    __tablename__ = "session_items"

    session_id: str = Field(
        primary_key=True, foreign_key="sessions.session_id", ondelete="CASCADE", max_length=80
    )
    case_id: str = Field(primary_key=True, index=True, max_length=32)
    position: int
    status: str = Field(max_length=40)
    outcome: str | None = Field(default=None, max_length=40)
    answer_number: str | None = Field(default=None, max_length=40)


class UserRow(SQLModel, table=True):
    """A desk account: an argon2id hash, never a password. ``roles`` is comma-separated
    ``models.accounts.UserRole`` values."""

    __tablename__ = "users"

    username: str = Field(primary_key=True, max_length=40)
    display_name: str = Field(max_length=100)  # "" once the name is in ``people`` (person_ref)
    person_ref: str | None = Field(default=None, max_length=40)  # people.ref (migration 0008)
    roles: str = Field(max_length=200)
    department: str | None = Field(default=None, index=True, max_length=100)
    password_hash: str = Field(max_length=200)
    disabled: bool = False
    failed_attempts: int = 0
    locked_until: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class WebSessionRow(SQLModel, table=True):
    """A desk login, server-side: the cookie holds a random token, this row only its SHA-256,
    so a copy of the database cannot be replayed as a cookie. Revoked on logout."""

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(index=True, foreign_key="users.username", max_length=40)
    csrf_token: str = Field(max_length=64)
    created_at: dt.datetime
    last_seen: dt.datetime
    expires_at: dt.datetime
    revoked: bool = False


class AuditRecordRow(SQLModel, table=True):
    """One audit record (edge/audit.py): who, in which role, did what, to which case, when
    (UTC), from where. Append-only; ``mac`` chains it to the record before (``prev_mac``)."""

    __tablename__ = "audit_records"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: dt.datetime = Field(index=True)
    actor: str = Field(max_length=40)
    role: str = Field(max_length=200)
    action: str = Field(max_length=40)
    case_id: str | None = Field(default=None, index=True, max_length=80)
    detail: str = Field(default="", max_length=500)
    source: str = Field(max_length=100)
    prev_mac: str = Field(max_length=64)
    mac: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    """The chain's head, one row: the last record's seq and MAC. Every writer updates it
    first, which serialises writers (the row lock) and shows a cut-off tail."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    mac: str = Field(max_length=64)
    # the last record a purge removed (edge/retention.py): the chain now starts after it, and
    # the database lets records up to it (and only those) be deleted (migration 0010)
    anchor_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    anchor_mac: str = Field(default="0" * 64, max_length=64)


class ApiTokenRow(SQLModel, table=True):
    """A personal API token (``Authorization: Bearer``) or the CLI's ``TOSHIN_TOKEN``: only its
    SHA-256 is kept, so a copy of the database opens nothing. Revoked, never deleted."""

    __tablename__ = "api_tokens"

    id_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(index=True, foreign_key="users.username", max_length=40)
    label: str = Field(max_length=100)
    created_at: dt.datetime
    last_used: dt.datetime | None = None
    revoked: bool = False


class PersonRow(SQLModel, table=True):
    """One person (an account, an actor, a member, a counterparty's contact): name and contact
    details sealed with the keyring (``Keyring.seal``, bound to the ref). The only table with
    names in it; read through ``persistence.people.PeopleBook.read`` (migration 0008)."""

    __tablename__ = "people"

    ref: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=20)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: dt.datetime


class FeedTokenRow(SQLModel, table=True):
    """The secret of a desk user's calendar feed URL: only its SHA-256 is kept. One live row
    per user; re-issuing revokes the old one, nothing is deleted. It opens the feed only."""

    __tablename__ = "feed_tokens"

    id_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(index=True, foreign_key="users.username", max_length=40)
    created_at: dt.datetime
    last_used: dt.datetime | None = None
    revoked: bool = False


class CaseArchiveRow(SQLModel, table=True):
    """An ended case's full record (its final snapshot and transition log), sealed with the
    payload keyring (``Keyring.seal``, bound to the case id), written when the case ends and
    kept for ``record_retention_years`` after ``ended_at`` (edge/archive.py, edge/retention.py).
    Only the id, the end state and times are in the clear."""

    __tablename__ = "case_archives"

    case_id: str = Field(primary_key=True, max_length=32)
    state: str = Field(max_length=40)
    seq: int
    ended_at: dt.datetime = Field(index=True)
    archived_at: dt.datetime
    record: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class PrecedentRow(SQLModel, table=True):
    """One public passage of a past answer or of published minutes (models/precedents.py),
    with what a search result shows. No personal names. Searched through a trigram index
    that the migration adds beside it (SQLite: the FTS5 table ``precedent_fts``; PostgreSQL:
    a pg_trgm GIN index on ``text``)."""

    __tablename__ = "precedents"

    key: str = Field(primary_key=True, max_length=200)  # case:source:n or case@session:n
    case_id: str = Field(index=True, max_length=32)
    session_id: str | None = Field(default=None, max_length=80)
    source: str = Field(max_length=20)
    position: int
    title: str = Field(max_length=300)
    department: str = Field(index=True, max_length=100)
    kind: str = Field(max_length=40)
    fiscal_year: int = Field(index=True)
    on: dt.date
    answer_number: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=40)
    text: str
