"""Opaque case ids and the one place workflow ids are made. No personal data in either."""

from __future__ import annotations

import hashlib
import hmac
import uuid

_NAMESPACE = uuid.UUID("6f1c1f0e-2b1e-4c55-9a5e-3c0b7d1e2a90")
_CASE_ID = b"toshin case id v1\n"


def new_case_id(key: bytes, municipality: str, external_ref: str | None) -> str:
    """A 12-hex case id: random, or derived from the external reference with HMAC-SHA256 under
    the case-id key (kept outside the repository and the database), so a second case with the
    same reference gets the same id and is refused by Temporal itself, while nobody without
    the key can compute the id of a future case and occupy it."""
    if external_ref:
        message = _CASE_ID + f"{municipality}\x1f{external_ref}".encode()
        return hmac.digest(key, message, hashlib.sha256).hex()[:12]
    return uuid.uuid4().hex[:12]


def legacy_case_id(municipality: str, external_ref: str) -> str:
    """The id a reference got before ids were keyed (a uuid5 under a public namespace, which
    anyone could compute): still the id of the cases made then."""
    return uuid.uuid5(_NAMESPACE, f"{municipality}\x1f{external_ref}").hex[:12]


def case_workflow_id(case_id: str) -> str:
    return f"case-{case_id}"


def session_workflow_id(session_id: str) -> str:
    return f"session-{session_id}"


def council_workflow_id(council_id: str) -> str:
    return f"council-{council_id}"


def document_workflow_id(subject_id: str, doc_type: str, nonce: str) -> str:
    """One on-demand generation (the nonce tells two requests apart)."""
    return f"document-{subject_id}-{doc_type}-{nonce}"


def case_id_of(workflow_id: str) -> str | None:
    """The case id of a case workflow id; None for any other workflow."""
    prefix = case_workflow_id("")
    return workflow_id.removeprefix(prefix) if workflow_id.startswith(prefix) else None
