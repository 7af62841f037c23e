"""One contact: created (person, company, person of a company), validated, shown, edited,
with a photo, duplicates warned about, deleted, merged; the customer overview with its tabs."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from core import access, db
from core.auth.models import PortalAccount, User
from core.models import AuditEntry
from core.records import tags
from core.records.models import Note, RecordLink, TimelineEvent
from plugins.contacts.models import Contact, ContactType, Temperature

PERSON = {"kind": "person", "first_name": "Anna", "last_name": "Müller", "company": "Müller Bau GmbH",
          "emails-0-kind": "work", "emails-0-value": "Anna@Mueller-Bau.de",
          "phones-0-kind": "mobile", "phones-0-value": "0171 2345678",
          "billing_street": "Hauptstraße 1", "billing_postcode": "50667", "billing_city": "Köln",
          "billing_country": "DE", "currency": "EUR", "access_mode": "public_write", "tags": "Kunde, Bau"}


def contacts(app):
    with app.app_context():
        return {c.name: c for c in db.session.scalars(select(Contact))}


def test_a_person_with_a_new_company_is_saved_with_everything(contacts_app, client_for):
    client = client_for("user")
    response = client.post("/contacts/new", data=PERSON)
    assert response.status_code == 302
    saved = contacts(contacts_app)
    anna, company = saved["Anna Müller"], saved["Müller Bau GmbH"]
    assert anna.company_id == company.id and company.kind == "company"
    assert anna.email == "anna@mueller-bau.de" and anna.phone == "+491712345678"
    assert anna.phones == [{"kind": "mobile", "value": "+491712345678"}]
    with contacts_app.app_context():
        user = db.session.scalars(select(User).where(User.email == "user@example.com")).one()
        assert access.members("contact", anna.id) == [user.id]  # the creator manages it
        assert sorted(tags.names_by_record("contact", [anna.id])[anna.id]) == ["Bau", "Kunde"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anna Müller" in page and "+49 171 2345678" in page and "Müller Bau GmbH" in page
    assert "Hauptstraße 1" in page and "Ulf User" in page
    # The company's page lists its person.
    company_page = client.get(f"/contacts/{company.id}").get_data(as_text=True)
    assert f'href="/contacts/{anna.id}"' in company_page


def test_bad_input_is_refused_per_field_and_nothing_is_saved(contacts_app, client_for):
    client = client_for("user", "de")
    bad = {**PERSON, "first_name": "", "emails-1-value": "kein-email", "phones-0-value": "12",
           "latitude": "95", "longitude": "7", "billing_country": "Deutschland"}
    response = client.post("/contacts/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Geben Sie einen Wert ein." in page  # first name
    assert page.count("is-invalid") >= 4
    assert contacts(contacts_app) == {}
    # A company needs its name.
    response = client.post("/contacts/new", data={"kind": "company", "name": " ", "access_mode": "public_write"})
    assert response.status_code == 400 and contacts(contacts_app) == {}


def test_save_and_create_another_and_the_duplicate_warning(contacts_app, client_for):
    client = client_for("user")
    response = client.post("/contacts/new", data={**PERSON, "after": "another"})
    assert response.headers["Location"] == "/contacts/new?kind=person"
    # Same email again: a warning with the existing contact, nothing saved.
    again = {**PERSON, "first_name": "Annette", "phones-0-value": "", "after": "show"}
    warned = client.post("/contacts/new", data=again)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 400 and 'id="duplicate-warning"' in page and "Anna Müller" in page
    assert len(contacts(contacts_app)) == 2
    # "Save anyway" saves it.
    saved = client.post("/contacts/new", data={**again, "confirm_duplicate": "1"})
    assert saved.status_code == 302 and "Annette Müller" in contacts(contacts_app)


def _image(fmt: str, size=(800, 600)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    out.seek(0)
    return out


def test_a_photo_is_resized_and_wrong_files_are_refused(contacts_app, client_for):
    client = client_for("user")
    client.post("/contacts/new", data={**PERSON, "photo": (_image("PNG"), "anna.png")},
                content_type="multipart/form-data")
    anna = contacts(contacts_app)["Anna Müller"]
    photo = client.get(f"/contacts/{anna.id}/photo")
    assert photo.mimetype == "image/png"
    assert Image.open(io.BytesIO(photo.data)).size == (200, 150)
    refused = client.post(f"/contacts/{anna.id}/edit",
                          data={**PERSON, "photo": (io.BytesIO(b"GIF89a" + b"0" * 100), "x.gif")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "not an image Kontor can read" in refused.get_data(as_text=True)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    gif.seek(0)
    refused = client.post(f"/contacts/{anna.id}/edit", data={**PERSON, "photo": (gif, "x.gif")},
                          content_type="multipart/form-data")
    assert "must be a JPEG, PNG or WebP" in refused.get_data(as_text=True)
    big = io.BytesIO(b"\xff\xd8" + b"0" * (1024 * 1024 + 10))
    refused = client.post(f"/contacts/{anna.id}/edit", data={**PERSON, "photo": (big, "big.jpg")},
                          content_type="multipart/form-data")
    assert "larger than 1 MB" in refused.get_data(as_text=True)


def test_private_contacts_are_seen_by_their_managers_only(contacts_app, client_for):
    owner_client = client_for("user")
    owner_client.post("/contacts/new", data={**PERSON, "access_mode": "private", "company": ""})
    anna = contacts(contacts_app)["Anna Müller"]
    assert client_for("other").get(f"/contacts/{anna.id}").status_code == 404
    with contacts_app.app_context():
        other = db.session.scalars(select(User).where(User.email == "other@example.com")).one()
        user = db.session.scalars(select(User).where(User.email == "user@example.com")).one()
    # Adding Otto as manager notifies him and lets him see it.
    owner_client.post(f"/contacts/{anna.id}/edit", data={**PERSON, "access_mode": "private", "company": "",
                                                          "managers": [str(user.id), str(other.id)]})
    assert client_for("other").get(f"/contacts/{anna.id}").status_code == 200
    from core.records.models import Notification

    with contacts_app.app_context():
        assert db.session.scalars(select(Notification.user_id)).all() == [other.id]


def test_admin_lists_of_types_and_temperatures(contacts_app, client_for):
    owner = client_for("owner")
    owner.post("/contacts/settings/types", data={"name": "Lieferant"})
    owner.post("/contacts/settings/temperatures", data={"name": "heiß", "color": "#ff0000"})
    assert owner.post("/contacts/settings/types", data={"name": "lieferant"}).status_code == 400
    assert client_for("user").get("/contacts/settings/types").status_code == 403
    with contacts_app.app_context():
        type_id = db.session.scalars(select(ContactType.id)).one()
        temperature_id = db.session.scalars(select(Temperature.id)).one()
    client = client_for("user")
    client.post("/contacts/new", data={**PERSON, "type_id": str(type_id), "temperature_id": str(temperature_id)})
    page = client.get(f"/contacts/{contacts(contacts_app)['Anna Müller'].id}").get_data(as_text=True)
    assert "Lieferant" in page and 'data-color="#ff0000"' in page
    # A forged id is refused.
    forged = client.post("/contacts/new", data={**PERSON, "first_name": "Bea", "type_id": "999"})
    assert forged.status_code == 400
    # Deleting the type leaves the contact without one.
    owner.post(f"/contacts/settings/types/{type_id}/delete")
    assert contacts(contacts_app)["Anna Müller"].type_id is None
    # An empty list offers the usual entries, in the admin's language.
    german = client_for("owner", "de")
    german.post("/contacts/settings/types/usual")
    with contacts_app.app_context():
        assert db.session.scalars(select(ContactType.name).order_by(ContactType.position)).all() == [
            "Kunde", "Lieferant", "Partner", "Wettbewerber"]


def test_merge_moves_notes_links_and_persons_and_is_recorded(contacts_app, client_for):
    client = client_for("user")
    client.post("/contacts/new", data={**PERSON, "company": ""})
    client.post("/contacts/new", data={**PERSON, "company": "", "emails-0-value": "anna.m@example.org",
                                       "phones-0-value": "+49 221 1234567", "billing_city": "Bonn",
                                       "tags": "Messe", "confirm_duplicate": "1"})
    with contacts_app.app_context():
        first, second = db.session.scalars(select(Contact).order_by(Contact.id)).all()
        first_id, second_id = first.id, second.id
        db.session.add(Note(entity_type="contact", record_id=second_id, text="Met at the fair", author_id=None))
        db.session.add(RecordLink(source_type="contact", source_id=second_id, target_type="contact",
                                  target_id=first_id))
        db.session.commit()
    picked = client.get(f"/contacts/{first_id}/merge?q=anna")
    assert f"other={second_id}" in picked.get_data(as_text=True)
    form = client.get(f"/contacts/{first_id}/merge?other={second_id}").get_data(as_text=True)
    assert "Bonn" in form and "Köln" in form
    response = client.post(f"/contacts/{first_id}/merge", data={"other": str(second_id), "billing_city": "other"})
    assert response.status_code == 302
    with contacts_app.app_context():
        assert db.session.get(Contact, second_id) is None
        survivor = db.session.get(Contact, first_id)
        assert survivor.billing_city == "Bonn"
        assert [row["value"] for row in survivor.emails] == ["anna@mueller-bau.de", "anna.m@example.org"]
        assert sorted(tags.names_by_record("contact", [first_id])[first_id]) == ["Bau", "Kunde", "Messe"]
        assert db.session.scalars(select(Note.record_id)).all() == [first_id]
        assert db.session.scalars(select(RecordLink)).all() == []  # the link between the two is gone
        assert db.session.scalars(select(TimelineEvent).where(TimelineEvent.action == "merged")).one().record_id \
            == first_id
        assert db.session.scalars(select(AuditEntry.event).where(AuditEntry.event == "records_merged")).one()


def test_the_customer_overview_shows_every_tab_and_the_portal_buttons(contacts_app, client_for):
    owner = client_for("owner")
    owner.post("/contacts/new", data={"kind": "company", "name": "Müller Bau GmbH", "access_mode": "public_write",
                                      "latitude": "50.9375", "longitude": "6.9603", "currency": "EUR"})
    company = contacts(contacts_app)["Müller Bau GmbH"]
    owner.post("/contacts/new", data=PERSON)
    with contacts_app.app_context():
        notes_text = "Zahlt immer pünktlich."
        db.session.add(Note(entity_type="contact", record_id=company.id, text=notes_text, author_id=None))
        db.session.add(PortalAccount(name="Anna Müller", email="anna@mueller-bau.de", customer_type="contact",
                                     customer_id=company.id))
        db.session.commit()
    page = owner.get(f"/records/contact/{company.id}/overview").get_data(as_text=True)
    for tab in ("profile", "persons", "notes", "files", "reminders", "timeline", "links", "map"):
        assert f'id="customer-tab-{tab}"' in page, tab
    assert "Anna Müller" in page and "Zahlt immer pünktlich." in page
    assert "https://www.openstreetmap.org/?mlat=50.937500&amp;mlon=6.960300" in page
    assert 'id="map-tile"' not in page  # no tile server configured: nothing leaves the house
    assert f"/admin/portal-accounts/invite/contact/{company.id}" in page
    assert "Log in as Anna Müller" in page
    # A person of a company is not a customer of its own.
    anna = contacts(contacts_app)["Anna Müller"]
    overview = owner.get(f"/records/contact/{anna.id}/overview")
    assert overview.status_code == 302 and overview.headers["Location"].endswith(f"/contacts/{anna.id}")
    assert 'id="customer-overview-link"' not in owner.get(f"/contacts/{anna.id}").get_data(as_text=True)
    # ... nor a portal customer: the invite goes through her company.
    assert owner.get(f"/admin/portal-accounts/invite/contact/{anna.id}").status_code == 404
    chooser = owner.get("/admin/portal-accounts/").get_data(as_text=True)
    assert f'value="contact:{company.id}"' in chooser and f'value="contact:{anna.id}"' not in chooser


def test_a_configured_tile_server_shows_the_map_and_is_allowed_by_the_csp(contacts_app, client_for):
    from core import settings

    owner = client_for("owner")
    owner.post("/contacts/new", data={"kind": "company", "name": "Dom", "access_mode": "public_write",
                                      "latitude": "50.9413", "longitude": "6.9583"})
    with contacts_app.app_context():
        settings.set_value("contacts.map_tile_url", "https://tiles.example.org/{z}/{x}/{y}.png")
        db.session.commit()
    company = contacts(contacts_app)["Dom"]
    response = owner.get(f"/records/contact/{company.id}/overview")
    assert 'src="https://tiles.example.org/15/17017/10978.png"' in response.get_data(as_text=True)
    assert "img-src 'self' data: https://tiles.example.org;" in response.headers["Content-Security-Policy"]


def test_delete_needs_write_access(contacts_app, client_for):
    client_for("user").post("/contacts/new", data={**PERSON, "access_mode": "public_read", "company": ""})
    anna = contacts(contacts_app)["Anna Müller"]
    assert client_for("other").post(f"/contacts/{anna.id}/delete").status_code == 403
    assert client_for("user").post(f"/contacts/{anna.id}/delete").status_code == 302
    assert contacts(contacts_app) == {}


def test_demo_data_fills_an_empty_contacts_table_once(contacts_app, client_for):
    from plugins.contacts import demo

    with contacts_app.app_context():
        demo.load()
        demo.load()
    saved = contacts(contacts_app)
    assert len(saved) == 7 and saved["Anna Müller"].company_id == saved["Müller Bau GmbH"].id
    assert saved["Jörg Weber"].phone == "+4989765432"
    page = client_for("user").get(f"/records/contact/{saved['Müller Bau GmbH'].id}/overview").get_data(as_text=True)
    assert "Bernd Schulz" in page


def test_a_deleted_contact_leaves_no_managers_behind(contacts_app, client_for):
    """Ids may be used again (SQLite reuses the highest): a new contact must not inherit the
    deleted one's managers, who would see it although it is private."""
    from core.models import RecordMember

    client_for("user").post("/contacts/new", data={**PERSON, "access_mode": "private", "company": ""})
    anna = contacts(contacts_app)["Anna Müller"]
    assert client_for("user").post(f"/contacts/{anna.id}/delete").status_code == 302
    with contacts_app.app_context():
        assert db.session.scalars(select(RecordMember).where(RecordMember.entity_type == "contact")).all() == []
