"""How long `audit verify` takes over a long audit trail (issue 12: one million records).

    .venv/bin/python -m bench.audit_verify [--records 1000000] [--url URL] [--smoke]

No server: it fills a temporary SQLite read model (or ``--url``, an empty database) with a
valid chain of N records, written in bulk with the same MACs ``AuditTrail.record`` writes,
times ``AuditTrail.verify`` over it (what `starter.py audit verify` runs), checks that it
passes, then edits one record in the middle (dropping the append-only triggers first, as the
database's owner could) and checks that verify names it. It also times
single appends (the desk's path: the chain head's lock, one transaction per record).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, insert, text, update

from edge.audit import AuditTrail, Who
from models.audit import AuditAction
from persistence.audit import HEAD, RECORDS
from persistence.database import make_engine
from persistence.seal import GENESIS, Sealer
from tests.read_models import drop_append_only_guards

SEALER = Sealer(b"bench audit key, not a secret!!!")
BATCH = 20_000
APPENDS = 200
T0 = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def fill(engine: Engine, n: int) -> None:
    """N chained records, as the desk would have written them, in bulk."""
    prev = GENESIS
    with engine.begin() as conn:
        for first in range(1, n + 1, BATCH):
            rows = []
            for seq in range(first, min(first + BATCH, n + 1)):
                fields = {
                    "at": T0 + dt.timedelta(seconds=seq),
                    "actor": f"user-{seq % 50:02d}",
                    "role": "department_head",
                    "action": AuditAction.case_read.value,
                    "case_id": f"c-{seq % 5000:06x}",
                    "detail": "",
                    "source": "10.0.0.1",
                }
                mac = SEALER.record_mac(prev, **fields)  # type: ignore[arg-type]
                rows.append({"seq": seq, "prev_mac": prev, "mac": mac, **fields})
                prev = mac
            conn.execute(insert(RECORDS), rows)
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=n, mac=prev))


def run(n: int, url: str | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'read_model.db'}")
        trail = AuditTrail(engine, SEALER)
        started = time.perf_counter()
        fill(engine, n)
        print(
            f"filled {n} records in {time.perf_counter() - started:.1f} s ({engine.dialect.name})"
        )

        started = time.perf_counter()
        report = trail.verify()
        took = time.perf_counter() - started
        rate = report.records / took
        print(f"audit verify: {report.records} records in {took:.2f} s "
              f"({rate:,.0f} records/s), {len(report.findings)} findings")  # fmt: skip
        if not report.ok or report.records != n:
            print("FAILED: a clean chain did not verify")
            return 1

        middle = n // 2 + 1
        with engine.begin() as conn:  # as the database's owner could
            drop_append_only_guards(conn)
            conn.execute(
                text("UPDATE audit_records SET detail = 'x' WHERE seq = :s"), {"s": middle}
            )
        started = time.perf_counter()
        report = trail.verify()
        took = time.perf_counter() - started
        first = report.first.line() if report.first else "nothing"
        print(f"after editing record {middle}: {took:.2f} s, first finding: {first}")
        if report.first is None or report.first.where != f"audit record {middle}":
            print("FAILED: the edited record was not named")
            return 1

        who = Who("bench", "admin", "127.0.0.1")
        times = []
        for _ in range(APPENDS):
            started = time.perf_counter()
            trail.record(who, AuditAction.case_read, case_id="c-000001")
            times.append((time.perf_counter() - started) * 1000)
        print(f"append: {APPENDS} records one by one, p50 {statistics.median(times):.2f} ms, "
              f"p95 {statistics.quantiles(times, n=20)[18]:.2f} ms")  # fmt: skip
        engine.dispose()
    print("OK")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--url", help="an empty read-model database (default: a temp SQLite)")
    parser.add_argument("--smoke", action="store_true", help="2,000 records (CI)")
    args = parser.parse_args()
    return run(2_000 if args.smoke else args.records, args.url)


if __name__ == "__main__":
    raise SystemExit(main())
