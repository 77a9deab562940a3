"""Alerts: how each one's latest webhook and email notices went.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("webhook_outcome", sa.String(500), nullable=True))
    op.add_column("alerts", sa.Column("email_outcome", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("email_outcome")
        batch.drop_column("webhook_outcome")
