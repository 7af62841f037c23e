"""How long the database takes to search 1,000,000 records, on SQLite and on PostgreSQL.

Builds the test entity type ``gadget`` (tests/support/gadgets) with ``--rows`` records in a
new SQLite file and a new PostgreSQL database (``KONTOR_TEST_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``; dropped afterwards), creates the search index
(``core.records.search.create_index``), then times the query of ``search_entity`` for a
plain user, so record access is part of it: the median of 20 different queries (see
``time_queries`` for the figures). Then the
same without the index, for comparison.

    python benchmarks/search.py                       # both databases, 1,000,000 rows
    python benchmarks/search.py --rows 100000 --backend sqlite
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

QUERIES = 20
ACCESS_MODES = ("private", "public_read", "public_write", "restricted")


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Made-up words, some with umlauts, so names look like names and trigrams vary."""
    consonants, vowels = "bcdfghklmnprstvwz", "aeiouäöü"
    words = set()
    while len(words) < size:
        length = rng.randint(2, 4)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(length)).capitalize())
    return sorted(words)


def names(rows: int, words: list[str], rng: random.Random):
    for _ in range(rows):
        yield " ".join(rng.choice(words) for _ in range(3))


def build_app(database_url: str, instance: Path):
    from core import create_app
    from core import migrate as migrate_service
    from core.testing import app_config
    from tests.support import gadgets

    app = create_app(app_config(database_url, instance, LOAD_ENTRY_POINTS=False, PLUGINS=[gadgets]))
    with app.app_context():
        migrate_service.upgrade()
    return app


def fill(app, rows: int, words: list[str], rng: random.Random) -> None:
    """Bulk insert: executemany on SQLite, COPY on PostgreSQL."""
    from core import db

    now = datetime.now(timezone.utc)
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            driver = raw.driver_connection
            modes = [rng.choice(ACCESS_MODES) for _ in range(1000)]
            rows_iter = ((name, "new", 0, modes[n % 1000], "{}", now, now)
                         for n, name in enumerate(names(rows, words, rng)))
            columns = "name, status, price, access_mode, custom, created_at, updated_at"
            if db.engine.dialect.name == "postgresql":
                with driver.cursor() as cursor:
                    with cursor.copy(f"COPY gadgets_gadget ({columns}) FROM STDIN") as copy:
                        for row in rows_iter:
                            copy.write_row(row)
            else:
                stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
                driver.executemany(f"INSERT INTO gadgets_gadget ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   ((r[0], r[1], r[2], r[3], r[4], stamp, stamp) for r in rows_iter))
            driver.commit()
        finally:
            raw.close()


def setup_user(app):
    """A plain user listed on a few private records: what record access costs is measured too."""
    from core import db
    from core.models import RecordMember
    from core.testing import create_user

    with app.app_context():
        user = create_user("bench@example.com", "bench-secret-1", role="user", name="Bench User")
        ids = db.session.execute(text("SELECT id FROM gadgets_gadget WHERE access_mode = 'private' LIMIT 1000")).scalars()
        db.session.add_all([RecordMember(entity_type="gadget", record_id=i, user_id=user.id) for i in ids])
        db.session.commit()
        return user.id


def time_queries(app, user_id: int, queries: list[str]) -> dict[str, list[float]]:
    """Milliseconds per query: ``database`` runs the search's SQL and fetches the rows (no
    ORM objects); ``search`` is the whole ``search_entity`` call (SQL, ORM, results);
    ``server`` (PostgreSQL) is planning plus execution as the server reports it."""
    from core import db
    from core.auth.models import User
    from core.records import search

    figures: dict[str, list[float]] = {"database": [], "search": [], "server": [], "hits": []}
    with app.test_request_context():
        user = db.session.get(User, user_id)
        connection = db.session.connection()
        connection.execute(search.matching("gadget", user, queries[0], 20)).fetchall()  # warm up
        for query in queries:
            statement = search.matching("gadget", user, query, 20)
            start = time.perf_counter()
            rows = connection.execute(statement).fetchall()
            figures["database"].append((time.perf_counter() - start) * 1000)
            figures["hits"].append(len(rows))
            start = time.perf_counter()
            search.search_entity("gadget", user, query, 20)
            figures["search"].append((time.perf_counter() - start) * 1000)
            if connection.dialect.name == "postgresql":
                compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
                plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled),
                                                  compiled.params).scalar()
                figures["server"].append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
    return figures


def report(label: str, figures: dict[str, list[float]]) -> None:
    def median(name):
        return f"{statistics.median(figures[name]):.2f} ms"

    line = (f"  {label}: database median {median('database')} (max {max(figures['database']):.2f} ms), "
            f"whole search_entity median {median('search')}")
    if figures["server"]:
        line += f", server-side plan+execute median {median('server')}"
    print(line + f"; {len(figures['database'])} queries, hits median {statistics.median(figures['hits']):.0f}")


def run(backend: str, database_url: str, rows: int, baseline: bool) -> None:
    from core import db
    from core.records import search

    rng = random.Random(42)
    words = vocabulary(20000, rng)
    with tempfile.TemporaryDirectory() as instance:
        app = build_app(database_url, Path(instance))
        started = time.perf_counter()
        fill(app, rows, words, rng)
        filled = time.perf_counter()
        with app.app_context():
            with db.engine.begin() as connection:
                search.create_index(connection, "gadgets_gadget", ["name"])
        indexed = time.perf_counter()
        user_id = setup_user(app)
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                # What an operator (or autovacuum) does after a bulk load: statistics, the
                # visibility map, and the hint bits set once instead of by the first queries.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE"))
        # Parts of words that exist, some with umlauts, some in other case.
        queries = []
        for word in rng.sample(words, QUERIES):
            part = word[1:6] if len(word) > 6 else word
            queries.append(part.upper() if len(queries) % 3 == 0 else part)
        print(f"{backend}: {rows:,} rows (insert {filled - started:.1f} s, index {indexed - filled:.1f} s)")
        report("with index", time_queries(app, user_id, queries))
        if baseline:
            with app.app_context():
                with db.engine.begin() as connection:
                    search.drop_index(connection, "gadgets_gadget")
            report("without index", time_queries(app, user_id, queries[:5]))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--no-baseline", action="store_true", help="skip the queries without index")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{folder}/bench.sqlite3", args.rows, not args.no_baseline)
    if args.backend in ("postgresql", "both"):
        server = make_url(os.environ.get("KONTOR_TEST_DATABASE_URL")
                          or "postgresql://postgres@127.0.0.1:5432/test").set(drivername="postgresql+psycopg")
        name = f"kontor_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run("PostgreSQL", server.set(database=name).render_as_string(hide_password=False), args.rows,
                not args.no_baseline)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
