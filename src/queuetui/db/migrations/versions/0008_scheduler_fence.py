"""The scheduler's fence: the highest lease token that wrote, so a deposed leader's writes are refused.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    fence = op.create_table(
        "scheduler_fence",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(300), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=True),
    )
    op.bulk_insert(fence, [{"name": "scheduler", "token": 0, "holder": "", "written_at": None}])


def downgrade() -> None:
    op.drop_table("scheduler_fence")
