"""The outbox's holds and states (persistence/outbox.py) on a real SQLite file; time is
passed in, never waited for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from persistence import outbox
from persistence.database import make_engine
from persistence.outbox import OutboxState, Verdict

T0 = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=15)
KEY = "case-0123456789ab/c1/b1"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'rm.db'}")
    yield engine
    engine.dispose()


def claim(engine: Engine, attempt: str, at: dt.datetime, **kw: Any) -> outbox.Claim:
    return outbox.claim(
        engine,
        key=KEY,
        message_id="<m@toshin>",
        recipients=["a@x.example"],
        subject="s",
        attempt_id=attempt,
        now=at,
        lease=LEASE,
        **kw,
    )


def test_a_live_hold_makes_a_second_try_wait_and_only_one_try_commits(engine: Engine) -> None:
    assert claim(engine, "a", T0).verdict is Verdict.send
    waiting = claim(engine, "b", T0 + dt.timedelta(seconds=5))
    assert (waiting.verdict, waiting.lease_until) == (Verdict.in_flight, T0 + LEASE)

    # a renews its hold while it talks; b still waits past a's first lease
    assert outbox.renew(
        engine, key=KEY, attempt_id="a", now=T0 + dt.timedelta(seconds=10), lease=LEASE
    )
    assert claim(engine, "b", T0 + dt.timedelta(seconds=20)).verdict is Verdict.in_flight

    # a froze: its hold ran out, b takes the row over; a can no longer commit or renew
    late = T0 + dt.timedelta(seconds=40)
    taken = claim(engine, "b", late)
    assert (taken.verdict, taken.attempts) == (Verdict.send, 2)
    assert not outbox.begin_commit(engine, key=KEY, attempt_id="a", now=late)
    assert not outbox.renew(engine, key=KEY, attempt_id="a", now=late, lease=LEASE)
    assert outbox.begin_commit(engine, key=KEY, attempt_id="b", now=late)
    assert not outbox.settle(engine, key=KEY, attempt_id="a", state=OutboxState.prepared, now=late)
    assert outbox.settle(engine, key=KEY, attempt_id="b", state=OutboxState.sent, now=late)

    again = claim(engine, "c", late + dt.timedelta(hours=1), resend_unknown=True)
    assert (again.verdict, again.attempts) == (Verdict.sent, 2)
    row = outbox.get(engine, KEY)
    assert row is not None and (row.state, row.lease_until) == ("sent", None)


def test_a_hold_lost_after_the_end_of_the_data_is_unknown_until_an_admin_resends(
    engine: Engine,
) -> None:
    claim(engine, "a", T0)
    assert outbox.begin_commit(engine, key=KEY, attempt_id="a", now=T0)
    assert claim(engine, "b", T0 + dt.timedelta(seconds=1)).verdict is Verdict.in_flight

    later = T0 + dt.timedelta(minutes=1)  # a died between the end of the data and the reply
    assert claim(engine, "b", later).verdict is Verdict.unknown
    assert claim(engine, "c", later).verdict is Verdict.unknown  # still not resent blindly
    row = outbox.get(engine, KEY)
    assert row is not None and row.state == "unknown"

    resent = claim(engine, "d", later, resend_unknown=True)
    assert (resent.verdict, resent.attempts) == (Verdict.send, 2)


def test_a_definite_refusal_releases_the_hold_at_once(engine: Engine) -> None:
    claim(engine, "a", T0)
    assert outbox.settle(engine, key=KEY, attempt_id="a", state=OutboxState.prepared, now=T0)
    retry = claim(engine, "b", T0 + dt.timedelta(seconds=1))
    assert (retry.verdict, retry.attempts) == (Verdict.send, 2)


def test_outbox_commits_are_synced_to_disk_on_sqlite(engine: Engine) -> None:
    seen: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _sync_level(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT INTO OUTBOX", "UPDATE OUTBOX")):
            seen.append(cursor.connection.execute("PRAGMA synchronous").fetchone()[0])

    claim(engine, "a", T0)
    outbox.begin_commit(engine, key=KEY, attempt_id="a", now=T0)
    outbox.settle(engine, key=KEY, attempt_id="a", state=OutboxState.sent, now=T0)

    assert seen == [2, 2, 2]  # FULL for every outbox write
    with engine.connect() as conn:  # the pooled connection is back to NORMAL for the rest
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1
