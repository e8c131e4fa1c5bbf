"""Precedents (類似答申) for the CLI and the desk: search the index of past answers and public
minutes (persistence/precedents.py), for the secretariat and department heads only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from models.accounts import UserRole, UserView
from models.errors import InvalidPayload, RoleNotAllowed
from models.precedents import content_words
from persistence import precedents
from persistence.precedents import PrecedentHit

PRECEDENT_ROLES = frozenset({UserRole.secretariat, UserRole.department_head, UserRole.admin})
MAX_QUERY = 200
MAX_LIMIT = 100
SUGGESTED_CASES = 3  # similar past cases whose conditions a decision's draft offers


@dataclass(frozen=True)
class Suggestion:
    """A similar past case and the conditions it was answered with."""

    hit: PrecedentHit
    conditions: list[str]


def check_query(query: str, limit: int = 20) -> str:
    """The query stripped; InvalidPayload naming the field when it is empty or too long."""
    query = query.strip()
    if not precedents.terms_of(query):
        raise InvalidPayload("query: give at least one word to search for")
    if len(query) > MAX_QUERY:
        raise InvalidPayload(f"query: at most {MAX_QUERY} characters ({len(query)} given)")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidPayload(f"limit: from 1 to {MAX_LIMIT} ({limit} given)")
    return query


def may_search(user: UserView) -> bool:
    return any(role in PRECEDENT_ROLES for role in user.roles)


def search(engine: Engine, user: UserView, query: str, *, limit: int = 20) -> list[PrecedentHit]:
    """Past cases matching every word of ``query``, best first."""
    if not may_search(user):
        raise RoleNotAllowed(f"{user.username}: precedents are for the secretariat and heads")
    query = check_query(query, limit)
    with Session(engine) as session:
        return precedents.search(session, query, limit=limit)


def suggestions(engine: Engine, title: str, *, case_id: str) -> list[Suggestion]:
    """The conditions of the past cases whose answers and minutes share most of the title's
    content words (weighted by length), leaving out the case itself and cases answered
    without conditions."""
    words = content_words(title)[: precedents.MAX_TERMS]
    score: dict[str, int] = {}
    first: dict[str, PrecedentHit] = {}
    with Session(engine) as session:
        for word in words:
            for hit in precedents.search(session, word, limit=50, exclude_case=case_id):
                score[hit.case_id] = score.get(hit.case_id, 0) + len(word)
                first.setdefault(hit.case_id, hit)
        conditions = precedents.conditions_of(session, list(score))
    ranked = sorted((c for c in score if c in conditions), key=lambda c: (-score[c], c))
    return [Suggestion(first[c], conditions[c]) for c in ranked[:SUGGESTED_CASES]]
