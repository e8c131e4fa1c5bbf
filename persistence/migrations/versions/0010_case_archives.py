"""Case archives: an ended case's full record, sealed (edge/archive.py); the audit chain's
anchor, so records past retention can be purged (edge/retention.py) and the rest still verify.

Revision ID: 0010_case_archives
Revises: 0007_api_tokens
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_case_archives"
down_revision: str | None = "0008_people"
branch_labels: str | None = None
depends_on: str | None = None

GENESIS = "0" * 64
APPEND_ONLY = "audit_records is append-only"
# records up to the anchor (a purge moved it there first) may be deleted; no other record
SQLITE_DELETE_GUARD = (
    "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
    "WHEN OLD.seq > (SELECT anchor_seq FROM audit_head WHERE id = 1) "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
)
SQLITE_OLD_DELETE_GUARD = (
    "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
)
PG_GUARD = (
    "CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN IF TG_OP = 'DELETE' AND OLD.seq <= (SELECT anchor_seq FROM audit_head WHERE id = 1) "
    f"THEN RETURN OLD; END IF; RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
)
PG_OLD_GUARD = (
    "CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
)


def _guard(sqlite: str, postgresql: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_delete")
        op.execute(sqlite)
    elif dialect == "postgresql":
        op.execute(postgresql)


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
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anchor_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("anchor_mac", sa.String(length=64), nullable=False, server_default=GENESIS)
        )
    _guard(SQLITE_DELETE_GUARD, PG_GUARD)


def downgrade() -> None:
    _guard(SQLITE_OLD_DELETE_GUARD, PG_OLD_GUARD)
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("anchor_mac")
        batch_op.drop_column("anchor_seq")
    with op.batch_alter_table("case_archives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_archives_ended_at"))
    op.drop_table("case_archives")
