"""Alembic environment for the service directory.

Uses the connection handed over by actions.service_directory.upgrade_schema,
or else an engine for SERVICES_DATABASE_URL (SQLite under var/ by default).
"""

from __future__ import annotations

from alembic import context

from actions.service_directory import Base, make_engine

config = context.config
VERSION_TABLE = config.get_main_option("version_table") or "services_alembic_version"


def run_migrations(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine()
    with engine.begin() as new_connection:
        run_migrations(new_connection)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported here")
run_migrations_online()
