"""Case archives: an ended case's full record, sealed (edge/archive.py).

Revision ID: 0010_case_archives
Revises: 0007_api_tokens
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_case_archives"
down_revision: str | None = "0007_api_tokens"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "case_archives",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("case_archives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_archives_ended_at"), ["ended_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_archives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_archives_ended_at"))
    op.drop_table("case_archives")
