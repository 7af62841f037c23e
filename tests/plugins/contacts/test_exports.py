"""Contacts CSV export: the visible contacts passing the list's filters, or the selection;
every column read back with csv."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core import access, db
from core.auth.models import User
from core.modules import set_access
from core.records import tags
from core.records.models import FieldDefinition
from plugins.contacts.models import Contact, ContactType, Temperature


@pytest.fixture
def ids(contacts_app):
    """Three contacts: a company, a person of it (with everything), and a private person
    only Otto manages."""
    with contacts_app.app_context():
        db.session.add(FieldDefinition(entity_type="contact", key="source", label="Source", type="text"))
        kunde, warm = ContactType(name="Kunde"), Temperature(name="warm")
        db.session.add_all([kunde, warm])
        db.session.flush()
        company = Contact(kind="company", name="Müller Bau GmbH", access_mode="public_write")
        db.session.add(company)
        db.session.flush()
        anna = Contact(kind="person", first_name="Anna", last_name="Müller", name="Anna Müller",
                       company_id=company.id, type_id=kunde.id, temperature_id=warm.id, access_mode="public_write",
                       email="anna@mueller-bau.de", phone="+492211234567",
                       emails=[{"kind": "work", "value": "anna@mueller-bau.de"},
                               {"kind": "home", "value": "anna@example.org"}],
                       phones=[{"kind": "work", "value": "+492211234567"}],
                       websites=[{"kind": "website", "value": "https://mueller-bau.de"}],
                       billing_street="Hauptstraße 1", billing_postcode="50667", billing_city="Köln",
                       billing_country="DE", currency="EUR", description="=1+2 is no formula here",
                       custom={"source": "Messe"},
                       created_at=datetime(2026, 3, 1, 11, 30, tzinfo=UTC))
        secret = Contact(kind="person", first_name="Sven", last_name="Geheim", name="Sven Geheim",
                         access_mode="private")
        db.session.add_all([anna, secret])
        db.session.flush()
        tags.set_tags("contact", anna.id, ["VIP", "Bau"])
        other = db.session.scalars(select(User).where(User.email == "other@example.com")).one()
        access.set_members("contact", secret, [other.id])
        db.session.commit()
        return {"company": company.id, "anna": anna.id, "secret": secret.id}


def read(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_every_column_of_a_visible_contact(client_for, ids):
    rows = read(client_for("user").get("/contacts/export/"))
    assert [row["Last name"] or row["Company name"] for row in rows] == ["Müller", "Müller Bau GmbH"]
    anna = rows[0]
    assert anna["Kind"] == "Person" and rows[1]["Kind"] == "Company"
    assert anna["First name"] == "Anna"
    assert anna["Company"] == "Müller Bau GmbH"
    assert anna["Contact type"] == "Kunde" and anna["Temperature"] == "warm"
    assert anna["Emails"] == "anna@mueller-bau.de, anna@example.org"
    # Formatted; a leading "+" would start a spreadsheet formula, so it is defused too.
    assert anna["Phones"] == "'+49 221 1234567"
    assert anna["Websites"] == "https://mueller-bau.de"
    assert (anna["Street"], anna["Postcode"], anna["City"], anna["Country"]) == ("Hauptstraße 1", "50667", "Köln", "DE")
    assert anna["Currency"] == "EUR"
    assert anna["Description"] == "'=1+2 is no formula here"
    assert anna["Source"] == "Messe"
    assert anna["Tags"] == "Bau, VIP"
    assert anna["Created"] == "2026-03-01 12:30"  # Berlin time


def test_the_list_filters_apply(client_for, ids):
    rows = read(client_for("user").get("/contacts/export/", query_string={"kind": "company"}))
    assert [row["Company name"] for row in rows] == ["Müller Bau GmbH"]
    rows = read(client_for("user").get("/contacts/export/", query_string={"tag": "vip"}))
    assert [row["First name"] for row in rows] == ["Anna"]


def test_private_contacts_only_for_those_who_may_see_them(client_for, ids):
    assert "Geheim" not in {row["Last name"] for row in read(client_for("user").get("/contacts/export/"))}
    assert "Geheim" in {row["Last name"] for row in read(client_for("other").get("/contacts/export/"))}


def test_the_selection_is_exported_without_what_the_user_may_not_see(client_for, ids):
    response = client_for("user", "de").post("/contacts/export/", data={"ids": [ids["anna"], ids["secret"]]})
    rows = read(response)
    assert [row["Vorname"] if "Vorname" in row else row["First name"] for row in rows] == ["Anna"]


def test_an_empty_or_broken_selection_exports_nothing(client_for, ids):
    client = client_for("user")
    for data in ({}, {"ids": ["1", "x"]}):
        response = client.post("/contacts/export/", data={**data, "next": "/contacts/?kind=person"})
        assert response.status_code == 302
        assert response.headers["Location"] == "/contacts/?kind=person"
    assert "Select at least one contact first." in client.get("/").get_data(as_text=True)


def test_without_the_module_no_export(contacts_app, client_for, ids):
    with contacts_app.app_context():
        owner = db.session.scalars(select(User).where(User.email == "owner@example.com")).one()
        set_access("contacts", True, [], [], [], [], user=owner)
    assert client_for("user").get("/contacts/export/").status_code == 403
    assert client_for("user").post("/contacts/export/", data={"ids": [ids["anna"]]}).status_code == 403
