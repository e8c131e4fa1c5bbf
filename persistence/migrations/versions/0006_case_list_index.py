"""The case list's index: a department's cases in one state, by deadline (the desk's list and
its count read ~200 rows through it instead of every case in the state; bench.case_list).

Revision ID: 0006_case_list_index
Revises: 0005_outbox_lease
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_case_list_index"
down_revision: str | None = "0005_outbox_lease"
branch_labels: str | None = None
depends_on: str | None = None

NAME = "ix_cases_department_state_deadline"


def upgrade() -> None:
    # a database made by create_all from today's tables (tests do that) has it already
    if NAME not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("cases")}:
        op.create_index(NAME, "cases", ["department", "state", "next_deadline"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="cases")
