"""Retention: audit records and case archives are kept ``record_retention_years`` (default 10,
as municipal records rules keep answers), then ``admin purge`` removes them.

A purge removes, in one transaction: the audit records older than the cutoff (a prefix of the
chain), the archives of cases that ended before it and those cases' read-model rows. The MAC
of the last removed record becomes the chain's *anchor* (``audit_head.anchor_seq/anchor_mac``):
`audit verify` starts the chain there, so what remains still verifies, and the database lets
only records up to the anchor be deleted. The purge appends its own record
(``records_purged``), whose detail begins ``anchor <seq> <mac>;``: verify checks that the
newest such record names the anchor, so moving the anchor by hand (to hide a deletion) shows.
Times come from an injected clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from edge.audit import Who
from models.admin import reason_given
from models.audit import AuditAction, purge_detail
from models.errors import InvalidPayload
from persistence import retention as repo
from persistence.seal import Sealer


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def cutoff(now: dt.datetime, years: int) -> dt.datetime:
    """``years`` before ``now`` (29 February goes back to the 28th)."""
    if years < 1:
        raise InvalidPayload(f"record_retention_years: at least 1, got {years}")
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


class PurgeResult(BaseModel):
    cutoff: dt.datetime
    audit_records: int  # removed (or, in a dry run, that would be)
    archives: int
    anchor_seq: int  # the chain now starts after this record
    dry_run: bool


class Retention:
    """Purges one read model's audit records and archives past retention."""

    def __init__(
        self,
        engine: Engine,
        sealer: Sealer,
        years: int,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.engine = engine
        self.sealer = sealer
        self.years = years
        self.clock = clock

    def purge(self, who: Who, reason: str, *, dry_run: bool = False) -> PurgeResult:
        """Remove what is older than retention (audited); a dry run only counts it."""
        reason = reason_given(reason)
        before = cutoff(self.clock(), self.years)
        if dry_run:
            plan = repo.count(self.engine, before)
        else:

            def record(done: repo.PurgePlan) -> dict[str, Any]:
                detail = purge_detail(
                    done.through,
                    done.through_mac,
                    f"purged {done.records} audit records and {len(done.case_ids)} case "
                    f"archives from before {before:%Y-%m-%d} (retention {self.years} years); "
                    f"reason: {reason}",
                )
                return {
                    "actor": who.actor[:40],
                    "role": who.role[:200],
                    "action": AuditAction.records_purged.value,
                    "case_id": None,
                    "detail": detail,
                    "source": who.source[:100],
                }

            plan = repo.purge(self.engine, self.sealer, self.clock, before, record)
        return PurgeResult(
            cutoff=before,
            audit_records=plan.records,
            archives=len(plan.case_ids),
            anchor_seq=plan.through,
            dry_run=dry_run,
        )
