"""People apart from the searchable store: the sealed ``people`` table and the refs that
replace names in ``case_transitions`` and ``users``. The names already there are moved into
``people`` and blanked at worker start (``persistence.people.adopt_plain_names``): it needs
the keyring and the audit key, which a migration does not have.

Revision ID: 0008_people
Revises: 0007_api_tokens
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_people"
down_revision: str | None = "0007_api_tokens"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref"),
    )
    # a database made by create_all from today's tables (tests do that) has them already
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("case_transitions")}
    if "actor_ref" not in have:
        with op.batch_alter_table("case_transitions", schema=None) as batch_op:
            batch_op.add_column(sa.Column("actor_ref", sa.String(length=40), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_ref", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("person_ref")
    with op.batch_alter_table("case_transitions", schema=None) as batch_op:
        batch_op.drop_column("actor_ref")
    op.drop_table("people")
