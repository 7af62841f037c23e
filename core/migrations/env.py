"""Alembic environment for Kontor; run through ``core.migrate``, not the alembic command.
One branch at a time: it compares and records only that branch's tables."""
from alembic import context

from core.db import UTCDateTime, db
from core.migrate import owned_by

config = context.config
connection = config.attributes["connection"]
prefix = config.attributes["branch"] + "_"
version_table = config.attributes["version_table"]


def render_item(type_, obj, autogen_context):
    # Revisions import UTCDateTime by name (the script template imports it).
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "UTCDateTime()"
    return False


context.configure(
    connection=connection,
    target_metadata=db.metadata,
    version_table=version_table,
    render_as_batch=connection.dialect.name == "sqlite",
    # A branch owns the tables whose names start with "<branch>_".
    include_object=owned_by((prefix,)),
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
