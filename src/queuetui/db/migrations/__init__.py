"""The schema's migrations: Alembic scripts in versions/, run by db.engine.upgrade.

HEAD names the newest of them, so that opening an up-to-date database (every start of the console,
the CLI, a worker) compares the database's revision with it without loading Alembic. A migration added
to versions/ moves HEAD to its revision; a test holds HEAD equal to the head Alembic reads from the
scripts.
"""

HEAD = "0009"
"""The revision of the newest migration in versions/."""
