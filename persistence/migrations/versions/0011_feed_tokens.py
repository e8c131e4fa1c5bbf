"""Calendar feed tokens (the SHA-256 of each desk user's secret feed URL), revocable.

Revision ID: 0011_feed_tokens
Revises: 0007_api_tokens
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_feed_tokens"
down_revision: str | None = "0010_case_archives"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["username"],
            ["users.username"],
        ),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_tokens_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_tokens_username"))

    op.drop_table("feed_tokens")
