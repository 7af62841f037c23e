"""Alembic environment for Kontor; run through ``core.migrate``, not the alembic command."""
from alembic import context

from core.db import UTCDateTime, db

config = context.config
connection = config.attributes["connection"]
only_branch = config.attributes.get("only_branch")


def include_object(obj, name, type_, reflected, compare_to):
    # A revision of one plugin compares only that plugin's tables (prefix "<branch>_").
    if only_branch and type_ == "table":
        return name.startswith(only_branch + "_")
    if only_branch and hasattr(obj, "table"):
        return obj.table.name.startswith(only_branch + "_")
    return name != "alembic_version"


def render_item(type_, obj, autogen_context):
    # Revisions import UTCDateTime by name (the script template imports it).
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "UTCDateTime()"
    return False


context.configure(
    connection=connection,
    target_metadata=db.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
