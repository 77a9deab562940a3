"""Alembic environment: migrations run on the connection queuetui hands over (db.upgrade)."""

from alembic import context

from queuetui.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `queuetui db upgrade`")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
