"""Precedents (類似答申): the public passages of past answers and minutes, and their trigram
index (SQLite: an FTS5 table with the trigram tokenizer; PostgreSQL: pg_trgm's GIN index).

Revision ID: 0012_precedents
Revises: 0007_api_tokens
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_precedents"
down_revision: str | None = "0011_feed_tokens"
branch_labels: str | None = None
depends_on: str | None = None

FTS = "precedent_fts"
TRGM_INDEX = "ix_precedents_text_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if "precedents" not in sa.inspect(bind).get_table_names():
        op.create_table(
            "precedents",
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("case_id", sa.String(length=32), nullable=False),
            sa.Column("session_id", sa.String(length=80), nullable=True),
            sa.Column("source", sa.String(length=20), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("title", sa.String(length=300), nullable=False),
            sa.Column("department", sa.String(length=100), nullable=False),
            sa.Column("kind", sa.String(length=40), nullable=False),
            sa.Column("fiscal_year", sa.Integer(), nullable=False),
            sa.Column("on", sa.Date(), nullable=False),
            sa.Column("answer_number", sa.String(length=200), nullable=True),
            sa.Column("outcome", sa.String(length=40), nullable=True),
            sa.Column("text", sa.String(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
        with op.batch_alter_table("precedents", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_precedents_case_id"), ["case_id"], unique=False)
            batch_op.create_index(
                batch_op.f("ix_precedents_department"), ["department"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_precedents_fiscal_year"), ["fiscal_year"], unique=False
            )
    if bind.dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
            "text, key UNINDEXED, tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {FTS} (text, key) SELECT text, key FROM precedents")
    elif bind.dialect.name == "postgresql":
        # the extension lives once per database (in public unless it is there already)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        schema = bind.execute(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )
        ).scalar_one()
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON precedents"
            f' USING gin (text "{schema}".gin_trgm_ops)'
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
    with op.batch_alter_table("precedents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_precedents_fiscal_year"))
        batch_op.drop_index(batch_op.f("ix_precedents_department"))
        batch_op.drop_index(batch_op.f("ix_precedents_case_id"))
    op.drop_table("precedents")
