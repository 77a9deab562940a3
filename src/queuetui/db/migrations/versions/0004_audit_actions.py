"""The audit trail of operator actions: host, role, requested/done/failed counts, job ids, end time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.alter_column(
            "count", new_column_name="done", existing_type=sa.Integer(), existing_nullable=False
        )
        batch.alter_column("outcome", type_=sa.Text(), existing_type=sa.String(32), existing_nullable=False)
        batch.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("host", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("requested", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("failed", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("job_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch.create_index("ix_audit_action", ["action"])
    # Rows from before: what they counted was done, and they ended when they were recorded.
    op.execute("UPDATE audit SET requested = done, ended_at = at")


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.drop_index("ix_audit_action")
        for column in ("job_ids", "failed", "requested", "role", "host", "ended_at"):
            batch.drop_column(column)
        batch.alter_column("outcome", type_=sa.String(32), existing_type=sa.Text(), existing_nullable=False)
        batch.alter_column(
            "done", new_column_name="count", existing_type=sa.Integer(), existing_nullable=False
        )
