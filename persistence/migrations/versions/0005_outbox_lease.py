"""The outbox's lease: which try holds a reminder's row and until when (a retry that finds a
live lease waits instead of sending beside it).

Revision ID: 0005_outbox_lease
Revises: 0004_audit_trail
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_outbox_lease"
down_revision: str | None = "0004_audit_trail"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # a database made by create_all from today's tables (tests do that) has them already
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("outbox")}
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        if "attempt_id" not in have:
            batch_op.add_column(sa.Column("attempt_id", sa.String(length=40), nullable=True))
        if "lease_until" not in have:
            batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("attempt_id")
