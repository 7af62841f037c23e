"""Record service: search. ``search_entity`` finds the records of an entity type whose
``search_fields`` contain the query (case-insensitive substring), only those the user may
see, best matches first. A plugin's ``search`` hook calls it for each of its types.
``condition`` is the same test as a SQL condition for a list's quick search, ANDed into the
list's own (access-filtered, keyset-paginated) query.

The index behind it, made by ``create_index`` in a migration of the plugin that owns the
table (``drop_index`` in its downgrade):

* PostgreSQL: a GIN trigram index (``pg_trgm``) on the search fields, which serves
  ``ILIKE '%query%'``.
* SQLite: an FTS5 table with the trigram tokenizer over the search fields, kept in step
  with the table by triggers; queries of three characters or more ``MATCH`` it.

Without the index the search still works, scanning the table. A plugin uses it so::

    # migrations/versions/<branch>_000x_search.py
    def upgrade():
        search.create_index(op.get_bind(), "contacts_contact", ["name", "email"])

    def downgrade():
        search.drop_index(op.get_bind(), "contacts_contact")

    # __init__.py
    @hookimpl
    def search(user, query, limit):
        return search_service.search_entity("contact", user, query, limit)
"""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import func, literal_column, select, text

from core.access import filter_query
from core.db import db

bp = Blueprint("records_search", __name__, url_prefix="/records")


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Remove this service's rows of a deleted record (part of the caller's transaction).
    Nothing to do: the index follows the table by itself."""


# The index


def fts_table(table: str) -> str:
    # Named outside every plugin's "<branch>_" prefix, so that no branch's autogenerate
    # takes the FTS table (and its shadow tables) for one of its own tables to drop.
    return f"fts_{table}"


def _expression(fields) -> str:
    """The text searched: the fields joined by a space (one column: the column itself, so a
    plain trigram index serves it)."""
    if len(fields) == 1:
        return f'"{fields[0]}"'
    return " || ' ' || ".join(f"coalesce(\"{name}\", '')" for name in fields)


def create_index(connection, table: str, fields) -> None:
    """Create the search index of ``table`` over ``fields`` (``op.get_bind()`` in a migration)."""
    fields = list(fields)
    if connection.dialect.name == "postgresql":
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        connection.execute(text(f'CREATE INDEX IF NOT EXISTS "ix_{table}_search" ON "{table}" '
                                f"USING gin (({_expression(fields)}) gin_trgm_ops)"))
        return
    fts = fts_table(table)
    columns = ", ".join(f'"{name}"' for name in fields)
    new_values = ", ".join(f'new."{name}"' for name in fields)
    old_values = ", ".join(f'old."{name}"' for name in fields)
    statements = [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS \"{fts}\" USING fts5({columns}, content='{table}', "
        f"content_rowid='id', tokenize='trigram')",
        # An external-content FTS table needs the old values to remove a row's entry.
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_insert" AFTER INSERT ON "{table}" BEGIN '
        f'INSERT INTO "{fts}"(rowid, {columns}) VALUES (new.id, {new_values}); END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_delete" AFTER DELETE ON "{table}" BEGIN '
        f'INSERT INTO "{fts}"("{fts}", rowid, {columns}) VALUES (\'delete\', old.id, {old_values}); END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_update" AFTER UPDATE ON "{table}" BEGIN '
        f'INSERT INTO "{fts}"("{fts}", rowid, {columns}) VALUES (\'delete\', old.id, {old_values}); '
        f'INSERT INTO "{fts}"(rowid, {columns}) VALUES (new.id, {new_values}); END',
        # Rows that were there before the index.
        f"INSERT INTO \"{fts}\"(\"{fts}\") VALUES ('rebuild')",
    ]
    for statement in statements:
        connection.execute(text(statement))


def drop_index(connection, table: str) -> None:
    _known_fts.discard((str(connection.engine.url), table))
    if connection.dialect.name == "postgresql":
        connection.execute(text(f'DROP INDEX IF EXISTS "ix_{table}_search"'))
        return
    fts = fts_table(table)
    for action in ("insert", "delete", "update"):
        connection.execute(text(f'DROP TRIGGER IF EXISTS "{fts}_{action}"'))
    connection.execute(text(f'DROP TABLE IF EXISTS "{fts}"'))


# (database URL, table) of the FTS tables found, so a search asks once per process, not
# every time; drop_index forgets its table.
_known_fts: set[tuple[str, str]] = set()


def _has_fts(table: str) -> bool:
    key = (str(db.session.get_bind().url), table)
    if key not in _known_fts and db.session.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": fts_table(table)}).first() is not None:
        _known_fts.add(key)
    return key in _known_fts


# Searching


def _like_pattern(query: str, prefix_only: bool = False) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


# A list's quick search on SQLite: past this many FTS matches a term is common enough that
# walking the list in its own order (an index) and testing each row finds a page sooner than
# fetching and sorting every match. Fetching a match costs about ten times what testing a row
# on the walk does, so for a page of 25 from 1,000,000 rows the two meet near
# sqrt(25 x 1,000,000 / 10), about 1,600 (see benchmarks/contact_list.py): either way such a
# page costs a few milliseconds at worst. Lists with rare-or-common filters use it too.
COMMON_MATCHES = 2000


def condition(entity_type: str, query: str, ordered_list: bool = False):
    """The SQL condition "the record's ``search_fields`` contain ``query``" for a list query
    of ``entity_type``'s model (a list's quick search), or ``None`` for an empty query or a
    type without search fields. The same test ``matching`` makes, served by the same index:
    on SQLite the FTS table (queries of three characters or more), on PostgreSQL the trigram
    index. Record access is not part of it: the caller's query goes through ``filter_query``.

    ``ordered_list``: the caller shows a page of rows in an order an index gives (a keyset
    paginated list). On SQLite the matches are then fetched first (at most
    ``COMMON_MATCHES``): fewer, and the condition is their ids; as many, and the term is
    common enough to be tested row by row with ``LIKE`` as the list walks its order, instead
    of sorting all its matches. (PostgreSQL's planner makes that choice itself.)"""
    from core.records import entity_type as find_type

    declared = find_type(entity_type)
    query = (query or "").strip()
    if declared is None or not declared.search_fields or not query:
        return None
    model = declared.model
    table = model.__table__.name
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite and len(query) >= 3 and _has_fts(table):
        fts = fts_table(table)
        phrase = '"' + query.replace('"', '""') + '"'  # the whole query as one phrase: a substring
        matches = (select(literal_column("rowid")).select_from(text(f'"{fts}"'))
                   .where(text(f'"{fts}" MATCH :search_phrase').bindparams(search_phrase=phrase)))
        if not ordered_list:
            return model.id.in_(matches)
        found = list(db.session.execute(matches.limit(COMMON_MATCHES)).scalars())
        if len(found) < COMMON_MATCHES:
            return model.id.in_(found)  # the matches themselves: the FTS index is read once
    # PostgreSQL: ILIKE is what the trigram index serves. SQLite without FTS, a query too
    # short for trigrams or a common term in an ordered list: LIKE, case-insensitive for
    # ASCII only.
    return _searched(declared).ilike(_like_pattern(query), escape=_escape(sqlite))


def _searched(declared):
    return literal_column(_qualified(declared.model.__table__.name, declared.search_fields))


def _escape(sqlite: bool) -> str | None:
    # PostgreSQL's LIKE escapes with a backslash already; naming it costs a function call
    # per row in a prepared (generic) plan. SQLite's LIKE has no escape character unless told.
    return "\\" if sqlite else None


def matching(entity_type: str, user, query: str, limit: int = 20):
    """The ``select`` of ``entity_type``'s records matching ``query`` that ``user`` may see
    (with its view permission), best first: the text starting with the query, then shorter
    texts, then older records."""
    from core.records import entity_type as find_type

    declared = find_type(entity_type)
    found = condition(entity_type, query)
    if found is None or declared.view_permission is None:
        return None
    model = declared.model
    searched = _searched(declared)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    starts = searched.ilike(_like_pattern(query.strip(), True), escape=_escape(sqlite))
    statement = filter_query(select(model).where(found), user, declared.view_permission, entity_type)
    return statement.order_by(starts.desc(), func.length(searched), model.id).limit(limit)


def _qualified(table: str, fields) -> str:
    """``_expression`` with the table named, for queries (the same expression as the index's)."""
    if len(fields) == 1:
        return f'"{table}"."{fields[0]}"'
    return " || ' ' || ".join(f"coalesce(\"{table}\".\"{name}\", '')" for name in fields)


def search_entity(entity_type: str, user, query: str, limit: int = 20) -> list:
    """``SearchResult``s of ``entity_type`` for the ``search`` hook."""
    from core.declarations import SearchResult
    from core.records import entity_type as find_type
    from core.records import record_url, title

    statement = matching(entity_type, user, query, limit)
    if statement is None:
        return []
    declared = find_type(entity_type)
    return [SearchResult(entity_type=str(declared.label_plural), title=title(declared, record),
                         url=record_url(declared, record.id))
            for record in db.session.execute(statement).scalars()]
