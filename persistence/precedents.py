"""The precedents index (類似答申): writing an answer's or a session's public passages, and
searching them. SQLite searches its FTS5 trigram table, PostgreSQL the pg_trgm GIN index
(migration 0012); both give the same rows for the same words. Queries of one or two
characters (below a trigram) are matched by substring on both."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, delete, func, select

from models.precedents import ANSWER_SOURCES, PassageSource, PrecedentEntry
from persistence.tables import CaseRow, PrecedentRow

FTS = "precedent_fts"
SNIPPET_CHARS = 40  # either side of the first match
MAX_TERMS = 8


@dataclass(frozen=True)
class PrecedentHit:
    """One case that matched, with its best passage."""

    case_id: str
    title: str
    department: str
    on: dt.date
    answer_number: str | None
    outcome: str | None
    source: str
    snippet: str
    matches: int  # passages of the case that matched


def _key(entry: PrecedentEntry, source: PassageSource, position: int) -> str:
    if entry.session_id is not None:
        return f"{entry.case_id}@{entry.session_id}:{position}"
    return f"{entry.case_id}:{source.value}:{position}"


def _rows(session: Session, entry: PrecedentEntry) -> list[PrecedentRow]:
    case = session.get(CaseRow, entry.case_id)
    department = entry.department or (case.department if case else "")
    kind = entry.kind or (case.kind if case else "")
    return [
        PrecedentRow(
            key=_key(entry, p.source, p.position),
            case_id=entry.case_id,
            session_id=entry.session_id,
            source=p.source.value,
            position=p.position,
            title=entry.title,
            department=department,
            kind=kind,
            fiscal_year=entry.fiscal_year,
            on=entry.on,
            answer_number=entry.answer_number,
            outcome=entry.outcome,
            text=p.text,
        )
        for p in entry.passages
    ]


def _present(session: Session, entry: PrecedentEntry) -> list[PrecedentRow]:
    query = select(PrecedentRow).where(PrecedentRow.case_id == entry.case_id)
    if entry.session_id is None:
        query = query.where(col(PrecedentRow.source).in_([s.value for s in ANSWER_SOURCES]))
    else:
        query = query.where(PrecedentRow.session_id == entry.session_id)
    return list(session.exec(query))


def _same(a: PrecedentRow, b: PrecedentRow) -> bool:
    return a.model_dump() == b.model_dump()


def write_entry(session: Session, entry: PrecedentEntry) -> bool:
    """Make the index hold exactly ``entry``'s passages (an answer's, or one session's minutes
    of one case), in the caller's transaction. Idempotent: returns False when it already
    did."""
    wanted = {row.key: row for row in _rows(session, entry)}
    present = {row.key: row for row in _present(session, entry)}
    if present.keys() == wanted.keys() and all(_same(present[k], wanted[k]) for k in wanted):
        return False
    _remove(session, list(present))
    session.add_all(wanted.values())
    session.flush()
    if _sqlite(session):
        for row in wanted.values():
            session.execute(
                text(f"INSERT INTO {FTS} (text, key) VALUES (:text, :key)"),
                {"text": row.text, "key": row.key},
            )
    return True


def _remove(session: Session, keys: list[str]) -> None:
    if not keys:
        return
    session.exec(delete(PrecedentRow).where(col(PrecedentRow.key).in_(keys)))
    if _sqlite(session):
        for key in keys:
            session.execute(text(f"DELETE FROM {FTS} WHERE key = :key"), {"key": key})


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def terms_of(query: str) -> list[str]:
    """The words of a query (split on spaces, full-width ones too), at most ``MAX_TERMS``."""
    return [t for t in query.replace("\u3000", " ").split() if t][:MAX_TERMS]


def search(
    session: Session, query: str, *, limit: int = 20, exclude_case: str | None = None
) -> list[PrecedentHit]:
    """The cases whose passages hold every word of ``query``, best first (most matching
    passages, then the newest), each with a snippet of its first matching passage. The
    ranking is one grouped query; only the passages of the cases shown are read."""
    terms = terms_of(query)
    if not terms:
        return []
    where = _matches(session, terms)
    if exclude_case is not None:
        where.append(col(PrecedentRow.case_id) != exclude_case)
    matches = func.count().label("matches")
    newest = func.max(PrecedentRow.on).label("newest")
    ranked = (
        select(PrecedentRow.case_id, matches, newest)
        .where(*where)
        .group_by(col(PrecedentRow.case_id))
        .order_by(matches.desc(), newest.desc(), col(PrecedentRow.case_id))
        .limit(limit)
    )
    top = [case_id for case_id, _n, _on in session.exec(ranked)]
    if not top:
        return []
    rows = session.exec(
        select(PrecedentRow).where(*where).where(col(PrecedentRow.case_id).in_(top))
    )
    by_case: dict[str, list[PrecedentRow]] = {case_id: [] for case_id in top}
    for row in rows:
        by_case[row.case_id].append(row)
    return [_hit(by_case[case_id], terms[0]) for case_id in top]


def _matches(session: Session, terms: list[str]) -> list[Any]:
    """The conditions of a passage holding every term (SQLite: its FTS5 trigram table;
    PostgreSQL: LIKE, which the pg_trgm GIN index serves; terms below three characters:
    LIKE on both)."""
    if _sqlite(session) and all(len(t) >= 3 for t in terms):
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        keys = select(text("key")).select_from(text(FTS)).where(text(f"{FTS} MATCH :q"))
        return [col(PrecedentRow.key).in_(keys.params(q=match))]
    conditions: list[Any] = []
    for term in terms:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(col(PrecedentRow.text).like(f"%{escaped}%", escape="\\"))
    return conditions


def _hit(rows: list[PrecedentRow], term: str) -> PrecedentHit:
    answer = [r for r in rows if r.session_id is None]
    best = sorted(answer or rows, key=lambda r: (_ORDER[r.source], r.position))[0]
    return PrecedentHit(
        case_id=best.case_id,
        title=best.title,
        department=best.department,
        on=max(r.on for r in answer) if answer else best.on,
        answer_number=best.answer_number,
        outcome=best.outcome,
        source=best.source,
        snippet=snippet(best.text, term),
        matches=len(rows),
    )


_ORDER = {s.value: i for i, s in enumerate(PassageSource)}


def snippet(passage: str, term: str) -> str:
    """The passage around the first occurrence of ``term``, with … where it was cut."""
    at = passage.find(term)
    if at < 0:
        at = passage.lower().find(term.lower())
    start = max(0, at - SNIPPET_CHARS)
    end = min(len(passage), max(at, 0) + len(term) + SNIPPET_CHARS)
    return ("…" if start else "") + passage[start:end] + ("…" if end < len(passage) else "")


def conditions_of(session: Session, case_ids: list[str]) -> dict[str, list[str]]:
    """The conditions each of these cases was answered with, in their order."""
    if not case_ids:
        return {}
    query = (
        select(PrecedentRow)
        .where(col(PrecedentRow.case_id).in_(case_ids))
        .where(PrecedentRow.source == PassageSource.condition.value)
        .order_by(col(PrecedentRow.case_id), col(PrecedentRow.position))
    )
    out: dict[str, list[str]] = {}
    for row in session.exec(query):
        out.setdefault(row.case_id, []).append(row.text)
    return out


def fiscal_year_rows(session: Session, fiscal_year: int) -> list[PrecedentRow]:
    """Every passage of a fiscal year, by key (the export's source for titles and dates)."""
    query = select(PrecedentRow).where(PrecedentRow.fiscal_year == fiscal_year)
    return list(session.exec(query.order_by(col(PrecedentRow.key))))


__all__ = ["PrecedentHit", "conditions_of", "search", "snippet", "terms_of", "write_entry"]
