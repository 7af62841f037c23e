"""How long "Export all data" takes with many contacts, and that its memory stays flat.

Loads ``--rows`` contacts into a new SQLite file (or, with ``--postgresql URL`` or
``KONTOR_TEST_DATABASE_URL``, a new PostgreSQL database, dropped afterwards), then runs the
export job's function (``core.records.exports.export_all``) in a process of its own, so the
process's peak memory (max RSS) is the export's and not the loading's.

    python benchmarks/export_all.py --rows 100000
    python benchmarks/export_all.py --rows 100000 --postgresql postgresql://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def app_for(url: str, instance: Path):
    from core import create_app
    from core import migrate
    from core.testing import app_config

    app = create_app(app_config(url, instance, LOAD_ENTRY_POINTS=False))
    with app.app_context():
        migrate.upgrade()
    return app


def load(url: str, instance: Path, rows: int) -> None:
    from sqlalchemy import insert

    from core import db
    from plugins.contacts.models import Contact

    with app_for(url, instance).app_context():
        for start in range(0, rows, 10_000):
            db.session.execute(insert(Contact), [dict(
                kind="person", name=f"Jörg Müller {i}", first_name="Jörg", last_name=f"Müller {i}",
                email=f"p{i}@example.org", phone="", emails=[{"kind": "work", "value": f"p{i}@example.org"}],
                phones=[], websites=[], billing_street="Hauptstraße 1", billing_postcode="50667",
                billing_city="Köln", billing_country="DE", shipping_street="", shipping_postcode="",
                shipping_city="", shipping_country="", description="=SUM(A1)", currency="EUR", photo_type="",
                access_mode="public_write", custom={}) for i in range(start, min(rows, start + 10_000))])
            db.session.commit()


def export(url: str, instance: Path) -> None:
    from core.records import exports

    with app_for(url, instance).app_context():
        started = time.perf_counter()
        result = exports.export_all()
        seconds = time.perf_counter() - started
        size = (exports.folder() / result["file"]).stat().st_size
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
    print(f"rows {result['rows']}: {seconds:.1f} s, max RSS {rss:.0f} MB, zip {size / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgresql", default=os.environ.get("KONTOR_TEST_DATABASE_URL", ""))
    parser.add_argument("--export", nargs=2, metavar=("URL", "INSTANCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export(args.export[0], Path(args.export[1]))
        return
    from core.testing import fresh_database

    if args.postgresql:
        os.environ["KONTOR_TEST_DATABASE_URL"] = args.postgresql
    else:
        os.environ.pop("KONTOR_TEST_DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as folder, fresh_database(Path(folder)) as url:
        instance = Path(folder) / "instance"
        started = time.perf_counter()
        load(url, instance, args.rows)
        print(f"loaded {args.rows} contacts in {time.perf_counter() - started:.0f} s "
              f"({'PostgreSQL' if args.postgresql else 'SQLite'})")
        subprocess.run([sys.executable, __file__, "--export", url, str(instance)], check=True)


if __name__ == "__main__":
    main()
