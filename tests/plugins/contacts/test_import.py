"""The contacts CSV import through its pages: upload (encodings, delimiters, bad files),
column mapping with suggestions (German, Outlook, Google), companies, duplicates, dry run,
custom fields and tags, the error report, resume after a crash, revert, record access."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from core import db
from core.auth.models import User
from core.models import AuditEntry, RecordMember
from core.records.models import FieldDefinition
from core.records import tags as tag_service
from plugins.contacts import imports
from plugins.contacts.models import Contact, ContactImport, ImportRowError


def _upload(client, content: bytes, name: str = "kontakte.csv"):
    return client.post("/contacts/import/", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _import_id(response) -> int:
    return int(re.search(r"/contacts/import/(\d+)", response.headers["Location"]).group(1))


def _mapping_form(page: str) -> dict:
    """The mapping page's suggestions, as the browser would submit them."""
    form = {}
    for select_html in re.findall(r'<select[^>]*name="(column_\d+)"[^>]*>(.*?)</select>', page, re.S):
        name, options = select_html
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        form[name] = chosen.group(1) if chosen else ""
    return form


def run_import(client, content: bytes, name="kontakte.csv", duplicates="skip", dry_run=False, change=None):
    """Upload, accept the suggested mapping (with ``change`` applied), start; the job runs
    at once in tests. Returns the ContactImport id and the mapping page's suggestions."""
    response = _upload(client, content, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    import_id = _import_id(response)
    page = client.get(f"/contacts/import/{import_id}/mapping").get_data(as_text=True)
    form = _mapping_form(page)
    form.update(change or {})
    data = {**form, "duplicates": duplicates}
    if dry_run:
        data["dry_run"] = "1"
    started = client.post(f"/contacts/import/{import_id}/mapping", data=data)
    assert started.status_code == 302, started.get_data(as_text=True)
    return import_id, form


def _contacts(app):
    with app.app_context():
        return {c.name: c for c in db.session.execute(select(Contact)).scalars()}


def _record(app, import_id) -> ContactImport:
    with app.app_context():
        record = db.session.get(ContactImport, import_id)
        db.session.expunge(record)
        return record


GERMAN_OUTLOOK = (
    "Anrede;Vorname;Weitere Vornamen;Nachname;Firma;Abteilung;Position;Straße geschäftlich;Ort geschäftlich;"
    "Postleitzahl geschäftlich;Land/Region geschäftlich;Telefon geschäftlich;Mobiltelefon;E-Mail-Adresse;"
    "E-Mail 2: Adresse;Webseite;Notizen;Kategorien\r\n"
    "Herr;Jürgen;;Müller;Bäckerei Süß GmbH;Einkauf;Leiter;Hauptstraße 5;Köln;50667;Deutschland;0221 1234567;"
    "0151 2345678;j.mueller@baeckerei-suess.de;juergen@example.de;https://baeckerei-suess.de;Kunde seit 2019;"
    "Kunde, Köln\r\n"
    "Frau;Änne;;Öztürk;Bäckerei Süß GmbH;;;Hauptstraße 5;Köln;50667;Deutschland;+49 221 7654321;;"
    "ae.oeztuerk@baeckerei-suess.de;;;;\r\n"
    ";;;;Schreinerei Groß;;;Werkstraße 1;München;80331;Deutschland;089 998877;;info@schreinerei-gross.de;;;;"
    "Lieferant\r\n"
)


def test_german_outlook_export_in_windows_1252_with_semicolons(contacts_app, client_for):
    client = client_for("user", "de")
    content = GERMAN_OUTLOOK.encode("cp1252")
    import_id, form = run_import(client, content)
    assert form["column_1"] == "first_name" and form["column_3"] == "last_name" and form["column_4"] == "company"
    assert form["column_11"] == "phone:work" and form["column_12"] == "phone:mobile"
    assert form["column_13"] == "email:work" and form["column_14"] == "email:home"
    assert form["column_7"] == "billing_street" and form["column_9"] == "billing_postcode"
    assert form["column_17"] == "tags"
    record = _record(contacts_app, import_id)
    assert (record.encoding, record.delimiter, record.status) == ("cp1252", ";", "done")
    assert (record.created_count, record.company_count, record.error_count) == (3, 1, 0)
    contacts = _contacts(contacts_app)
    juergen = contacts["Jürgen Müller"]
    company = contacts["Bäckerei Süß GmbH"]
    assert juergen.company_id == company.id == contacts["Änne Öztürk"].company_id
    assert company.kind == "company" and contacts["Schreinerei Groß"].kind == "company"
    assert juergen.billing_street == "Hauptstraße 5" and juergen.billing_city == "Köln"
    assert juergen.billing_country == "DE"
    assert [p["value"] for p in juergen.phones] == ["+492211234567", "+491512345678"]
    assert [(e["kind"], e["value"]) for e in juergen.emails] == [("work", "j.mueller@baeckerei-suess.de"),
                                                                 ("home", "juergen@example.de")]
    assert juergen.websites == [{"kind": "website", "value": "https://baeckerei-suess.de"}]
    assert juergen.description == "Kunde seit 2019"
    with contacts_app.app_context():
        assert sorted(t.name for t in tag_service.tags_of("contact", juergen.id)) == ["Kunde", "Köln"]
        user = db.session.execute(select(User).where(User.email == "user@example.com")).scalar_one()
        managers = db.session.execute(select(RecordMember.record_id).where(
            RecordMember.entity_type == "contact", RecordMember.user_id == user.id)).scalars().all()
        assert sorted(managers) == sorted(c.id for c in contacts.values())
        from core import records
        assert juergen.access_mode == records.entity_type("contact").default_access
        # The importing user is not notified of their own import.
        from core.records.models import Notification
        assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 0
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.event == "records_imported")).scalar_one()
        assert entry.subject == "kontakte.csv"
    page = client.get(f"/contacts/import/{import_id}").get_data(as_text=True)
    assert 'id="count-created">3<' in page
