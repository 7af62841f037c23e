"""How fast the contacts CSV import runs: rows per second for the whole import (read the
file, validate, find duplicates and companies, insert contacts, tag links and managers, keep
the search index), through the job's own code path (``plugins.contacts.imports.run_import``).

Generates ``--rows`` contacts (default 100,000) as a German Outlook-style CSV file
(semicolons, Windows-1252): German and English names, companies (a third of the persons work
for one of 2,000 companies; some rows are companies), streets, postcodes, phone numbers in
German and international shapes, some websites, a custom text field and a custom choice
field, tags on a third of the rows, and 1 % deliberate errors (a bad email, a missing last
name, a bad phone number, an unknown country). Imports it into a new SQLite file and, when
PostgreSQL is reachable (``--postgres URL``, else ``KONTOR_TEST_DATABASE_URL``, else
``postgresql://postgres@127.0.0.1:5432/test``), into a new PostgreSQL database that is
dropped afterwards.

    python benchmarks/import_contacts.py                     # 100,000 rows, both databases
    python benchmarks/import_contacts.py --rows 20000 --backend sqlite
    python benchmarks/import_contacts.py --floor              # and the database's own share

``--floor`` then writes what the import wrote (its contacts, their managers and tag links)
again into the emptied tables, batch by batch and the way the import writes (COPY or
``executemany`` through the DBAPI connection, the SQLite search index in bulk, a commit per
batch), and prints that rate: the database's work alone, with the contacts table's indexes
and search index, which no import into this table can beat.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

FIRST = ["Jürgen", "Anna", "Günther", "Sabine", "Michael", "Änne", "Thomas", "Claudia", "Stefan", "Jörg",
         "Katrin", "Uwe", "Heike", "Björn", "Sören", "Emily", "James", "Olivia", "William", "Sophie", "Oliver",
         "Charlotte", "Harry", "Mia", "Lukas", "Lena", "Maximilian", "Hannah", "Felix", "Lea"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker"]
COMPANY_WORDS = ["Bäckerei", "Schreinerei", "Autohaus", "Elektro", "Software", "Consulting", "Logistik",
                 "Metallbau", "Gärtnerei", "Druckerei", "Trading", "Solutions", "Systems", "Partners"]
FORMS = ["GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "Ltd", "Inc.", "UG (haftungsbeschränkt)"]
STREETS = ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schulstraße", "Dorfstraße", "Lindenallee",
           "Königsallee", "High Street", "Station Road", "Mühlenweg"]
CITIES = [("50667", "Köln"), ("80331", "München"), ("10115", "Berlin"), ("20095", "Hamburg"),
          ("60311", "Frankfurt am Main"), ("70173", "Stuttgart"), ("04109", "Leipzig"), ("01067", "Dresden"),
          ("90402", "Nürnberg"), ("28195", "Bremen")]
COUNTRIES = ["Deutschland", "DE", "Germany", "Österreich", "Schweiz", "de"]
AREA_CODES = ["221", "89", "30", "40", "69", "711", "341", "351", "911", "421"]
TAGS = ["Kunde", "Lieferant", "Partner", "Messe 2025", "Newsletter", "VIP", "Interessent"]
BRANCHES = ["Handwerk", "Handel", "Industrie", "Dienstleistung"]
HEADER = ["Vorname", "Nachname", "Firma", "E-Mail-Adresse", "Telefon geschäftlich", "Mobiltelefon",
          "Straße geschäftlich", "Postleitzahl geschäftlich", "Ort geschäftlich", "Land/Region geschäftlich",
          "Webseite", "Kundennummer", "Branche", "Kategorien"]


def ascii_part(text_: str) -> str:
    return (text_.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
            .replace(" ", "-").replace(".", "").replace("&", "und").replace("(", "").replace(")", ""))


def generate(rows: int, rng: random.Random) -> tuple[list[list[str]], int]:
    """The rows and how many of them carry a deliberate error."""
    companies = [f"{rng.choice(COMPANY_WORDS)} {rng.choice(LAST)} {rng.choice(FORMS)}" for _ in range(2000)]
    result, bad = [], 0
    for number in range(rows):
        postcode, city = rng.choice(CITIES)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 200)}"
        area = rng.choice(AREA_CODES)
        phone = rng.choice([f"0{area} {rng.randint(100000, 9999999)}", f"+49 {area} {rng.randint(100000, 9999999)}",
                            f"0{area}/{rng.randint(1000, 99999)}-{rng.randint(10, 99)}",
                            f"+43 1 {rng.randint(100000, 999999)}" if rng.random() < 0.3 else
                            f"0{area} {rng.randint(100000, 9999999)}"])
        mobile = f"015{rng.randint(1, 9)} {rng.randint(1000000, 9999999)}" if rng.random() < 0.5 else ""
        website = f"https://www.{ascii_part(rng.choice(LAST))}{number}.de" if rng.random() < 0.2 else ""
        customer = f"K-{number:06d}" if rng.random() < 0.5 else ""
        branch = rng.choice(BRANCHES) if rng.random() < 0.3 else ""
        tags = ", ".join(rng.sample(TAGS, rng.randint(1, 2))) if rng.random() < 0.33 else ""
        country = rng.choice(COUNTRIES)
        if rng.random() < 0.08:  # a company of its own
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(LAST)} {number} {rng.choice(FORMS)}"
            row = ["", "", name, f"info@{ascii_part(name)}.de", phone, "", street, postcode, city, country,
                   website, customer, branch, tags]
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = rng.choice(companies) if rng.random() < 0.33 else ""
            email = f"{ascii_part(first)}.{ascii_part(last)}.{number}@example-{number % 97}.de"
            row = [first, last, company, email, phone, mobile, street, postcode, city, country, website, customer,
                   branch, tags]
        if rng.random() < 0.01:
            bad += 1
            mistake = rng.randrange(4)
            if mistake == 0:
                row[3] = "kein-at-zeichen.example.de"
            elif mistake == 1 and row[0]:
                row[1] = ""
            elif mistake == 2:
                row[4] = "unbekannt"
            else:
                row[9] = "Atlantis"
            if mistake == 1 and not row[0]:
                row[3] = "kaputt@"
        result.append(row)
    return result, bad


def write_csv(path: Path, rows: list[list[str]]) -> None:
    import csv

    with open(path, "w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)


def build_app(database_url: str, instance: Path):
    from core import create_app
    from core import migrate as migrate_service
    from core.testing import app_config

    app = create_app(app_config(database_url, instance, LOAD_ENTRY_POINTS=False))
    with app.app_context():
        migrate_service.upgrade()
    return app


def write_floor(label: str) -> None:
    """Time writing the imported rows again into the emptied tables (see the docstring)."""
    from core import db
    from plugins.contacts import imports

    tables = [("contacts_contact", imports.COLUMNS), ("core_record_member", ("entity_type", "record_id", "user_id")),
              ("core_tag_link", ("tag_id", "record_id"))]
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    cursor = connection.connection.cursor()
    saved = {}
    for table, columns in tables:
        quoted = ", ".join(f'"{name}"' for name in columns)
        if postgres:  # as text, the form COPY takes back
            with cursor.copy(f'COPY (SELECT {quoted} FROM "{table}" ORDER BY 2, 1) TO STDOUT') as copy:
                saved[table] = list(copy.rows())
        else:
            saved[table] = cursor.execute(f'SELECT {quoted} FROM "{table}" ORDER BY 2, 1').fetchall()
    if postgres:
        cursor.execute("TRUNCATE " + ", ".join(f'"{table}"' for table, _columns in tables) + " CASCADE")
    else:
        for table, _columns in tables:
            cursor.execute(f'DELETE FROM "{table}"')
    cursor.close()
    db.session.commit()
    contacts = sorted(saved["contacts_contact"], key=lambda row: int(row[0]))
    batches = max(1, -(-len(contacts) // imports.BATCH))

    def part(rows, number):
        size = -(-len(rows) // batches)
        return rows[number * size:(number + 1) * size]

    started = time.perf_counter()
    for number in range(batches):
        chunk = part(contacts, number)
        with imports.search_index_in_bulk("contacts_contact", [int(chunk[0][0]), int(chunk[-1][0])]):
            imports.bulk_rows("contacts_contact", imports.COLUMNS, chunk)
        for table, columns in tables[1:]:
            rows = part(saved[table], number)
            if rows:
                imports.bulk_rows(table, columns, rows)
        imports.write_batch_commit()
    elapsed = time.perf_counter() - started
    print(f"{label} floor: the same {len(contacts):,} contacts, {len(saved['core_record_member']):,} managers and "
          f"{len(saved['core_tag_link']):,} tag links written again in {elapsed:.2f} s = "
          f"{len(contacts) / elapsed:,.0f} rows/s (the database's work alone)")


def run_once(database_url: str, csv_path: Path, rows: int, bad: int, label: str, floor: bool = False) -> float:
    from core import db
    from core.records.models import FieldDefinition
    from core.testing import create_user
    from plugins.contacts import imports
    from plugins.contacts.models import Contact, ContactImport

    with tempfile.TemporaryDirectory() as instance:
        app = build_app(database_url, Path(instance))
        with app.app_context():
            user = create_user("bench@example.com", "bench-secret-1", role="owner", name="Bench")
            db.session.add(FieldDefinition(entity_type="contact", key="kundennummer", label="Kundennummer",
                                           type="text", position=1))
            db.session.add(FieldDefinition(entity_type="contact", key="branche", label="Branche", type="choice",
                                           choices=BRANCHES, position=2))
            db.session.commit()
            data = csv_path.read_bytes()
            text_, encoding = imports.decode(data)
            delimiter = imports.find_delimiter(text_)
            targets = dict(imports._targets())
            custom_keys = {"kundennummer": "cf_kundennummer", "branche": "cf_branche"}
            mapping = {str(index): target for index, target in
                       enumerate(imports.suggest(HEADER, targets, custom_keys)) if target}
            record = ContactImport(user_id=user.id, filename=csv_path.name, path=str(csv_path), encoding=encoding,
                                   delimiter=delimiter, mapping=mapping, duplicates="skip", status="queued",
                                   rows_total=rows, language="de")
            db.session.add(record)
            db.session.commit()
            import_id = record.id
            started, cpu_before = time.perf_counter(), os.times()
            imports.run_import(import_id)
            elapsed, cpu_after = time.perf_counter() - started, os.times()
            cpu = sum(after - before for after, before in zip(cpu_after[:4], cpu_before[:4]))
            record = db.session.get(ContactImport, import_id)
            contacts = db.session.query(Contact).count()
            print(f"{label}: {rows:,} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s "
                  f"(created {record.created_count:,} + {record.company_count:,} companies, "
                  f"skipped {record.skipped_count:,}, errors {record.error_count:,} of {bad:,} planted; "
                  f"{contacts:,} contacts in the table); CPU of this process and its workers {cpu:.1f} s, "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            if floor:
                write_floor(label)
            db.session.remove()
            db.engine.dispose()
    return rows / elapsed


def calibration() -> float:
    """How fast the machine is right now: ContactSchema.load of a row of ten text fields,
    rows/s (~23,000 when this machine was idle), so that figures taken on a busy machine can
    be read against it."""
    from plugins.contacts.schemas import ContactSchema

    schema = ContactSchema()
    row = {"first_name": "Jürgen", "last_name": "Müller", "billing_street": "Hauptstraße 5",
           "billing_postcode": "50667", "billing_city": "Köln", "billing_country": "DE",
           "shipping_street": "Nebenweg 1", "shipping_city": "Bonn", "description": "Kunde", "currency": "EUR"}
    count, started = 3000, time.perf_counter()
    for _ in range(count):
        schema.load(row)
    return count / (time.perf_counter() - started)


def postgres_database(server_url: str):
    """A new database on ``server_url`` and a function that drops it, or ``(None, None)``."""
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"kontor_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # not reachable: the SQLite figure alone
        print(f"PostgreSQL not reachable ({type(exc).__name__}); SQLite only.")
        admin.dispose()
        return None, None

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--postgres", default=os.environ.get("KONTOR_TEST_DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--floor", action="store_true", help="also time the database's own work (see above)")
    args = parser.parse_args()
    os.environ.pop("KONTOR_TEST_DATABASE_URL", None)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "kontakte.csv"
        rows, bad = generate(args.rows, rng)
        write_csv(csv_path, rows)
        print(f"{args.rows:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB, {bad:,} with a deliberate error; "
              f"calibration: ContactSchema.load runs at {calibration():,.0f} rows/s now (~23,000 idle)")
        if args.backend in ("both", "sqlite"):
            run_once(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", csv_path, args.rows, bad, "SQLite", args.floor)
        if args.backend in ("both", "postgresql"):
            url, drop = postgres_database(args.postgres)
            if url:
                try:
                    run_once(url, csv_path, args.rows, bad, "PostgreSQL", args.floor)
                finally:
                    drop()


if __name__ == "__main__":
    main()
