"""Desk accounts and their server-side sessions: small keyword-only functions. Written only
through ``edge.users`` (accounts are not case state: no workflow owns them)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select, update

from persistence.tables import ApiTokenRow, FeedTokenRow, UserRow, WebSessionRow


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone; every one stored here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def get_user(session: Session, *, username: str) -> UserRow | None:
    return session.get(UserRow, username)


def list_users(session: Session) -> list[UserRow]:
    return list(session.exec(select(UserRow).order_by(col(UserRow.username))))


def save_user(session: Session, *, row: UserRow) -> None:
    session.add(row)


def add_web_session(session: Session, *, row: WebSessionRow) -> None:
    session.add(row)


def get_web_session(session: Session, *, id_hash: str) -> WebSessionRow | None:
    return session.get(WebSessionRow, id_hash)


def revoke_web_sessions(session: Session, *, username: str) -> int:
    """Revoke every live session of a user (password change, disabled account)."""
    result = session.exec(
        update(WebSessionRow)
        .where(col(WebSessionRow.username) == username, col(WebSessionRow.revoked).is_(False))
        .values(revoked=True)
    )
    return int(result.rowcount)


def add_api_token(session: Session, *, row: ApiTokenRow) -> None:
    session.add(row)


def get_api_token(session: Session, *, id_hash: str) -> ApiTokenRow | None:
    return session.get(ApiTokenRow, id_hash)


def list_api_tokens(session: Session, *, username: str) -> list[ApiTokenRow]:
    query = select(ApiTokenRow).where(col(ApiTokenRow.username) == username)
    return list(session.exec(query.order_by(col(ApiTokenRow.created_at))))


def add_feed_token(session: Session, *, row: FeedTokenRow) -> None:
    session.add(row)


def get_feed_token(session: Session, *, id_hash: str) -> FeedTokenRow | None:
    return session.get(FeedTokenRow, id_hash)


def live_feed_tokens(session: Session, *, username: str) -> list[FeedTokenRow]:
    query = select(FeedTokenRow).where(
        col(FeedTokenRow.username) == username, col(FeedTokenRow.revoked).is_(False)
    )
    return list(session.exec(query.order_by(col(FeedTokenRow.created_at))))
