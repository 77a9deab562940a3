"""Schedule ids are never reused on SQLite (AUTOINCREMENT).

A schedule's id is part of its job ids, and so of the markers that keep a fire time from being
enqueued twice (kept 7 days). SQLite hands the highest id out again after that schedule is
deleted, so a new schedule could find its fire times already 'fired' and never run. PostgreSQL's
sequences never reuse an id; there is nothing to do there.

The table is rebuilt with foreign keys off (db.upgrade turns them off for migrations), so dropping
the old table cannot cascade to the runs; the list index is made again with its DESC, which the
rebuild cannot read back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "schedules", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_index("ix_schedules_list")
    op.create_index("ix_schedules_list", "schedules", [sa.text("enabled DESC"), "next_fire_at", "name"])


def downgrade() -> None:
    pass  # AUTOINCREMENT only keeps ids from coming back; nothing to undo
