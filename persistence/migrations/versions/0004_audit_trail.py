"""The audit trail (edge/audit.py): append-only records chained by HMAC, the chain's head
(one row, the writers' lock), and a MAC on every transition row.

Revision ID: 0004_audit_trail
Revises: 0003_desk_accounts
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_audit_trail"
down_revision: str | None = "0003_desk_accounts"
branch_labels: str | None = None
depends_on: str | None = None

GENESIS = "0" * 64  # persistence/seal.py: the "previous MAC" of the first record
APPEND_ONLY = "audit_records is append-only"
SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_records_no_{verb.lower()} BEFORE {verb} ON audit_records "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
    for verb in ("UPDATE", "DELETE")
]
PG_GUARDS = [
    "CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$",
    "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
    "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()",
]


def upgrade() -> None:
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "mac": GENESIS}])
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=80), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("prev_mac", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_records_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_records_case_id"), ["case_id"], unique=False)
    # the application only appends; the MAC chain shows what someone with the rights to drop
    # these did anyway
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_GUARDS, "postgresql": PG_GUARDS}.get(dialect, []):
        op.execute(statement)

    # a legacy database made by create_all of these tables has the column already
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("case_transitions")}
    if "mac" not in columns:
        with op.batch_alter_table("case_transitions", schema=None) as batch_op:
            batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_transitions", schema=None) as batch_op:
        batch_op.drop_column("mac")

    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_records_case_id"))
        batch_op.drop_index(batch_op.f("ix_audit_records_at"))

    op.drop_table("audit_records")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_records_append_only()")
    op.drop_table("audit_head")
