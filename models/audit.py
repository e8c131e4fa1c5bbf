"""What the audit trail records (edge/audit.py): the actions, as stable lowercase values (they
live in the database and the 事務局's CSV), and what `audit verify` finds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_ANCHOR = re.compile(r"^anchor (\d+) ([0-9a-f]{64});")


class AuditAction(StrEnum):
    login = "login"
    login_refused = "login_refused"
    login_locked = "login_locked"
    logout = "logout"
    case_read = "case_read"
    case_read_refused = "case_read_refused"
    case_act = "case_act"
    case_act_refused = "case_act_refused"
    case_list_csv = "case_list_csv"
    document_download = "document_download"
    admin_action = "admin_action"
    case_reset = "case_reset"  # a case met a reset of its workflow (recorded by the engine)
    session_reset = "session_reset"  # the same, for a session
    codec_decode = "codec_decode"
    codec_encode = "codec_encode"
    codec_refused = "codec_refused"
    api_token_issue = "api_token_issue"
    api_token_revoke = "api_token_revoke"
    feed_issued = "feed_issued"
    feed_revoked = "feed_revoked"
    records_purged = "records_purged"  # audit records and archives past retention removed


class Tampering(StrEnum):
    edited = "edited"  # the row no longer matches its MAC
    deleted = "deleted"  # a record (or the chain's tail) is gone
    reordered = "reordered"  # a record sits where another belongs
    unsigned = "unsigned"  # a transition row without a MAC
    file_missing = "file_missing"  # a generated document's file is gone
    file_replaced = "file_replaced"  # its bytes no longer hash to the stored SHA-256


@dataclass(frozen=True)
class Finding:
    """One thing `audit verify` found: what kind, which row, and why it says so."""

    kind: Tampering
    where: str  # "audit record 17", "transition case-ab12 #3", "document doc-…"
    detail: str

    def line(self) -> str:
        return f"{self.where}: {self.kind.value}: {self.detail}"


def purge_detail(anchor_seq: int, anchor_mac: str, what: str) -> str:
    """A purge record's detail: the chain's new anchor first (never cut off), then ``what``."""
    return f"anchor {anchor_seq} {anchor_mac}; {what}"[:500]


def vouched_anchor(detail: str) -> tuple[int, str] | None:
    """The anchor a purge record's detail names."""
    found = _ANCHOR.match(detail)
    return (int(found.group(1)), found.group(2)) if found else None
