"""The audit outcome as text: 'failed: <reason>' rarely fits 32 characters, and PostgreSQL refuses
what does not fit (SQLite kept it whole), so a failed change could not be audited there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("outcome", type_=sa.Text(), existing_type=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("outcome", type_=sa.String(32), existing_type=sa.Text(), existing_nullable=False)
