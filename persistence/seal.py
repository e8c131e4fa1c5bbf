"""The MACs that make edits to stored rows evident: HMAC-SHA256 with the audit key (kept
outside the database, see edge/audit.py), over a canonical form of the row.

- an audit record's MAC covers the MAC of the record before it (``prev_mac``) and its own
  fields, so the records form a chain: an edit breaks the record's own MAC, a deletion or a
  reordering breaks the link from the next record;
- a transition row's MAC covers its case id, seq and every field, so an edited row (or a row
  moved to another case or seq) no longer verifies. Rows naming their actor by ref (v2, the
  ``people`` table) cover the ref; rows written before it (v1) cover the plain name;
- a person's ref (``p-`` + 32 hex) is an HMAC of their identity (``user:<username>`` …), so
  the same person always gets the same ref and nobody without the key can tell whose it is.

The same functions write and verify; nothing here reads a key or touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field

GENESIS = "0" * 64  # the "previous MAC" of the first audit record
KEY_BYTES = 32
_RECORD = b"toshin audit record v1\n"
_TRANSITION = b"toshin transition v1\n"
_TRANSITION_V2 = b"toshin transition v2\n"
_PERSON = b"toshin person v1\n"
PERSON_REF_PREFIX = "p-"


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def utc_text(value: dt.datetime) -> str:
    """One text for one instant, whatever zone (or none: SQLite) the driver hands back."""
    if value.tzinfo is not dt.UTC:
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        value = aware.astimezone(dt.UTC)
    return value.isoformat(timespec="microseconds")


def _canonical(values: list[str | int | None]) -> bytes:
    return _JSON.encode(values).encode()


@dataclass(frozen=True)
class Sealer:
    """MACs under one audit key."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise ValueError(f"the audit key is {len(self.key)} bytes, not {KEY_BYTES}")

    def _mac(self, domain: bytes, body: bytes) -> str:
        return hmac.digest(self.key, domain + body, hashlib.sha256).hex()

    def record_mac(
        self,
        prev_mac: str,
        *,
        at: dt.datetime,
        actor: str,
        role: str,
        action: str,
        case_id: str | None,
        detail: str,
        source: str,
    ) -> str:
        body = _canonical([prev_mac, utc_text(at), actor, role, action, case_id, detail, source])
        return self._mac(_RECORD, body)

    def transition_mac(
        self,
        *,
        case_id: str,
        seq: int,
        trigger: str | None,
        source: str | None,
        dest: str,
        actor_role: str,
        actor_name: str,
        at: dt.datetime,
        on: dt.date,
        reason: str | None,
        actor_ref: str | None = None,
    ) -> str:
        if actor_ref is None:  # v1: written before the people table, the name in the row
            body = _canonical(
                [case_id, seq, trigger, source, dest, actor_role, actor_name, utc_text(at),
                 on.isoformat(), reason]
            )  # fmt: skip
            return self._mac(_TRANSITION, body)
        body = _canonical(
            [case_id, seq, trigger, source, dest, actor_role, actor_name, actor_ref,
             utc_text(at), on.isoformat(), reason]
        )  # fmt: skip
        return self._mac(_TRANSITION_V2, body)

    def person_ref(self, identity: str) -> str:
        """The opaque ref of a person (``p-`` + 128 bits of HMAC over their identity)."""
        return PERSON_REF_PREFIX + self._mac(_PERSON, identity.encode())[:32]

    @staticmethod
    def same(a: str | None, b: str) -> bool:
        return a is not None and hmac.compare_digest(a, b)
