"""`audit verify`: walk the audit chain and name every record that was edited, deleted or
reordered; check every transition row against its MAC and each case's log for gaps; check
every generated document file, and every evidence file a transition names
(``… (sha256:<hex>)``), against its stored SHA-256 (of the plain bytes: a sealed file is
opened first, see persistence/files.py). Read only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from models.audit import AuditAction, Finding, Tampering, vouched_anchor
from persistence import audit as repo
from persistence.files import SealedFileError, plain_sha256
from persistence.people import SealingKeyring
from persistence.seal import GENESIS, Sealer

_EVIDENCE = re.compile(r"\(sha256:([0-9a-f]{64})\)")


@dataclass
class VerifyReport:
    records: int = 0
    transitions: int = 0
    documents: int = 0
    evidence: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def verify_trail(
    engine: Engine,
    sealer: Sealer,
    documents_dir: Path | None,
    evidence_dir: Path | None = None,
    keyring: SealingKeyring | None = None,
) -> VerifyReport:
    """Every finding: the audit chain's first (in seq order), then the transition log's,
    then the documents', then the evidence files'."""
    return _Verifier(sealer, documents_dir, evidence_dir, keyring).run(engine)


@dataclass(frozen=True)
class _Verifier:
    sealer: Sealer
    documents_dir: Path | None
    evidence_dir: Path | None
    keyring: SealingKeyring | None
    evidence: dict[tuple[str, str], None] = field(default_factory=dict)  # (case, sha256)

    def run(self, engine: Engine) -> VerifyReport:
        report = VerifyReport()
        with engine.connect() as conn:
            self._verify_chain(conn, report)
            self._verify_transitions(conn, report)
            self._verify_documents(conn, report)
        self._verify_evidence(report)
        return report

    def _verify_chain(self, conn: Any, report: VerifyReport) -> None:
        broken: list[Link] = []
        anchor_seq, anchor_mac = repo.anchor(conn)  # the last purged record (edge/retention.py)
        expected_seq, last_mac, last_seq = anchor_seq + 1, anchor_mac, anchor_seq
        vouched: tuple[int, str] | None = None
        mac_of = self.sealer.record_mac
        for (
            seq,
            at,
            actor,
            role,
            action,
            case_id,
            detail,
            source,
            prev_mac,
            mac,
        ) in repo.iter_records(conn):
            report.records += 1
            own = mac_of(prev_mac, at=at, actor=actor, role=role, action=action,
                         case_id=case_id, detail=detail, source=source)  # fmt: skip
            if not Sealer.same(mac, own):
                report.findings.append(
                    Finding(Tampering.edited, f"audit record {seq}",
                            "its fields no longer match its MAC")
                )  # fmt: skip
            elif seq != expected_seq or prev_mac != last_mac:
                broken.append(Link(seq, prev_mac, last_seq, expected_seq))
            if action == AuditAction.records_purged:
                vouched = vouched_anchor(detail)
            expected_seq, last_mac, last_seq = seq + 1, mac, seq
        if anchor_seq and vouched != (anchor_seq, anchor_mac):
            report.findings.append(
                Finding(Tampering.deleted, f"audit record {_span(1, anchor_seq)}",
                        "the chain starts after a purge that no purge record vouches for")
            )  # fmt: skip
        if broken:
            report.findings.extend(self._classify(conn, broken))
        head_seq, head_mac = repo.head(conn)
        if head_seq != last_seq or head_mac != last_mac:
            report.findings.append(
                Finding(Tampering.deleted, f"audit record {_span(last_seq + 1, head_seq)}",
                        f"the chain's head is at record {head_seq}: the newest records are gone")
            )  # fmt: skip
        report.findings.sort(key=_finding_order)

    def _classify(self, conn: Any, broken: list[Link]) -> list[Finding]:
        by_mac = repo.record_macs(conn)
        found = []
        for link in broken:
            origin = 0 if link.prev_mac == GENESIS else by_mac.get(link.prev_mac)
            if origin is not None:
                place = "first" if origin == 0 else f"after record {origin}"
                found.append(
                    Finding(Tampering.reordered, f"audit record {link.seq}",
                            f"it belongs {place}, not after record {link.before}")
                )  # fmt: skip
            elif link.seq > link.expected:
                found.append(
                    Finding(Tampering.deleted, f"audit record {_span(link.expected, link.seq - 1)}",
                            f"gone from between records {link.before} and {link.seq}")
                )  # fmt: skip
            else:
                found.append(
                    Finding(Tampering.deleted, f"audit record {link.seq}",
                            f"the record before it is gone (renumbered after record {link.before})")
                )  # fmt: skip
        return found

    def _verify_transitions(self, conn: Any, report: VerifyReport) -> None:
        newest = repo.case_seqs(conn)
        case_id: str | None = None
        expected = 0
        for row in repo.iter_transitions(conn):
            report.transitions += 1
            if row.case_id != case_id:
                self._check_tail(report, case_id, expected, newest)
                case_id, expected = row.case_id, 0
            where = f"transition {row.case_id} #{row.seq}"
            if row.seq != expected:
                missing = f"#{expected}" + (f"–#{row.seq - 1}" if row.seq - 1 > expected else "")
                report.findings.append(
                    Finding(Tampering.deleted, f"transition {row.case_id} {missing}",
                            "missing from the case's log (deleted, or its projection skipped)")
                )  # fmt: skip
            expected = row.seq + 1
            for sha256 in _EVIDENCE.findall(row.reason or ""):
                self.evidence[(row.case_id, sha256)] = None
            if row.mac is None:
                report.findings.append(Finding(Tampering.unsigned, where, "the row has no MAC"))
                continue
            own = repo.transition_row_mac(self.sealer, row)
            if not Sealer.same(row.mac, own):
                report.findings.append(
                    Finding(Tampering.edited, where, "its fields no longer match its MAC")
                )
        self._check_tail(report, case_id, expected, newest)

    @staticmethod
    def _check_tail(
        report: VerifyReport, case_id: str | None, expected: int, newest: dict[str, int]
    ) -> None:
        if case_id is not None and newest.get(case_id, -1) >= expected:
            report.findings.append(
                Finding(Tampering.deleted, f"transition {case_id} #{expected}",
                        f"the case is at #{newest[case_id]} but its log ends before")
            )  # fmt: skip

    def _verify_documents(self, conn: Any, report: VerifyReport) -> None:
        for row in repo.iter_documents(conn):
            report.documents += 1
            where = f"document {row.id}"
            path = Path(row.path)
            if not path.is_absolute() and self.documents_dir is not None:
                path = self.documents_dir / path
            self._check_file(report, where, path, row.sha256)

    def _verify_evidence(self, report: VerifyReport) -> None:
        if self.evidence_dir is None:
            return
        for case_id, sha256 in self.evidence:
            report.evidence += 1
            where = f"evidence {case_id} {sha256[:12]}"
            folder = self.evidence_dir / case_id
            found = sorted(folder.glob(f"{sha256}.*")) if folder.is_dir() else []
            path = found[0] if found else folder / f"{sha256}.*"
            self._check_file(report, where, path, sha256)

    def _check_file(self, report: VerifyReport, where: str, path: Path, sha256: str) -> None:
        try:
            digest = plain_sha256(path, self.keyring)
        except FileNotFoundError:
            report.findings.append(Finding(Tampering.file_missing, where, f"{path} is gone"))
            return
        except SealedFileError as err:
            report.findings.append(Finding(Tampering.file_replaced, where, str(err)))
            return
        if digest != sha256:
            report.findings.append(
                Finding(Tampering.file_replaced, where,
                        f"{path} does not hash to its stored SHA-256")
            )  # fmt: skip


@dataclass(frozen=True)
class Link:
    """A record whose link to the one before it is broken."""

    seq: int
    prev_mac: str
    before: int  # the seq of the record before it in the table (0: none)
    expected: int  # the seq that should have come here


def _span(first: int, last: int) -> str:
    return str(first) if first >= last else f"{first}–{last}"


def _finding_order(finding: Finding) -> tuple[int, str]:
    number = finding.where.rsplit(" ", 1)[-1].split("–")[0]
    return (int(number) if number.isdigit() else 0, finding.kind.value)
