"""The contacts CSV import through its pages: upload (encodings, delimiters, bad files),
column mapping with suggestions (German, Outlook, Google), companies, duplicates, dry run,
custom fields and tags, the error report, resume after a crash, revert, record access."""
from __future__ import annotations

import csv
import io
import os
import re

import pytest
from sqlalchemy import delete as sql_delete
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


GOOGLE = (
    "Name,Given Name,Additional Name,Family Name,Nickname,Birthday,Notes,Group Membership,E-mail 1 - Type,"
    "E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,"
    "Address 1 - Type,Address 1 - Street,Address 1 - City,Address 1 - Postal Code,Address 1 - Country,"
    "Organization 1 - Type,Organization 1 - Name,Organization 1 - Title,Website 1 - Type,Website 1 - Value\n"
    "Emily Smith,Emily,,Smith,,,Met at the fair,* myContacts,* Work,emily@smith-trading.co.uk,Home,emily@example.org,"
    "Work,+44 20 7946 0958,Mobile,+49 170 1234567,Work,1 High Street,London,SW1A 1AA,United Kingdom,,"
    "Smith Trading Ltd,CEO,Homepage,https://smith-trading.co.uk\n"
    "Günther Groß,Günther,,Groß,,,,* myContacts,* Work,guenther@gross.de,,,Work,089 123456,,,Work,"
    "\"Marienplatz 1\",München,80331,Germany,,,,,\n"
)


def test_google_contacts_export(contacts_app, client_for):
    client = client_for("user")
    import_id, form = run_import(client, b"\xef\xbb\xbf" + GOOGLE.encode("utf-8"), name="contacts.csv")
    header = GOOGLE.split("\n")[0].split(",")
    chosen = {header[int(name[7:])]: target for name, target in form.items() if target}
    assert chosen == {
        "Given Name": "first_name", "Family Name": "last_name", "Notes": "description",
        "E-mail 1 - Value": "email:work", "E-mail 2 - Value": "email:home", "Phone 1 - Value": "phone:work",
        "Phone 2 - Value": "phone:mobile", "Address 1 - Street": "billing_street", "Address 1 - City": "billing_city",
        "Address 1 - Postal Code": "billing_postcode", "Address 1 - Country": "billing_country",
        "Organization 1 - Name": "company", "Website 1 - Value": "website", "Group Membership": "tags"}
    record = _record(contacts_app, import_id)
    assert (record.encoding, record.delimiter, record.created_count, record.error_count) == ("utf-8-sig", ",", 2, 0)
    contacts = _contacts(contacts_app)
    emily = contacts["Emily Smith"]
    assert emily.billing_country == "GB" and emily.billing_postcode == "SW1A 1AA"
    assert emily.phones == [{"kind": "work", "value": "+442079460958"}, {"kind": "mobile", "value": "+491701234567"}]
    assert emily.emails == [{"kind": "work", "value": "emily@smith-trading.co.uk"},
                            {"kind": "home", "value": "emily@example.org"}]
    assert emily.company_id == contacts["Smith Trading Ltd"].id
    assert contacts["Günther Groß"].billing_country == "DE"
    assert contacts["Günther Groß"].phone == "+4989123456"
    with contacts_app.app_context():  # "* myContacts", Google's label of every contact, is no tag
        assert tag_service.tags_of("contact", emily.id) == []


# A newer Google Contacts export: "Label" columns, and several values of one label in one
# cell, split by " ::: ".
GOOGLE_LABELS = (
    "First Name,Middle Name,Last Name,Nickname,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,"
    "Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Organization Name,Phone 4 - Label,Phone 4 - Value\n"
    "Anna,,Becker,,* myContacts ::: Kunde,* Privat,anna@example.org,Mobile ::: Work,"
    "+49 170 1234567 ::: 0221 998877,Home Fax,0221 998878,Becker Bau GmbH,Pager,0221 998879\n"
    "Ben,,Koch,,* myContacts,Work,ben@koch.de,Mobile,0151 2345678 ::: kaputt,,,,,\n"
)


def test_google_type_columns_give_each_email_and_phone_its_kind(contacts_app, client_for):
    client = client_for("user")
    upload = _upload(client, GOOGLE_LABELS.encode("utf-8"), "contacts.csv")
    page = client.get(f"/contacts/import/{_import_id(upload)}/mapping", headers={"Accept-Language": "de"})
    assert "Bei E-Mail oder Telefon kommt die Art in jeder Zeile aus der Spalte „Phone 1 - Label“." in \
        page.get_data(as_text=True)
    import_id, form = run_import(client, GOOGLE_LABELS.encode("utf-8"), name="contacts.csv")
    header = GOOGLE_LABELS.split("\n")[0].split(",")
    chosen = {header[int(name[7:])]: target for name, target in form.items() if target}
    assert chosen["Phone 1 - Value"] == "phone:work" and chosen["E-mail 1 - Value"] == "email:work"
    assert chosen["Phone 4 - Value"] == "phone:other"
    record = _record(contacts_app, import_id)
    assert (record.created_count, record.company_count, record.error_count) == (1, 1, 1)  # Ben's row: an error
    anna = _contacts(contacts_app)["Anna Becker"]
    assert anna.emails == [{"kind": "home", "value": "anna@example.org"}]
    with contacts_app.app_context():  # Google's own "myContacts" label is no tag
        assert [tag.name for tag in tag_service.tags_of("contact", anna.id)] == ["Kunde"]
    assert anna.phones == [{"kind": "mobile", "value": "+491701234567"}, {"kind": "work", "value": "+49221998877"},
                           {"kind": "fax", "value": "+49221998878"}, {"kind": "other", "value": "+49221998879"}]
    with contacts_app.app_context():
        error = db.session.execute(select(ImportRowError).where(ImportRowError.import_id == import_id)).scalar_one()
    assert (error.row, error.column) == (3, "Phone 1 - Value")


ENGLISH_OUTLOOK = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,Business Street,Business City,"
    "Business State,Business Postal Code,Business Country/Region,Business Fax,Business Phone,Mobile Phone,"
    "E-mail Address,E-mail 2 Address,Web Page,Notes,Categories\r\n"
    "Mr.,James,,Taylor,,Taylor Logistics Inc.,,,5 Station Road,Leeds,,LS1 4DY,United Kingdom,,+44 113 496 0000,,"
    "james@taylor-logistics.com,,,VIP customer,\"VIP, Partner\"\r\n"
)


def test_english_outlook_export(contacts_app, client_for):
    client = client_for("user")
    import_id, form = run_import(client, ENGLISH_OUTLOOK.encode("utf-8"))
    targets = set(form.values()) - {""}
    assert {"first_name", "last_name", "company", "billing_street", "billing_city", "billing_postcode",
            "billing_country", "phone:fax", "phone:work", "phone:mobile", "email:work", "email:home", "website",
            "description", "tags"} <= targets
    contacts = _contacts(contacts_app)
    james = contacts["James Taylor"]
    assert james.email == "james@taylor-logistics.com" and james.billing_country == "GB"
    with contacts_app.app_context():
        assert sorted(t.name for t in tag_service.tags_of("contact", james.id)) == ["Partner", "VIP"]
    assert _record(contacts_app, import_id).created_count == 1


def _job_error(app, record) -> str:
    from core.models import JobRun

    with app.app_context():
        return db.session.get(JobRun, record.job_run_id).error


def _report(client, import_id) -> list[list[str]]:
    response = client.get(f"/contacts/import/{import_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def test_ten_thousand_bad_rows_among_good_ones(contacts_app, client_for, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2500)
    lines = ["Vorname;Nachname;E-Mail;Telefon;PLZ;Land"]
    bad, good = {}, set()
    for number in range(2, 12002):  # the header is row 1
        if number % 6 == 0:
            good.add(f"Gut{number} Mensch")
            lines.append(f"Gut{number};Mensch;gut{number}@example.de;0221 {100000 + number};50667;DE")
            continue
        kind = number % 5
        if kind == 0:
            lines.append(f"Falsch{number};Mensch;keine-adresse-{number};;;DE")
            bad[number] = ("E-Mail", "Enter an email address.")
        elif kind == 1:
            lines.append(f"Falsch{number};;f{number}@example.de;;;DE")
            bad[number] = ("Nachname", "Enter a value.")
        elif kind == 2:
            lines.append(f"Falsch{number};Mensch;f{number}@example.de;unbekannt;;DE")
            bad[number] = ("Telefon", "Enter a phone number, e.g. +49 221 1234567.")
        elif kind == 3:
            lines.append(f"Falsch{number};Mensch;f{number}@example.de;;{'1' * 25};DE")
            bad[number] = ("PLZ", "Enter at most 20 characters.")
        else:
            lines.append(f"Falsch{number};Mensch;f{number}@example.de;;;Atlantis")
            bad[number] = ("Land", "Enter a two-letter country code, e.g. DE.")
    assert len(bad) == 10000
    client = client_for("user")
    import_id, _form = run_import(client, "\n".join(lines).encode("utf-8"))
    record = _record(contacts_app, import_id)
    assert (record.rows_done, record.created_count, record.error_count) == (12000, len(good), 10000)
    assert set(_contacts(contacts_app)) == good
    report = _report(client, import_id)
    assert report[0] == ["Row", "Column", "Kind", "Reason"]
    reported = {int(row): (column, reason) for row, column, kind, reason in report[1:]}
    assert reported == bad
    page = client.get(f"/contacts/import/{import_id}").get_data(as_text=True)
    assert "Download the report (10000 entries) as CSV" in page


def test_errors_in_german_for_a_german_user(contacts_app, client_for):
    client = client_for("user", "de")
    content = "Vorname;Nachname;E-Mail\nAnna;;anna@example.de\nBernd;Bauer;kaputt\n".encode("utf-8")
    import_id, _form = run_import(client, content)
    report = _report(client, import_id)
    assert [(row[0], row[1], row[3]) for row in report[1:]] == [("2", "Nachname", "Geben Sie einen Wert ein."),
                                                               ("3", "E-Mail", "Geben Sie eine E-Mail-Adresse ein.")]


def test_a_resumed_import_continues_after_the_last_saved_batch(contacts_app, client_for, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 40)
    lines = ["First name,Last name,Email,Company"]
    for number in range(200):
        lines.append(f"Person{number},Test,p{number}@example.com,Firma {number % 7}")
    real_commit = imports.write_batch_commit
    commits = []

    def crash_on_the_third_batch():
        commits.append(1)
        if len(commits) == 3:
            raise RuntimeError("the server died")
        real_commit()

    monkeypatch.setattr(imports, "write_batch_commit", crash_on_the_third_batch)
    client = client_for("user")
    import_id, _form = run_import(client, "\n".join(lines).encode("utf-8"))
    record = _record(contacts_app, import_id)
    assert (record.status, record.rows_done, record.created_count) == ("failed", 80, 80)
    assert len([c for c in _contacts(contacts_app).values() if c.kind == "person"]) == 80
    page = client.get(f"/contacts/import/{import_id}").get_data(as_text=True)
    assert "The import was interrupted after row 81." in page and 'id="resume-import"' in page

    response = client.post(f"/contacts/import/{import_id}/resume")
    assert response.status_code == 302
    record = _record(contacts_app, import_id)
    assert (record.status, record.rows_done, record.created_count, record.company_count) == ("done", 200, 200, 7)
    with contacts_app.app_context():
        persons = db.session.execute(select(Contact.email).where(Contact.kind == "person")).scalars().all()
        companies = db.session.execute(select(Contact.name).where(Contact.kind == "company")).scalars().all()
    assert sorted(persons) == sorted(f"p{number}@example.com" for number in range(200))
    assert sorted(companies) == sorted(f"Firma {number}" for number in range(7))


def test_an_import_whose_process_was_killed_can_be_resumed(contacts_app, client_for, monkeypatch):
    """A killed process leaves the import "running"; once no batch came for a while, the
    page offers to resume it."""
    from datetime import datetime, timedelta, timezone

    monkeypatch.setattr(imports, "BATCH", 2)
    client = client_for("user")
    content = b"Vorname;Nachname\nA;Eins\nB;Zwei\nC;Drei\n"
    import_id, _form = run_import(client, content)
    with contacts_app.app_context():  # as if the process had died after the first batch
        last = db.session.execute(select(Contact).where(Contact.name == "C Drei")).scalar_one()
        db.session.execute(sql_delete(RecordMember).where(RecordMember.record_id == last.id))
        db.session.delete(last)
        record = db.session.get(ContactImport, import_id)
        record.status, record.rows_done, record.created_count = "running", 2, 2
        db.session.commit()
    assert 'id="resume-import"' not in client.get(f"/contacts/import/{import_id}").get_data(as_text=True)
    assert client.post(f"/contacts/import/{import_id}/resume").status_code == 302
    assert _record(contacts_app, import_id).status == "running"  # too early: not resumed
    with contacts_app.app_context():
        record = db.session.get(ContactImport, import_id)
        record.updated_at = datetime.now(timezone.utc) - timedelta(minutes=11)
        db.session.commit()
    assert 'id="resume-import"' in client.get(f"/contacts/import/{import_id}").get_data(as_text=True)
    client.post(f"/contacts/import/{import_id}/resume")
    record = _record(contacts_app, import_id)
    assert (record.status, record.rows_done, record.created_count) == ("done", 3, 3)
    assert sorted(_contacts(contacts_app)) == ["A Eins", "B Zwei", "C Drei"]


@pytest.mark.parametrize("policy", ["skip", "update", "create"])
def test_duplicates_skip_update_or_create(contacts_app, client_for, policy):
    client = client_for("user")
    first = "Vorname,Nachname,E-Mail,Telefon,Ort,Tags\nAnna,Alt,anna@example.de,,Bonn,Alt\nOtto,Ohne,,,,\n"
    run_import(client, first.encode("utf-8"))
    again = ("Vorname,Nachname,E-Mail,Telefon,Ort,Tags\n"
             "Anna,Alt,ANNA@example.de,0221 123456,Köln,Neu\n"     # same email
             "Otto,Ohne,otto@example.de,,,\n"                      # same name, the contact has no email
             "Neue,Person,neu@example.de,,,\n"
             "Neue,Person,neu@example.de,,,\n")                    # repeats the row before
    import_id, _form = run_import(client, again.encode("utf-8"), duplicates=policy)
    record = _record(contacts_app, import_id)
    report = _report(client, import_id)
    with contacts_app.app_context():
        annas = db.session.execute(select(Contact).where(Contact.email == "anna@example.de")).scalars().all()
        ottos = db.session.execute(select(Contact).where(Contact.name == "Otto Ohne")).scalars().all()
        new = db.session.execute(select(func.count(Contact.id)).where(Contact.email == "neu@example.de")).scalar()
        anna_tags = sorted(t.name for t in tag_service.tags_of("contact", annas[0].id))
    kinds = [row[2] for row in report[1:]]
    if policy == "skip":
        assert (record.created_count, record.updated_count, record.skipped_count) == (1, 0, 3)
        assert len(annas) == 1 and annas[0].billing_city == "Bonn" and anna_tags == ["Alt"]
        assert len(ottos) == 1 and new == 1
        assert [row[0] for row in report[1:]] == ["2", "3", "5"] and set(kinds) == {"Duplicate"}
        assert "It was skipped." in report[1][3] and "The row repeats row 4." in report[3][3]
    elif policy == "update":
        assert (record.created_count, record.updated_count, record.skipped_count) == (1, 2, 1)
        assert len(annas) == 1 and annas[0].billing_city == "Köln" and annas[0].phone == "+49221123456"
        assert anna_tags == ["Alt", "Neu"]
        assert len(ottos) == 1 and ottos[0].email == "otto@example.de" and new == 1
    else:
        assert (record.created_count, record.updated_count, record.skipped_count) == (4, 0, 0)
        assert len(annas) == 2 and len(ottos) == 2 and new == 2
        assert "A new contact was created anyway." in report[1][3]


def test_a_dry_run_writes_no_contact_and_can_then_run_for_real(contacts_app, client_for):
    client = client_for("user")
    content = "Vorname;Nachname;Firma;E-Mail\nAnna;Alt;Firma A;anna@example.de\nBernd;;;kaputt\n".encode("utf-8")
    import_id, form = run_import(client, content, dry_run=True)
    record = _record(contacts_app, import_id)
    assert (record.status, record.dry_run, record.created_count, record.company_count, record.error_count) == \
        ("done", True, 1, 1, 1)
    assert _contacts(contacts_app) == {}
    with contacts_app.app_context():
        assert db.session.execute(select(func.count(RecordMember.id))).scalar() == 0
    page = client.get(f"/contacts/import/{import_id}").get_data(as_text=True)
    assert "Dry run: nothing was saved." in page and 'id="run-for-real"' in page
    assert [row[:2] for row in _report(client, import_id)[1:]] == [["3", "E-Mail"], ["3", "Nachname"]]
    client.post(f"/contacts/import/{import_id}/mapping", data={**form, "duplicates": "skip"})
    record = _record(contacts_app, import_id)
    assert (record.status, record.dry_run, record.created_count, record.error_count) == ("done", False, 1, 1)
    assert set(_contacts(contacts_app)) == {"Anna Alt", "Firma A"}


def test_custom_fields_and_tags_are_imported(contacts_app, client_for):
    with contacts_app.app_context():
        db.session.add_all([
            FieldDefinition(entity_type="contact", key="kundennummer", label="Kundennummer", type="text", position=1),
            FieldDefinition(entity_type="contact", key="umsatz", label="Umsatz", type="decimal", position=2),
            FieldDefinition(entity_type="contact", key="branche", label="Branche", type="choice",
                            choices=["Handel", "Handwerk"], position=3, default="Handel"),
        ])
        db.session.commit()
    client = client_for("user")
    content = ("Vorname;Nachname;Kundennummer;Umsatz;Schlagwörter\n"
               "Anna;Alt;K-1;1234,50;Kunde, Messe\n"
               "Bernd;Bauer;;viel;\n"
               "Carla;Christ;K-3;;" + "x" * 101 + "\n").encode("utf-8")
    import_id, form = run_import(client, content)
    assert list(form.values()) == ["first_name", "last_name", "cf_kundennummer", "cf_umsatz", "tags"]
    contacts = _contacts(contacts_app)
    assert set(contacts) == {"Anna Alt"}
    assert contacts["Anna Alt"].custom == {"kundennummer": "K-1", "umsatz": "1234.50", "branche": "Handel"}
    with contacts_app.app_context():
        assert sorted(t.name for t in tag_service.tags_of("contact", contacts["Anna Alt"].id)) == ["Kunde", "Messe"]
    report = _report(client, import_id)
    assert report[1:] == [["3", "Umsatz", "Error", "Enter a number."],
                          ["4", "Schlagwörter", "Error", "Enter between 1 and 100 characters."]]


def test_revert_deletes_what_the_import_created_and_restores_what_it_updated(contacts_app, client_for):
    client = client_for("user")
    run_import(client, "Vorname,Nachname,E-Mail,Ort\nAnna,Alt,anna@example.de,Bonn\n".encode("utf-8"))
    content = ("Vorname,Nachname,E-Mail,Ort,Firma,Tags\n"
               "Anna,Alt,anna@example.de,Köln,,Neu\n"
               "Bernd,Bauer,bernd@example.de,,Bauer AG,\n"
               "Carla,Christ,carla@example.de,,,\n").encode("utf-8")
    import_id, _form = run_import(client, content, duplicates="update")
    contacts = _contacts(contacts_app)
    assert contacts["Anna Alt"].billing_city == "Köln" and "Bauer AG" in contacts
    # Somebody edits Carla after the import: the revert keeps her.
    client.post(f"/contacts/{contacts['Carla Christ'].id}/edit", data={
        "kind": "person", "first_name": "Carla", "last_name": "Christ-Neu", "access_mode": "private",
        "emails-0-kind": "work", "emails-0-value": "carla@example.de"})
    response = client.post(f"/contacts/import/{import_id}/revert")
    assert response.status_code == 302
    record = _record(contacts_app, import_id)
    assert (record.status, record.kept_count) == ("reverted", 1)
    assert not os.path.exists(record.path)  # the uploaded file is gone with the import
    contacts = _contacts(contacts_app)
    assert set(contacts) == {"Anna Alt", "Carla Christ-Neu"}
    assert contacts["Anna Alt"].billing_city == "Bonn"
    with contacts_app.app_context():
        assert [t.name for t in tag_service.tags_of("contact", contacts["Anna Alt"].id)] == []
        members = db.session.execute(select(RecordMember.record_id)).scalars().all()
        assert sorted(members) == sorted(c.id for c in contacts.values())  # none left of deleted contacts
        assert db.session.execute(select(AuditEntry).where(AuditEntry.event == "records_import_reverted")).scalar()
    page = client.get(f"/contacts/import/{import_id}").get_data(as_text=True)
    assert "1 created contacts were kept" in page


@pytest.mark.parametrize("content, message", [
    (b"", "The file is empty."),
    (b"   \r\n", "The file is empty."),
    (b"PK\x03\x04\x00\x00binary\x00\x00", "binary data"),
    (b"Vorname;Nachname\n", "The file holds no records below its header row."),
    ("Vorname;Nachname\nJürgen;Müller\n".encode("utf-16"), None),
])
def test_bad_files_are_refused_with_a_reason(contacts_app, client_for, content, message):
    client = client_for("user")
    response = _upload(client, content)
    if message is None:  # UTF-16 (Excel's "Unicode text") is read too
        assert response.status_code == 302
        assert _record(contacts_app, _import_id(response)).encoding == "utf-16"
        return
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with contacts_app.app_context():
        assert db.session.execute(select(func.count(ContactImport.id))).scalar() == 0


def test_a_file_over_the_limit_is_refused(contacts_app, client_for, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    response = _upload(client_for("user"), b"Vorname;Nachname\n" + b"Anna;Alt\n" * 20)
    assert response.status_code == 400
    assert "The file is larger than the limit" in response.get_data(as_text=True)


def test_the_mapping_needs_names_and_one_column_per_field(contacts_app, client_for):
    client = client_for("user")
    import_id = _import_id(_upload(client, b"Vorname;Nachname;Ort\nAnna;Alt;Bonn\n"))
    page = client.get(f"/contacts/import/{import_id}/mapping").get_data(as_text=True)
    assert "Anna" in page and "Bonn" in page  # the preview
    response = client.post(f"/contacts/import/{import_id}/mapping",
                           data={"column_0": "", "column_1": "", "column_2": "billing_city", "duplicates": "skip"})
    assert response.status_code == 400
    assert "Choose the columns with the names" in response.get_data(as_text=True)
    response = client.post(f"/contacts/import/{import_id}/mapping", data={
        "column_0": "first_name", "column_1": "first_name", "column_2": "nonsense", "duplicates": "skip"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "is chosen for two columns" in text
    assert "choose one of the offered fields" in text
    assert _record(contacts_app, import_id).status == "uploaded"


def test_imports_are_listed_for_their_user_only(contacts_app, client_for):
    user, other = client_for("user"), client_for("other")
    import_id, _form = run_import(user, b"Vorname;Nachname\nAnna;Alt\n", name="meine.csv")
    assert "meine.csv" in user.get("/contacts/import/").get_data(as_text=True)
    assert "meine.csv" not in other.get("/contacts/import/").get_data(as_text=True)
    assert other.get(f"/contacts/import/{import_id}").status_code == 404
    assert other.get(f"/contacts/import/{import_id}/report.csv").status_code == 404
    assert other.post(f"/contacts/import/{import_id}/revert").status_code == 404
    assert "meine.csv" in client_for("owner").get("/contacts/import/").get_data(as_text=True)


def test_worker_processes_give_the_same_result_as_one_process(contacts_app, client_for, monkeypatch):
    """Big imports check their next batches in forked worker processes; the result is the
    same contacts, companies, tags and report as in one process."""
    monkeypatch.setattr(imports, "BATCH", 50)
    lines = ["Vorname;Nachname;Firma;E-Mail;Telefon;Land;Tags"]
    for number in range(400):
        phone = "+43 1 234567" if number % 3 else f"0221 {100000 + number}"   # some need phonenumbers
        email = f"p{number}@example.de" if number % 17 else "kaputt"          # some are wrong
        company = f"Firma {number % 9}" if number % 2 else ""
        lines.append(f"P{number};Test;{company};{email};{phone};{'Österreich' if number % 3 else 'DE'};T{number % 4}")
    content = "\n".join(lines).encode("utf-8")
    client = client_for("user")
    results = []
    for parallel_from in (10**9, 100):
        monkeypatch.setattr(imports, "PARALLEL_FROM_ROWS", parallel_from)
        monkeypatch.setattr(imports, "_workers", lambda: 2)
        import_id, _form = run_import(client, content, duplicates="create")
        record = _record(contacts_app, import_id)
        assert record.status == "done", _job_error(contacts_app, record)
        with contacts_app.app_context():
            contacts = db.session.execute(select(Contact).where(Contact.import_id == import_id)
                                          .order_by(Contact.id)).scalars().all()
            tagged = tag_service.names_by_record("contact", [c.id for c in contacts])
            company_names = {c.id: c.name for c in contacts if c.kind == "company"}
            summary = [(c.kind, c.name, c.email, c.phone, c.billing_country, company_names.get(c.company_id),
                        tagged.get(c.id)) for c in contacts]
        results.append((record.created_count, record.company_count, record.error_count, summary,
                        [row[:2] + row[3:] for row in _report(client, import_id)]))
        client.post(f"/contacts/import/{import_id}/revert")  # the next run starts from nothing again
        assert _contacts(contacts_app) == {}
    assert results[0] == results[1]
    assert results[0][:3] == (376, 9, 24)
