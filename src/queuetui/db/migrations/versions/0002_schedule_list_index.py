"""An index in the schedules list's order, so its pages cost the same at 100 or 100,000 schedules.

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
    op.create_index("ix_schedules_list", "schedules", [sa.text("enabled DESC"), "next_fire_at", "name"])


def downgrade() -> None:
    op.drop_index("ix_schedules_list", table_name="schedules")
