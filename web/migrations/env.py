"""Alembic's environment for the links store: runs on the connection `web.migrate` hands it,
or on DATABASE_URL when the `alembic` command is used directly."""

import os

from alembic import context
from sqlalchemy import create_engine

from web.links import database_url, metadata

config = context.config


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = database_url(os.environ.get("INSTANCE_PATH", "instance"), os.environ.get("DATABASE_URL"))
    with create_engine(url).connect() as conn:
        run_migrations(conn)
        conn.commit()
