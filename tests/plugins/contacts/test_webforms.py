"""Web contact forms: the builder and its rules, the snippet for other sites, the hosted
page, and what a submission does (a contact with managers notified by email, tags and a
note; or per-field errors and nothing stored; honeypot, rate limit, closed forms)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import access, db
from core.auth.models import User
from core.records import tags
from core.records.models import FieldDefinition, Note, Notification
from core.testing import create_user, sign_in
from plugins.contacts.models import Contact, WebForm

PASSWORD = "webform-secret-1"
BUILDER = {"name": "Kontakt", "field_first_name": "on", "required_first_name": "on", "field_last_name": "on",
           "required_last_name": "on", "field_company": "on", "field_email": "on", "required_email": "on",
           "field_phone": "on", "field_message": "on", "field_cf_source": "on", "consent_text":
           "Ich stimme der Datenschutzerklärung zu.", "thank_you": "Danke! Wir melden uns.", "tags": "Web, Anfrage",
           "active": "on"}
VISITOR = {"first_name": "Erika", "last_name": "Mustermann", "company": "", "email": "Erika@Example.org",
           "phone": "0221 987654", "message": "Bitte rufen Sie mich an.", "cf_source": "Google", "consent": "yes",
           "website": ""}


@pytest.fixture
def smtp(smtp_server):
    return smtp_server


@pytest.fixture
def app(make_app, smtp):
    controller, _handler = smtp
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", WEBFORM_LIMIT="5 per minute",
                   BASE_URL="https://crm.example.com")
    with app.app_context():
        create_user("owner@example.com", PASSWORD, role="owner", name="Olga Owner")
        create_user("mia@example.com", PASSWORD, role="user", name="Mia Manager", language="en")
        create_user("ulf@example.com", PASSWORD, role="user", name="Ulf User")
        db.session.add(FieldDefinition(entity_type="contact", key="source", label="How did you find us?",
                                       type="choice", choices=["Google", "Friends"]))
        db.session.commit()
    return app


def client(app, who: str | None = None, language: str = "en"):
    result = app.test_client()
    result.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return sign_in(result, f"{who}@example.com", PASSWORD) if who else result


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.email == email)).one()


@pytest.fixture
def form(app):
    """A form built through the builder, managed by Mia: ``(id, key)``."""
    response = client(app, "owner").post("/contacts/webforms/new",
                                         data={**BUILDER, "managers": [user_id(app, "mia@example.com")]})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.scalars(select(WebForm)).one()
        return saved.id, saved.key


def contact_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Contact.id)))


# Building


def test_the_builder_saves_the_form(app, form):
    with app.app_context():
        saved = db.session.get(WebForm, form[0])
        assert saved.name == "Kontakt" and saved.active
        assert [(row["field"], row["required"]) for row in saved.fields] == [
            ("first_name", True), ("last_name", True), ("company", False), ("email", True), ("phone", False),
            ("message", False), ("cf_source", False)]
        assert saved.manager_ids == [user_id(app, "mia@example.com")]
        assert saved.tags == "Web, Anfrage"
    listing = client(app, "owner").get("/contacts/webforms/").get_data(as_text=True)
    assert "Kontakt" in listing and f"/forms/{form[1]}" in listing


@pytest.mark.parametrize("change, field, message", [
    ({"name": ""}, "name", "Enter a value."),
    ({"field_first_name": None, "required_first_name": None}, "fields",
     "Ask for the first name and the last name together."),
    ({"field_first_name": None, "field_last_name": None, "field_company": None}, "fields",
     "Ask for the first and last name or the company name, so the contact has a name."),
    ({"field_email": None, "field_phone": None}, "fields",
     "Ask for the email address or the phone number, so you can answer."),
    ({"redirect_url": "javascript:alert(1)"}, "redirect_url", "Enter a web address starting with http:// or https://."),
    ({"redirect_url": "ftp://example.com/thanks"}, "redirect_url",
     "Enter a web address starting with http:// or https://."),
    ({"tags": "x" * 101}, "tags", "Enter between 1 and 100 characters."),
    ({"managers": ["99999"]}, "manager_ids", "Choose managers among the active users."),
    ({}, "manager_ids", "Choose at least one manager, so somebody sees the new contacts."),
])
def test_the_builder_refuses_what_is_wrong(app, change, field, message):
    data = {key: value for key, value in {**BUILDER, **change}.items() if value is not None}
    response = client(app, "owner").post("/contacts/webforms/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="webform-{field}-error"' in page
    error = page.split(f'id="webform-{field}-error">')[1].split("</div></div>")[0]
    assert message in error.replace("&#39;", "'").replace("&amp;", "&"), error
    with app.app_context():
        assert db.session.scalar(select(func.count(WebForm.id))) == 0


def test_a_form_is_edited(app, form):
    owner = client(app, "owner")
    page = owner.get(f"/contacts/webforms/{form[0]}/edit").get_data(as_text=True)
    assert 'value="Kontakt"' in page
    assert 'name="field_company" checked' in page and 'name="required_company" aria-label' in page
    assert 'name="field_street">' in page  # not on the form
    ulf = user_id(app, "ulf@example.com")
    response = owner.post(f"/contacts/webforms/{form[0]}/edit", data={
        **BUILDER, "name": "Rückruf", "field_street": "on", "required_street": "on", "managers": [ulf]})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(WebForm, form[0])
        assert saved.name == "Rückruf" and saved.manager_ids == [ulf] and saved.key == form[1]
        assert {"field": "street", "required": True} in saved.fields


def test_a_deactivated_manager_is_left_out(app, form):
    with app.app_context():
        db.session.get(User, user_id(app, "mia@example.com")).active = False
        db.session.commit()
    assert client(app).post(f"/forms/{form[1]}", data=VISITOR).status_code == 200
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        assert access.members("contact", contact.id) == []


def test_the_builder_is_for_contact_admins(app, form):
    user = client(app, "ulf")
    assert user.get("/contacts/webforms/").status_code == 403
    assert user.post("/contacts/webforms/new", data=BUILDER).status_code == 403
    assert user.post(f"/contacts/webforms/{form[0]}/delete").status_code == 403


def test_the_snippet_posts_to_the_absolute_hosted_url(app, form):
    page = client(app, "owner").get(f"/contacts/webforms/{form[0]}").get_data(as_text=True)
    code = page.split('id="snippet-code" rows="16" readonly>')[1].split("</textarea>")[0]
    code = code.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&quot;", '"')
    assert f'<form method="post" action="https://crm.example.com/forms/{form[1]}"' in code
    for name in ("first_name", "last_name", "company", "email", "phone", "message", "cf_source", "website",
                 "consent"):
        assert f'name="{name}"' in code, name
    assert "<script" not in code and "csrf_token" not in code
    assert '<option value="Google">Google</option>' in code


# Submitting


def test_a_submission_creates_a_contact_and_tells_the_managers(app, form, smtp):
    response = client(app, language="de").post(f"/forms/{form[1]}", data=VISITOR)
    assert response.status_code == 200
    assert "Danke! Wir melden uns." in response.get_data(as_text=True)
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        assert (contact.kind, contact.first_name, contact.last_name) == ("person", "Erika", "Mustermann")
        assert contact.email == "erika@example.org" and contact.phone == "+49221987654"
        assert contact.description == "Bitte rufen Sie mich an."
        assert contact.custom == {"source": "Google"}
        assert contact.access_mode == "private"  # the default of contacts: its managers see it
        mia = user_id(app, "mia@example.com")
        assert access.members("contact", contact.id) == [mia]
        assert sorted(t.name for t in tags.tags_of("contact", contact.id)) == ["Anfrage", "Web"]
        note = db.session.scalars(select(Note).where(Note.record_id == contact.id)).one()
        # "Created from the web form “Kontakt”.", and the message
        heading = note.text.split("\n\n")[0]
        assert "Kontakt" in heading and heading != "Kontakt"
        assert note.text.endswith("\n\nBitte rufen Sie mich an.")
        notification = db.session.scalars(select(Notification).where(Notification.user_id == mia)).one()
        assert "Erika Mustermann" in notification.message
    _controller, handler = smtp
    (sender, recipients, message), = handler.messages
    assert recipients == ["mia@example.com"]
    assert "Erika Mustermann" in message["Subject"]
    assert f"https://crm.example.com/contacts/{contact.id}" in message.get_content()


def test_a_person_naming_a_company_belongs_to_a_new_company(app, form):
    client(app).post(f"/forms/{form[1]}", data={**VISITOR, "company": "Muster AG"})
    with app.app_context():
        person = db.session.scalars(select(Contact).where(Contact.kind == "person")).one()
        company = db.session.scalars(select(Contact).where(Contact.kind == "company")).one()
        assert company.name == "Muster AG" and person.company_id == company.id
        assert access.members("contact", company.id) == [user_id(app, "mia@example.com")]


def test_a_second_person_of_the_same_company_makes_no_second_company(app, form):
    client(app).post(f"/forms/{form[1]}", data={**VISITOR, "company": "Muster AG"})
    client(app).post(f"/forms/{form[1]}", data={**VISITOR, "first_name": "Max", "email": "max@example.org",
                                              "company": "Muster AG"})
    with app.app_context():
        company = db.session.scalars(select(Contact).where(Contact.kind == "company")).one()
        persons = db.session.scalars(select(Contact).where(Contact.kind == "person")).all()
        assert len(persons) == 2 and {person.company_id for person in persons} == {company.id}


def test_a_redirect_follows_a_valid_submission(app, form):
    with app.app_context():
        db.session.get(WebForm, form[0]).redirect_url = "https://www.example.com/danke"
        db.session.commit()
    visitor = client(app)
    page = visitor.get(f"/forms/{form[1]}")
    assert "form-action 'self' https://www.example.com" in page.headers["Content-Security-Policy"]
    response = visitor.post(f"/forms/{form[1]}", data=VISITOR)
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.example.com/danke"
    assert contact_count(app) == 1


def errors_of(response) -> dict[str, str]:
    page = response.get_data(as_text=True)
    return {name: re.sub(r"<[^>]+>", "", text).strip() for name, text in
            re.findall(r'id="kontor-[\w-]{8}-(\w+)-error">(.*?)</div></div>', page, re.S)}


def test_required_fields_and_consent_are_checked_in_german(app, form):
    response = client(app, language="de").post(f"/forms/{form[1]}", data={
        **VISITOR, "first_name": "", "email": "", "consent": ""})
    assert response.status_code == 400
    errors = errors_of(response)
    assert set(errors) == {"first_name", "email", "consent"}
    assert errors["first_name"] == errors["email"] == "Geben Sie einen Wert ein."
    page = response.get_data(as_text=True)
    assert 'value="Mustermann"' in page  # what was typed stays
    assert contact_count(app) == 0


def test_invalid_email_and_phone_are_named(app, form):
    response = client(app).post(f"/forms/{form[1]}", data={**VISITOR, "email": "erika@", "phone": "call me"})
    assert response.status_code == 400
    assert errors_of(response) == {"email": "Enter an email address.",
                                   "phone": "Enter a phone number, e.g. +49 221 1234567."}
    response = client(app).post(f"/forms/{form[1]}", data={**VISITOR, "cf_source": "Radio"})
    assert set(errors_of(response)) == {"cf_source"}
    assert contact_count(app) == 0


def test_a_filled_honeypot_is_thanked_and_dropped(app, form, smtp):
    response = client(app).post(f"/forms/{form[1]}", data={**VISITOR, "website": "http://spam.example"})
    assert response.status_code == 200
    assert "Danke! Wir melden uns." in response.get_data(as_text=True)
    assert contact_count(app) == 0
    assert smtp[1].messages == []


def test_too_many_submissions_from_one_address_are_refused(app, form):
    visitor = client(app)
    for _number in range(5):
        assert visitor.post(f"/forms/{form[1]}", data={**VISITOR, "email": ""}).status_code == 400
    response = visitor.post(f"/forms/{form[1]}", data=VISITOR)
    assert response.status_code == 429
    assert "Too many messages came from your address" in response.get_data(as_text=True)
    assert contact_count(app) == 0
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert other.post(f"/forms/{form[1]}", data=VISITOR).status_code == 200


def test_a_closed_form_takes_nothing(app, form):
    owner = client(app, "owner")
    assert owner.post(f"/contacts/webforms/{form[0]}/active", data={"active": "0"}).status_code == 302
    response = client(app).get(f"/forms/{form[1]}")
    assert response.status_code == 410
    assert "This form is closed" in response.get_data(as_text=True)
    assert client(app).post(f"/forms/{form[1]}", data=VISITOR).status_code == 410
    assert contact_count(app) == 0
    assert client(app).get("/forms/no-such-form").status_code == 404


def test_a_deleted_form_is_gone(app, form):
    client(app, "owner").post(f"/contacts/webforms/{form[0]}/delete")
    assert client(app).get(f"/forms/{form[1]}").status_code == 404


def test_the_hosted_page_shows_the_fields_and_needs_no_csrf_token(make_app, smtp):
    """With CSRF protection on, the other site's post (no token) is taken."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_user("owner@example.com", PASSWORD, role="owner", name="Olga Owner")
        saved = WebForm(key="k" * 22, name="Anfrage", fields=[{"field": "company", "required": True},
                                                               {"field": "email", "required": False}])
        db.session.add(saved)
        db.session.commit()
    page = client(app, language="de").get("/forms/" + "k" * 22).get_data(as_text=True)
    assert "Anfrage" in page and 'name="company"' in page and 'name="email"' in page
    assert 'name="first_name"' not in page
    response = client(app).post("/forms/" + "k" * 22, data={"company": "Beispiel GmbH", "email": "a@b.de"})
    assert response.status_code == 200
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        assert (contact.kind, contact.name, contact.email) == ("company", "Beispiel GmbH", "a@b.de")
    # Everywhere else CSRF still applies.
    assert client(app).post("/language", data={"language": "en"}).status_code == 400
