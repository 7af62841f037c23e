"""How much database work a page of the contacts list costs with 1,000,000 contacts, on
SQLite and on PostgreSQL, at any page depth.

Loads ``--rows`` contacts (companies and persons, mixed access modes, tags, a custom field,
managers) with bulk inserts into a new SQLite file and, when ``KONTOR_TEST_DATABASE_URL``
or ``--postgresql URL`` names a server, into a new PostgreSQL database there (dropped
afterwards). Then, for the owner and for a plain user (who sees the public contacts and the
few thousand private ones they manage), it measures the first page, a deep page (page
10,000, found through the ``after`` anchor as the "Next page" links do), filtered pages
(a rare tag, a common tag, a contact type, a custom field) and a quick search:

* list queries: ``plugins.contacts.listing.contact_page``, the function the list view
  builds its page with (rows, their tags, which rows may be changed, company names);
* whole request: ``GET /contacts/?...`` through Flask's test client, signed in, with every
  statement of the request (user, settings revision, filter choices, ...).

Database time is the sum of the time between SQLAlchemy's ``before_cursor_execute`` and
``after_cursor_execute`` events (the statement on the server plus the driver), median of
``--repeat`` runs. On PostgreSQL the server's own planning and execution time of the list
queries (EXPLAIN ANALYZE) is shown too: on a busy machine the round trips to the server
process take longer than the queries.

    python benchmarks/contact_list.py                         # SQLite, and PostgreSQL if configured
    python benchmarks/contact_list.py --rows 100000 --backend sqlite
    python benchmarks/contact_list.py --backend postgresql --postgresql postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/contact_list.py --plans                 # show the query plans too
    python benchmarks/contact_list.py --backend sqlite --sqlite-file /tmp/contacts.sqlite3  # load once, measure often
    python benchmarks/contact_list.py --backend postgresql --postgresql-database kontor_bench_kept   # the same
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PASSWORD = "bench-secret-1"
PAGE_SIZE = 25
DEEP_PAGE = 10_000
LISTED = 3_000  # private contacts the plain user manages
# access mode -> share of the contacts
ACCESS = (("private", 45), ("public_read", 25), ("public_write", 25), ("restricted", 5))
COMPANY_SHARE = 0.2
# tag -> share of the contacts carrying it
TAGS = (("VIP", 0.01), ("Newsletter", 0.30), ("Messe 2026", 0.10), ("Partner", 0.05))
REGIONS = ("Nord", "Süd", "Ost", "West")
COLUMNS = ("kind", "name", "first_name", "last_name", "company_id", "type_id", "temperature_id", "email", "phone",
           "emails", "phones", "websites", "billing_street", "billing_postcode", "billing_city", "billing_country",
           "shipping_street", "shipping_postcode", "shipping_city", "shipping_country", "description", "currency",
           "photo_type", "access_mode", "custom", "created_at", "updated_at")


def vocabulary(size: int, rng: random.Random) -> list[str]:
    consonants, vowels = "bcdfghklmnprstvwz", "aeiouäöü"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4))).capitalize())
    return sorted(words)


def contacts(rows: int, rng: random.Random):
    """``(id, row)`` of every contact: companies first (ids 1..companies), then persons,
    half of them at a company."""
    words = vocabulary(20_000, rng)
    modes = [mode for mode, share in ACCESS for _ in range(share)]
    companies = int(rows * COMPANY_SHARE)
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    for number in range(1, rows + 1):
        created = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        if number <= companies:
            kind, first, last = "company", "", ""
            name = f"{rng.choice(words)} {rng.choice(words)} {rng.choice(('GmbH', 'AG', 'KG', 'e.K.'))}"
            company_id = None
        else:
            kind, first, last = "person", rng.choice(words), rng.choice(words)
            name = f"{first} {last}"
            company_id = rng.randint(1, companies) if companies and rng.random() < 0.5 else None
        email = f"{(first or name.split()[0]).lower()}{number}@example.com"
        phone = f"+49221{number:07d}"
        custom = json.dumps({"region": rng.choice(REGIONS)}) if rng.random() < 0.8 else "{}"
        yield number, (kind, name, first, last, company_id, rng.choice((None, 1, 2, 3, 4)),
                       rng.choice((None, 1, 2, 3)), email, phone,
                       json.dumps([{"kind": "work", "value": email}]), json.dumps([{"kind": "work", "value": phone}]),
                       "[]", "", "", "", "DE", "", "", "", "", "", "EUR", "", rng.choice(modes), custom, created, created)


def sqlite_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def build_app(database_url: str, instance: Path):
    from core import create_app
    from core import migrate as migrate_service
    from core.testing import app_config

    app = create_app(app_config(database_url, instance, LOAD_ENTRY_POINTS=False))
    with app.app_context():
        migrate_service.upgrade()
    return app


def fill(app, rows: int, rng: random.Random) -> dict:
    """Bulk inserts (executemany on SQLite, COPY on PostgreSQL) with the search and custom
    field indexes dropped meanwhile and built once at the end, as a bulk import would."""
    from core import db
    from core.records import fields, search
    from core.records.models import FieldDefinition, Tag
    from core.testing import create_user
    from plugins.contacts.models import Contact, ContactType, Temperature

    with app.app_context():
        owner = create_user("owner@example.com", PASSWORD, role="owner", name="Olga Owner")
        plain = create_user("user@example.com", PASSWORD, role="user", name="Ulf User")
        others = [create_user(f"seller{n}@example.com", PASSWORD, role="user", name=f"Seller {n}") for n in range(10)]
        db.session.add_all([ContactType(id=n, name=name, position=n) for n, name in
                            enumerate(("Kunde", "Lieferant", "Interessent", "Partner"), start=1)])
        db.session.add_all([Temperature(id=n, name=name, color=color, position=n) for n, (name, color) in
                            enumerate((("kalt", "#0d6efd"), ("warm", "#fd7e14"), ("heiß", "#dc3545")), start=1)])
        db.session.add(FieldDefinition(entity_type="contact", key="region", label="Region", type="choice",
                                       choices=list(REGIONS)))
        tags = [Tag(entity_type="contact", name=name) for name, _share in TAGS]
        db.session.add_all(tags)
        db.session.commit()
        tag_ids = [(tag.id, share) for tag, (_name, share) in zip(tags, TAGS)]
        ids = {"owner": owner.id, "user": plain.id, "others": [user.id for user in others]}
        # No transaction of this session may stay open during the load: on PostgreSQL its
        # snapshot would keep VACUUM from marking the new rows visible to all (index-only scans).
        db.session.close()
        # The contacts table's own indexes too: built once from sorted data at the end, they
        # cost a fraction of keeping them up to date row by row.
        table_indexes = list(Contact.__table__.indexes)
        with db.engine.begin() as connection:
            search.drop_index(connection, "contacts_contact")
            fields.drop_index(connection, "contacts_contact")
            for index in table_indexes:
                index.drop(connection)

        links, members, listed = [], [], 0
        started = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            driver = raw.driver_connection
            postgres = db.engine.dialect.name == "postgresql"
            if not postgres:
                # A bulk load's settings: 500 MB of page cache (the default 2 MB makes every
                # index insert a disk read once the indexes outgrow it), no fsync meanwhile.
                driver.execute("PRAGMA cache_size = -500000")
                driver.execute("PRAGMA synchronous = OFF")

            def rows_of_contacts():
                nonlocal listed
                for number, row in contacts(rows, rng):
                    for tag_id, share in tag_ids:
                        if rng.random() < share:
                            links.append((tag_id, number))
                    if row[23] in ("private", "restricted"):
                        if listed < LISTED and rng.random() < 0.02:
                            members.append(("contact", number, ids["user"]))
                            listed += 1
                        else:
                            members.append(("contact", number, rng.choice(ids["others"])))
                    yield row

            columns = ", ".join(COLUMNS)
            if postgres:
                with driver.cursor() as cursor:
                    with cursor.copy(f"COPY contacts_contact ({columns}) FROM STDIN") as copy:
                        for row in rows_of_contacts():
                            copy.write_row(row)
                    with cursor.copy("COPY core_tag_link (tag_id, record_id) FROM STDIN") as copy:
                        for row in links:
                            copy.write_row(row)
                    with cursor.copy("COPY core_record_member (entity_type, record_id, user_id) FROM STDIN") as copy:
                        for row in members:
                            copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in COLUMNS)
                # SQLite keeps UTC times as text, as SQLAlchemy's DateTime writes them.
                driver.executemany(f"INSERT INTO contacts_contact ({columns}) VALUES ({marks})",
                                   (row[:-2] + (sqlite_time(row[-2]), sqlite_time(row[-1]))
                                    for row in rows_of_contacts()))
                driver.executemany("INSERT INTO core_tag_link (tag_id, record_id) VALUES (?, ?)", links)
                driver.executemany("INSERT INTO core_record_member (entity_type, record_id, user_id) VALUES (?, ?, ?)",
                                   members)
            driver.commit()
        finally:
            raw.close()
        inserted = time.perf_counter()
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA cache_size = -500000")
            for index in table_indexes:
                index.create(connection)
            search.create_index(connection, "contacts_contact", ["name", "email"])
            fields.create_index(connection, "contacts_contact")
        indexed = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load: statistics and the visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        print(f"  rows, tags and managers {inserted - started:.0f} s, indexes "
              f"{indexed - inserted:.0f} s, VACUUM ANALYZE {time.perf_counter() - indexed:.0f} s")
        return {**ids, "listed": listed}


@contextmanager
def counting(engine):
    """Count the statements and add up their database time while the block runs."""
    figures = {"statements": 0, "seconds": 0.0, "sql": []}

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        figures["seconds"] += time.perf_counter() - conn.info.pop("bench_started")
        figures["statements"] += 1
        figures["sql"].append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield figures
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def deep_anchor(app, user_id: int, args: dict, deep_page: int) -> int | None:
    """The ``after`` id that opens page ``deep_page`` of the list ``args`` for the user: the
    last row of the page before (found once here with OFFSET; the list itself never uses it)."""
    from core import db
    from core.auth.models import User
    from plugins.contacts import listing
    from plugins.contacts.models import Contact

    with app.test_request_context():
        user = db.session.get(User, user_id)
        query = listing.contact_query(user, listing.read_filters(args))
        sort, direction = listing.sort_order(args)
        column = listing.SORTS[sort]
        order = (column.desc(), Contact.id.desc()) if direction == "desc" else (column, Contact.id)
        return db.session.execute(query.with_only_columns(Contact.id).order_by(*order)
                                  .offset((deep_page - 1) * PAGE_SIZE - 1).limit(1)).scalar()


def measure(app, user_id: int, email: str, args: dict, repeat: int) -> dict:
    from core import db
    from core.auth.models import User
    from core.testing import sign_in
    from plugins.contacts import listing

    lists, requests, rows = [], [], 0
    client = sign_in(app.test_client(), email, PASSWORD)
    with app.app_context():
        engine = db.engine
    for attempt in range(repeat + 1):  # the first run warms the caches and is not counted
        with app.test_request_context():
            user = db.session.get(User, user_id)
            with counting(engine) as figures:
                page = listing.contact_page(user, args, PAGE_SIZE)
            rows = len(page.page.rows)
            db.session.remove()
        if attempt:
            lists.append(figures)
        with counting(engine) as figures:
            response = client.get("/contacts/", query_string=args)
        assert response.status_code == 200, response.status_code
        if attempt:
            requests.append(figures)
    server_ms = None
    if engine.dialect.name == "postgresql":
        # What the server itself spends (planning and execution, EXPLAIN ANALYZE) on the list
        # queries: the part of the time that does not depend on the client and the machine's load.
        with engine.connect() as connection:
            runs = []
            for _run in range(3):
                total = 0.0
                for statement, parameters in lists[-1]["sql"]:
                    plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement,
                                                      parameters).scalar()
                    total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
                runs.append(total)
            server_ms = statistics.median(runs)
    return {"rows": rows, "server_ms": server_ms, "list_ms": statistics.median(f["seconds"] for f in lists) * 1000,
            "list_statements": sorted({f["statements"] for f in lists}),
            "request_ms": statistics.median(f["seconds"] for f in requests) * 1000,
            "request_statements": sorted({f["statements"] for f in requests}),
            "list_sql": lists[-1]["sql"], "request_sql": requests[-1]["sql"]}


def show_plan(app, user_id: int, args: dict) -> None:
    """The plan of the page's main query (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)."""
    from core import db
    from core.auth.models import User
    from core.listing import paginate
    from plugins.contacts import listing
    from plugins.contacts.models import Contact

    with app.test_request_context():
        user = db.session.get(User, user_id)
        captured = {}

        def before(conn, cursor, statement, parameters, context, executemany):
            if "FROM contacts_contact" in statement and "LIMIT" in statement:
                captured.setdefault("main", (statement, parameters))

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            filters = listing.read_filters(args)
            sort, direction = listing.sort_order(args)
            paginate(listing.contact_query(user, filters), Contact, listing.SORTS, sort, direction,
                     args.get("after"), PAGE_SIZE)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        statement, parameters = captured["main"]
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            lines = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, parameters).scalars()
        else:
            lines = (row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        for line in lines:
            print("        " + line)


def cases(app, ids: dict) -> list[tuple[str, dict]]:
    """The pages measured: ``(label, query string)``."""
    from core import db
    from plugins.contacts.models import Contact

    with app.app_context():
        sample = db.session.get(Contact, 123_457 if db.session.get(Contact, 123_457) else 1)
        query = sample.last_name or sample.name.split()[0]
    return [("first page (name)", {}),
            ("first page (newest)", {"order": "created-desc"}),
            ("deep page (name)", {"deep": "1"}),
            ("deep page (newest)", {"order": "created-desc", "deep": "1"}),
            ("deep page (oldest)", {"order": "created-asc", "deep": "1"}),
            ("tag VIP (1 %)", {"tag": "VIP"}),
            ("tag Newsletter (30 %)", {"tag": "Newsletter"}),
            ("type Lieferant", {"type": "2"}),
            ("custom field region=Ost", {"cf_region": "Ost"}),
            ("persons, warm, Messe 2026", {"kind": "person", "temperature": "2", "tag": "Messe 2026"}),
            ("managed by the plain user", {"manager": str(ids["user"])}),
            (f"search {query!r}", {"q": query}),
            ("search 'example.com' (every row)", {"q": "example.com"})]


def loaded(app) -> dict | None:
    """The ids ``fill`` returned, if the database holds its contacts already (``--sqlite-file``)."""
    from core import db
    from core.models import RecordMember

    with app.app_context():
        users = dict(db.session.execute(text("SELECT email, id FROM core_user")).all())
        if "user@example.com" not in users:
            return None
        listed = db.session.query(RecordMember).filter_by(user_id=users["user@example.com"]).count()
        return {"owner": users["owner@example.com"], "user": users["user@example.com"], "listed": listed}


def run(label: str, database_url: str, rows: int, repeat: int, plans: bool) -> None:
    from core import db

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as instance:
        app = build_app(database_url, Path(instance))
        started = time.perf_counter()
        ids = loaded(app)
        if ids is None:
            ids = fill(app, rows, rng)
            print(f"\n{label}: {rows:,} contacts loaded in {time.perf_counter() - started:.0f} s "
                  f"(the plain user manages {ids['listed']:,} private ones)")
        else:
            print(f"\n{label}: the contacts of an earlier run (the plain user manages {ids['listed']:,} private ones)")
        for who, user_id, email in (("owner", ids["owner"], "owner@example.com"),
                                    ("plain user", ids["user"], "user@example.com")):
            print(f"  {who}:")
            for case, args in cases(app, ids):
                args = dict(args)
                if args.pop("deep", None):
                    # Page 10,000 (fewer with fewer rows: a page the plain user has too).
                    args["after"] = str(deep_anchor(app, user_id, args, min(DEEP_PAGE, rows // PAGE_SIZE // 4)))
                result = measure(app, user_id, email, args, repeat)
                server = f" (server {result['server_ms']:6.2f} ms)" if result["server_ms"] is not None else ""
                print(f"    {case:<36} {result['rows']:>2} rows  list queries {result['list_ms']:6.2f} ms{server} "
                      f"{'/'.join(map(str, result['list_statements']))} statements   whole request "
                      f"{result['request_ms']:6.2f} ms {'/'.join(map(str, result['request_statements']))} statements")
                if plans:
                    show_plan(app, user_id, args)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgresql", default=os.environ.get("KONTOR_TEST_DATABASE_URL", ""),
                        help="a PostgreSQL server URL (default: KONTOR_TEST_DATABASE_URL)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--plans", action="store_true", help="print the plan of each page's main query")
    parser.add_argument("--postgresql-database", help="keep the PostgreSQL database under this name; a later run "
                                                      "with the same name measures it again without loading")
    parser.add_argument("--sqlite-file", help="keep the SQLite database in this file; a later run with the same "
                                              "file measures it again without loading")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both") and args.sqlite_file:
        run("SQLite", f"sqlite:///{Path(args.sqlite_file).resolve()}", args.rows, args.repeat, args.plans)
    elif args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{folder}/bench.sqlite3", args.rows, args.repeat, args.plans)
    if args.backend in ("postgresql", "both"):
        if not args.postgresql:
            print("\nPostgreSQL: skipped (no KONTOR_TEST_DATABASE_URL, no --postgresql)")
            return
        server = make_url(args.postgresql).set(drivername="postgresql+psycopg")
        name = args.postgresql_database or f"kontor_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first():
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run("PostgreSQL", server.set(database=name).render_as_string(hide_password=False), args.rows,
                args.repeat, args.plans)
        finally:
            if not args.postgresql_database:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
