"""Export all data: a zip with one CSV per entity type of every enabled module, built by a
background job from the entity type registry, downloadable by owners only."""
from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core import db
from core.models import AuditEntry
from core.modules import set_enabled
from core.records import tags
from core.records.models import FieldDefinition
from plugins.contacts.models import Contact
from tests.support.gadgets.models import Gadget, Widget
from tests.support.gadgets.testing import build, client_for


@pytest.fixture
def app(make_app):
    app = build(make_app, access_mode=None)[0]
    with app.app_context():
        db.session.add_all([
            FieldDefinition(entity_type="gadget", key="serial", label="Serial number", type="text", position=1),
            FieldDefinition(entity_type="gadget", key="bought", label="Bought on", type="date", position=2),
            FieldDefinition(entity_type="contact", key="size", label="Company size", type="integer", position=1),
        ])
        lamp = Gadget(name="Lämpchen", price=Decimal("12.50"), access_mode="private",
                      custom={"serial": "=HYPERLINK(\"x\")", "bought": "2026-01-31"})
        chair = Gadget(name="Chair", price=Decimal("-3.00"), access_mode="public_read")
        contact = Contact(kind="company", name="Müller GmbH", access_mode="public_write", custom={"size": 12},
                          emails=[{"kind": "work", "value": "info@mueller.example"}])
        db.session.add_all([lamp, chair, contact, Widget(name="Bolt", size=3)])
        db.session.flush()
        tags.set_tags("gadget", lamp.id, ["Neu", "Wichtig"])
        tags.set_tags("contact", contact.id, ["Kunde"])
        db.session.commit()
    return app


def export(client) -> dict[str, list[dict]]:
    """Start the export, download the zip from the export page, read every CSV back."""
    started = client.post("/admin/export/")
    assert started.status_code == 302
    page = client.get("/admin/export/").get_data(as_text=True)
    assert 'id="download-export"' in page, page
    link = page.split('id="download-export" href="')[1].split('"')[0]
    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    tables = {}
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no BOM"
            text = raw.decode("utf-8-sig")
            tables[name] = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    return tables


def test_the_zip_has_a_csv_per_type_with_columns_custom_fields_and_tags(app):
    tables = export(client_for(app, "owner"))
    assert {"gadget.csv", "widget.csv", "sprocket.csv", "contact.csv"} <= set(tables)
    gadgets = {row["name"]: row for row in tables["gadget.csv"]}
    assert set(gadgets) == {"Lämpchen", "Chair"}  # private records too: it is everything
    lamp = gadgets["Lämpchen"]
    assert lamp["price"] == "12.50"
    assert lamp["access_mode"] == "private"
    assert lamp["serial"] == "'=HYPERLINK(\"x\")"  # a formula is defused
    assert lamp["bought"] == "2026-01-31"
    assert lamp["tags"] == "Neu, Wichtig"
    assert "custom" not in lamp
    assert gadgets["Chair"]["price"] == "-3.00"  # a negative number stays a number
    assert gadgets["Chair"]["tags"] == ""
    assert lamp["created_at"][:4].isdigit()
    assert [row["name"] for row in tables["widget.csv"]] == ["Bolt"]
    assert tables["widget.csv"][0]["size"] == "3"
    assert tables["sprocket.csv"] == []
    (contact,) = tables["contact.csv"]
    assert contact["name"] == "Müller GmbH"
    assert contact["size"] == "12"
    assert contact["tags"] == "Kunde"
    assert contact["emails"] == '[{"kind": "work", "value": "info@mueller.example"}]'
    assert "photo" not in contact  # binary data stays out


def test_a_switched_off_module_is_left_out(app):
    with app.app_context():
        set_enabled("gadgets", False)
        db.session.commit()
    tables = export(client_for(app, "owner"))
    assert "contact.csv" in tables
    assert not {"gadget.csv", "widget.csv", "sprocket.csv"} & set(tables)


def test_the_export_is_audited_and_the_next_one_replaces_the_file(app):
    client = client_for(app, "owner")
    export(client)
    folder = Path(app.instance_path, "exports")
    first = sorted(path.name for path in folder.iterdir())
    export(client)
    second = sorted(path.name for path in folder.iterdir())
    assert len(first) == len(second) == 1 and first != second
    with app.app_context():
        events = db.session.execute(select(AuditEntry.event).order_by(AuditEntry.id)).scalars().all()
    assert events.count("data_exported") == 2
    assert events.count("data_export_downloaded") == 2


def test_the_old_file_cannot_be_downloaded_any_more(app):
    client = client_for(app, "owner")
    client.post("/admin/export/")
    page = client.get("/admin/export/").get_data(as_text=True)
    first_link = page.split('id="download-export" href="')[1].split('"')[0]
    client.post("/admin/export/")
    assert client.get(first_link).status_code == 404
    assert client.get("/admin/export/").status_code == 200


@pytest.mark.parametrize("who", ["admin", "user"])
def test_only_owners_may_export_everything(app, who):
    client = client_for(app, who)
    assert client.get("/admin/export/").status_code == 403
    assert client.post("/admin/export/").status_code == 403
    with app.app_context():
        assert db.session.execute(select(AuditEntry).where(AuditEntry.event == "data_exported")).first() is None


def test_rows_are_read_and_written_in_chunks(app):
    """With chunks of one row, each row comes as a piece of its own, every row once."""
    from core.records import entity_type, exports

    with app.app_context():
        declared = entity_type("gadget")
        pieces = list(exports.csv_chunks(declared, select(Gadget).order_by(Gadget.id), chunk_size=1))
    assert len(pieces) == 3  # the header, then two chunks of one gadget
    rows = list(csv.reader(io.StringIO("".join(pieces).removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert [row[rows[0].index("name")] for row in rows[1:]] == ["Lämpchen", "Chair"]


def test_files_older_than_a_day_are_removed(app):
    import os
    import time

    from core.records import exports

    with app.app_context():
        folder = exports.folder()
        old, new = folder / "kontor-export-old.zip", folder / "kontor-export-new.zip"
        old.write_bytes(b"old")
        new.write_bytes(b"new")
        a_day_ago = time.time() - exports.KEEP_HOURS * 3600 - 60
        os.utime(old, (a_day_ago, a_day_ago))
        exports.remove_old_exports()
        assert not old.exists() and new.exists()
