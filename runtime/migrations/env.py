"""Alembic environment: runs on the connection handed over by runtime.migrate."""
from alembic import context

from runtime.models import metadata


def include_name(name, type_, parent_names):
    # App tables (t_*, l_*) change through the publish plan, never through autogenerate.
    if type_ == "table":
        return name in metadata.tables or name == "alembic_version"
    return True


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, include_name=include_name,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
