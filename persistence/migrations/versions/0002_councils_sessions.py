"""Councils, their sessions and the sessions' agenda items, projected by the workflows
(no personal names).

Revision ID: 0002_councils_sessions
Revises: 0001_baseline
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_councils_sessions"
down_revision: str | None = "0001_baseline"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "councils",
        sa.Column("council_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("quorum", sa.String(length=40), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("sessions_planned", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("council_id"),
    )
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(length=80), nullable=False),
        sa.Column("council_id", sa.String(length=32), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("minutes", sa.String(length=20), nullable=True),
        sa.Column("minutes_due", sa.Date(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_sessions_council_id", "sessions", ["council_id"], unique=False)
    op.create_index("ix_sessions_fiscal_year", "sessions", ["fiscal_year"], unique=False)
    op.create_index("ix_sessions_held_on", "sessions", ["held_on"], unique=False)
    op.create_index("ix_sessions_state", "sessions", ["state"], unique=False)
    op.create_table(
        "session_items",
        sa.Column("session_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("answer_number", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.session_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "case_id"),
    )
    op.create_index("ix_session_items_case_id", "session_items", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("session_items")
    op.drop_table("sessions")
    op.drop_table("councils")
