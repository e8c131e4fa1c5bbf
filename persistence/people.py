"""Personal data apart from the searchable store: one ``people`` row per person (accounts,
the actors of the transition log, members, counterparties' contacts), its name and contact
details sealed with the keyring (``Keyring.seal``, bound to the row's ref). List tables carry
only the ref: ``case_transitions.actor_ref``, ``users.person_ref``.

- A ref is ``p-`` + an HMAC of the person's identity under the audit key
  (``Sealer.person_ref``): ``user:<username>`` for an account and every act it signs,
  ``name:<recorded name>`` for an actor no account stands behind (histories from before
  accounts).
- ``PeopleBook.read`` is THE way names come back (the desk's header, ``user list``, the case
  timeline from the read model); everything else sees refs.
- ``adopt_plain_names`` moves the names of a database written before this table into it and
  blanks them in place (the worker runs it at start; on SQLite the file is then vacuumed and
  its WAL emptied, so the old bytes go too). A transition row is re-sealed over its ref only
  when its old MAC still verifies: an edited row keeps its name and stays reported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.case.record import Actor
from models.errors import CaseError
from persistence.audit import transition_row_mac
from persistence.seal import Sealer
from persistence.tables import PersonRow, TransitionRow, UserRow

_CONTEXT = b"toshin people\x00"
_TRAILING_USERNAME = re.compile(r"^(?P<name>.*)\((?P<username>[^()]+)\)$")


class SealingKeyring(Protocol):
    """What the book needs of ``edge.codec.Keyring`` (persistence never imports edge)."""

    def seal(self, plain: bytes, context: bytes = b"") -> bytes: ...

    def open(self, blob: bytes, context: bytes = b"") -> bytes: ...


@dataclass(frozen=True)
class Person:
    """A person's name and contact details, as pages and documents show them."""

    name: str
    phone: str | None = None
    address: str | None = None
    email: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Person:
        return cls(**json.loads(data))


def account_identity(username: str) -> str:
    return f"user:{username}"


def actor_identity(name: str, username: str | None) -> tuple[str, str]:
    """The identity of the person behind an actor and the name to keep for them: the account's
    display name (the recorded name without its "(username)") when an account signed the act."""
    if username:
        found = _TRAILING_USERNAME.match(name)
        shown = found["name"] if found and found["username"] == username else name
        return account_identity(username), shown or name
    return f"name:{name}", name


def actor_ref(sealer: Sealer, actor: Actor) -> str:
    """The ref a transition row names for ``actor`` (what reconcile compares)."""
    return sealer.person_ref(actor_identity(actor.name, actor.username)[0])


class PeopleBook:
    """Write and read the sealed ``people`` rows of one read model."""

    def __init__(self, keyring: SealingKeyring, sealer: Sealer) -> None:
        self.keyring = keyring
        self.sealer = sealer

    def ref(self, identity: str) -> str:
        return self.sealer.person_ref(identity)

    def _context(self, ref: str) -> bytes:
        return _CONTEXT + ref.encode()

    def put(
        self,
        session: Session,
        identity: str,
        person: Person,
        *,
        kind: str,
        now: dt.datetime,
        replace: bool = True,
    ) -> str:
        """Write the person's row (in the caller's transaction); their ref. With ``replace``
        False an existing row is left as it is (an actor never renames an account)."""
        ref = self.ref(identity)
        row = session.get(PersonRow, ref)
        if row is not None and not replace:
            return ref
        sealed = self.keyring.seal(person.to_bytes(), self._context(ref))
        if row is None:
            row = PersonRow(ref=ref, kind=kind, sealed=sealed, updated_at=now)
        else:
            row.sealed, row.updated_at = sealed, now
        session.add(row)
        return ref

    def put_actor(
        self, session: Session, name: str, username: str | None, *, now: dt.datetime
    ) -> str:
        """The ref of an act's actor, their row added when missing."""
        identity, name = actor_identity(name, username)
        return self.put(session, identity, Person(name=name), kind="actor", now=now, replace=False)

    def read(self, session: Session, refs: Iterable[str | None]) -> dict[str, Person]:
        """THE way back from refs to people: every ref found, opened (unknown refs are left
        out; a row that does not open is a ``CaseError`` naming it)."""
        wanted = sorted({r for r in refs if r})
        if not wanted:
            return {}
        rows = session.exec(select(PersonRow).where(col(PersonRow.ref).in_(wanted)))
        return {row.ref: self._open(row) for row in rows}

    def _open(self, row: PersonRow) -> Person:
        try:
            return Person.from_bytes(self.keyring.open(row.sealed, self._context(row.ref)))
        except Exception as err:  # the keyring's UnknownKeyError, TamperedPayloadError
            raise CaseError(
                f"people {row.ref}: the sealed name does not open with this keyring: {err}"
            ) from None

    def name_of(self, session: Session, ref: str | None, fallback: str = "") -> str:
        """One person's name; ``fallback`` (a legacy plain column) when there is no ref."""
        if not ref:
            return fallback
        person = self.read(session, [ref]).get(ref)
        return person.name if person else fallback


@dataclass(frozen=True)
class Adoption:
    """What ``adopt_plain_names`` moved, and the transition rows it left (MAC broken)."""

    users: int = 0
    transitions: int = 0
    left: int = 0


def adopt_plain_names(engine: Engine, book: PeopleBook) -> Adoption:
    """Move plain names (``users.display_name``, ``case_transitions.actor_name``) into
    ``people`` and blank them. Idempotent: a second run finds nothing; workers starting at
    once (compose) may collide on a new person's row, and the loser runs again."""
    try:
        adopted = _adopt(engine, book)
    except IntegrityError:
        adopted = _adopt(engine, book)
    if (adopted.users or adopted.transitions) and engine.dialect.name == "sqlite":
        _wipe_sqlite_remnants(engine)
    return adopted


def _wipe_sqlite_remnants(engine: Engine) -> None:
    """The blanked names' old bytes out of the SQLite file and its WAL: VACUUM rewrites the
    file without free space, the checkpoint empties the WAL. (PostgreSQL keeps dead tuples
    until a VACUUM FULL: see the README.)"""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _adopt(engine: Engine, book: PeopleBook) -> Adoption:
    now = dt.datetime.now(dt.UTC)
    users = transitions = left = 0
    with Session(engine) as session:
        for user in list(session.exec(select(UserRow).where(col(UserRow.person_ref).is_(None)))):
            identity = account_identity(user.username)
            user.person_ref = book.put(
                session, identity, Person(name=user.display_name), kind="account", now=now
            )
            user.display_name = ""
            session.add(user)
            users += 1
        session.flush()
        legacy = select(TransitionRow).where(
            col(TransitionRow.actor_ref).is_(None), TransitionRow.actor_name != ""
        )
        accounts = set(session.exec(select(UserRow.username)))
        refs: dict[str, str] = {}  # recorded name → ref: one row per person, one lookup
        with session.no_autoflush:
            for row in list(session.exec(legacy)):
                own = transition_row_mac(book.sealer, row)
                if row.mac is not None and not Sealer.same(row.mac, own):
                    left += 1
                    continue
                if row.actor_name not in refs:
                    found = _TRAILING_USERNAME.match(row.actor_name)
                    username = found["username"] if found else None
                    username = username if username in accounts else None
                    refs[row.actor_name] = book.put_actor(
                        session, row.actor_name, username, now=now
                    )
                    session.flush()
                row.actor_ref, row.actor_name = refs[row.actor_name], ""
                if row.mac is not None:
                    row.mac = transition_row_mac(book.sealer, row)
                session.add(row)
                transitions += 1
        session.commit()
    return Adoption(users=users, transitions=transitions, left=left)
