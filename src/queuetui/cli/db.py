"""`queuetui db`: migrate the schedule database, see its revision."""

from __future__ import annotations

from typing import Any

import click

from queuetui.cli.options import connection_options, database_errors, db_url_option, fail, settings_from


@click.group()
def db() -> None:
    """The schedule database: migrate it, see its revision."""


def _engine_for(connection: dict[str, Any], db_url: str | None) -> Any:
    from queuetui.db.engine import DatabaseError, create_engine

    settings = settings_from({**connection, "db_url": db_url})
    try:
        return create_engine(settings.db_url)
    except DatabaseError as exc:  # anything wrong with the URL itself is bad input here
        fail(str(exc), code=2)


@db.command("upgrade")
@connection_options
@db_url_option
def db_upgrade(connection: dict[str, Any], db_url: str | None) -> None:
    """Bring the database up to the newest schema (also done on first use)."""
    from queuetui.db.engine import redact, upgrade

    engine = _engine_for(connection, db_url)
    with database_errors():
        before, after = upgrade(engine)
    where = redact(str(engine.url))
    if before == after:
        click.echo(f"{where}: already at revision {after}")
    else:
        click.echo(f"{where}: upgraded from {before or 'an empty database'} to revision {after}")


@db.command("current")
@connection_options
@db_url_option
def db_current(connection: dict[str, Any], db_url: str | None) -> None:
    """Print the database's schema revision and whether it is the newest."""
    from queuetui.db.engine import current_revision, head_revision, redact

    engine = _engine_for(connection, db_url)
    with database_errors():
        current = current_revision(engine)
    state = "up to date" if current == head_revision() else f"behind (newest is {head_revision()})"
    click.echo(f"{redact(str(engine.url))}: revision {current or 'none (empty)'}, {state}")
