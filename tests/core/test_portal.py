"""The customer portal: invitations by email, sign-in, passwords, and staff logging in as a
customer."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from core import db
from core.auth import tokens
from core.auth.models import PortalAccount
from core.models import AuditEntry
from tests.conftest import OWNER_PASSWORD, create_user, sign_in

CUSTOMER_PASSWORD = "Harbour-lights-42"


@pytest.fixture
def smtp_app(make_app, smtp_server):
    from tests.support import memo

    controller, _handler = smtp_server
    return make_app(PLUGINS=[memo], SMTP_URL=f"smtp://127.0.0.1:{controller.port}")


def make_customers(app):
    """Customers A and B with a record each; ``(a_id, b_id, a_record_id, b_record_id)``."""
    from tests.support.memo import MemoCustomer, MemoRecord

    with app.app_context():
        a, b = MemoCustomer(name="Alpha Shipping"), MemoCustomer(name="Beta Bakery")
        db.session.add_all([a, b])
        db.session.flush()
        ra = MemoRecord(title="Alpha freight contract", customer_type="memo_customer", customer_id=a.id)
        rb = MemoRecord(title="Beta flour order", customer_type="memo_customer", customer_id=b.id)
        db.session.add_all([ra, rb])
        db.session.commit()
        return a.id, b.id, ra.id, rb.id


def make_account(app, customer_id, email="anna@alpha.example", name="Anna Alpha", password=CUSTOMER_PASSWORD):
    with app.app_context():
        account = PortalAccount(email=email, name=name, customer_type="memo_customer", customer_id=customer_id)
        account.set_password(password)
        db.session.add(account)
        db.session.commit()
        return account.id


def english(client):
    """Pages in English whatever the translations say: tests read the English text."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def new_client(app):
    return english(app.test_client())


def portal_sign_in(client, email, password=CUSTOMER_PASSWORD):
    response = client.post("/portal/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def link_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/portal/\S+)", body).group(1)


def password_hash(app, account_id):
    with app.app_context():
        return db.session.get(PortalAccount, account_id).password_hash


def events(app):
    with app.app_context():
        return list(db.session.execute(select(AuditEntry.event).order_by(AuditEntry.id)).scalars())


# The whole way: invitation, first password, sign-in, own records only


def test_invited_customer_sets_password_signs_in_and_sees_only_own_records(smtp_app, smtp_server):
    _controller, handler = smtp_server
    a_id, b_id, _ra, rb = make_customers(smtp_app)
    with smtp_app.app_context():
        create_user()
    staff = sign_in(new_client(smtp_app), "owner@example.com", OWNER_PASSWORD)

    page = staff.get("/admin/portal-accounts/")
    assert "Alpha Shipping" in text(page) and "Beta Bakery" in text(page)
    chosen = staff.get(f"/admin/portal-accounts/invite?customer=memo_customer:{a_id}")
    assert chosen.headers["Location"] == f"/admin/portal-accounts/invite/memo_customer/{a_id}"
    form = staff.get(chosen.headers["Location"])
    assert "Alpha Shipping" in text(form)
    sent = staff.post(chosen.headers["Location"],
                      data={"name": "Anna Alpha", "email": "Anna@Alpha.example", "language": "en"})
    assert sent.status_code == 302
    assert "anna@alpha.example" in text(staff.get("/admin/portal-accounts/"))
    assert "portal_account_invited" in events(smtp_app)

    (_sender, recipients, message), = handler.messages
    assert recipients == ["anna@alpha.example"]
    assert "customer portal" in message["Subject"]
    link = link_in(message)
    assert link.startswith("/portal/invitation/")

    customer = new_client(smtp_app)
    assert "Anna Alpha" in text(customer.get(link))
    weak = customer.post(link, data={"password": "short", "password_repeat": "short"})
    assert weak.status_code == 400
    accepted = customer.post(link, data={"password": CUSTOMER_PASSWORD, "password_repeat": CUSTOMER_PASSWORD})
    assert accepted.headers["Location"] == "/portal/"
    home = text(customer.get("/portal/"))
    assert "Anna Alpha" in home and "Alpha Shipping" in home and "Beta Bakery" not in home
    # The link worked once.
    assert customer.get(link).status_code == 400

    fresh = portal_sign_in(new_client(smtp_app), "anna@alpha.example")
    assert "Alpha Shipping" in text(fresh.get("/portal/"))
    records = text(fresh.get("/portal/memo/records"))
    assert "Alpha freight contract" in records and "Beta flour order" not in records
    assert fresh.get(f"/portal/memo/records/{rb}").status_code == 404
    assert "portal_login" in events(smtp_app)
    listed = staff.get("/admin/portal-accounts/")
    assert listed.status_code == 200 and "never" not in text(listed)  # the last sign-in shows


def test_customer_b_cannot_open_customer_a_record(app):
    a_id, b_id, ra, _rb = make_customers(app)
    make_account(app, a_id)
    make_account(app, b_id, email="bert@beta.example", name="Bert Beta")
    b = portal_sign_in(new_client(app), "bert@beta.example")
    assert b.get(f"/portal/memo/records/{ra}").status_code == 404
    assert "Alpha freight contract" not in text(b.get("/portal/memo/records"))
    a = portal_sign_in(new_client(app), "anna@alpha.example")
    assert text(a.get(f"/portal/memo/records/{ra}")) == "Alpha freight contract"


def test_invite_checks_customer_and_unique_email(owner_client, app):
    english(owner_client)
    a_id, *_ = make_customers(app)
    make_account(app, a_id)
    assert owner_client.get("/admin/portal-accounts/invite/memo_customer/9999").status_code == 404
    assert owner_client.get(f"/admin/portal-accounts/invite/memo_record/{a_id}").status_code == 404
    taken = owner_client.post(f"/admin/portal-accounts/invite/memo_customer/{a_id}",
                              data={"name": "Other", "email": "anna@alpha.example", "language": "de"})
    assert taken.status_code == 400
    assert "exists already" in text(taken)
    with app.app_context():
        assert db.session.execute(select(PortalAccount)).scalars().all()[0].name == "Anna Alpha"


# Who gets in


def test_anonymous_and_staff_are_sent_to_portal_login(owner_client, app):
    anonymous = new_client(app).get("/portal/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/portal/login?next=/portal/")
    staff = owner_client.get("/portal/")
    assert staff.status_code == 302 and staff.headers["Location"].startswith("/portal/login")
    assert owner_client.get("/portal/memo/records").headers["Location"].startswith("/portal/login")


def test_login_errors_are_neutral_and_next_stays_in_portal(app):
    a_id, *_ = make_customers(app)
    make_account(app, a_id)
    client = new_client(app)
    unknown = text(client.post("/portal/login", data={"email": "nobody@x.example", "password": "whatever-1"}))
    wrong = text(client.post("/portal/login", data={"email": "anna@alpha.example", "password": "whatever-1"}))
    assert "Email or password is wrong." in unknown and "Email or password is wrong." in wrong
    assert "portal_login_failed" in events(app)
    offsite = client.post("/portal/login?next=/admin/modules",
                          data={"email": "anna@alpha.example", "password": CUSTOMER_PASSWORD})
    assert offsite.headers["Location"] == "/portal/"
    client = new_client(app)
    inside = client.post("/portal/login?next=/portal/memo/records",
                         data={"email": "anna@alpha.example", "password": CUSTOMER_PASSWORD})
    assert inside.headers["Location"] == "/portal/memo/records"


def test_portal_login_is_throttled(make_app):
    from tests.support import memo

    app = make_app(PLUGINS=[memo], LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    a_id, *_ = make_customers(app)
    make_account(app, a_id)
    client = new_client(app)
    for _attempt in range(3):
        assert client.post("/portal/login", data={"email": "anna@alpha.example", "password": "wrong-one-1"}
                           ).status_code == 200
    blocked = client.post("/portal/login", data={"email": "anna@alpha.example", "password": CUSTOMER_PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed attempts" in text(blocked)
    assert client.get("/portal/").status_code == 302  # not signed in


def test_deactivated_account_is_signed_out(owner_client, app):
    english(owner_client)
    a_id, *_ = make_customers(app)
    account_id = make_account(app, a_id)
    customer = portal_sign_in(new_client(app), "anna@alpha.example")
    assert customer.get("/portal/").status_code == 200
    assert owner_client.post(f"/admin/portal-accounts/{account_id}/active").status_code == 302
    assert "deactivated" in text(owner_client.get("/admin/portal-accounts/"))
    assert customer.get("/portal/").headers["Location"].startswith("/portal/login")
    assert new_client(app).post("/portal/login", data={"email": "anna@alpha.example",
                                                         "password": CUSTOMER_PASSWORD}).status_code == 200


def test_logout(app):
    a_id, *_ = make_customers(app)
    make_account(app, a_id)
    customer = portal_sign_in(new_client(app), "anna@alpha.example")
    assert customer.post("/portal/logout").headers["Location"] == "/portal/login"
    assert customer.get("/portal/").status_code == 302
    assert "portal_logout" in events(app)


# Passwords


def test_change_own_password(app):
    a_id, *_ = make_customers(app)
    account_id = make_account(app, a_id)
    customer = portal_sign_in(new_client(app), "anna@alpha.example")
    other_session = portal_sign_in(new_client(app), "anna@alpha.example")
    wrong = customer.post("/portal/password", data={"current_password": "nope-nope-1", "password": "New-harbour-77",
                                                    "password_repeat": "New-harbour-77"})
    assert wrong.status_code == 400 and "current password is wrong" in text(wrong)
    done = customer.post("/portal/password", data={"current_password": CUSTOMER_PASSWORD,
                                                   "password": "New-harbour-77", "password_repeat": "New-harbour-77"})
    assert done.status_code == 302
    assert customer.get("/portal/").status_code == 200  # this session stays
    assert other_session.get("/portal/").status_code == 302  # the others end
    with app.app_context():
        assert db.session.get(PortalAccount, account_id).check_password("New-harbour-77")


def test_forgotten_password_by_email(smtp_app, smtp_server):
    _controller, handler = smtp_server
    a_id, *_ = make_customers(smtp_app)
    account_id = make_account(smtp_app, a_id)
    client = new_client(smtp_app)
    unknown = client.post("/portal/forgot", data={"email": "nobody@x.example"})
    known = client.post("/portal/forgot", data={"email": "anna@alpha.example"})
    assert unknown.status_code == known.status_code == 302
    (_sender, recipients, message), = handler.messages
    assert recipients == ["anna@alpha.example"]
    link = link_in(message)
    assert link.startswith("/portal/reset/")
    done = client.post(link, data={"password": "Fresh-harbour-9", "password_repeat": "Fresh-harbour-9"})
    assert done.headers["Location"] == "/portal/login"
    portal_sign_in(new_client(smtp_app), "anna@alpha.example", "Fresh-harbour-9")
    # Used once: the same link is dead now, and changes nothing.
    before = password_hash(smtp_app, account_id)
    again = client.post(link, data={"password": "Other-harbour-9", "password_repeat": "Other-harbour-9"})
    assert again.status_code == 400 and "This link is not valid" in text(again)
    assert password_hash(smtp_app, account_id) == before


def test_tampered_links_change_nothing(app):
    a_id, *_ = make_customers(app)
    account_id = make_account(app, a_id)
    with app.app_context(), app.test_request_context():
        account = db.session.get(PortalAccount, account_id)
        reset_token, invite_token = tokens.make("portal_reset", account), tokens.make("portal_invite", account)
    before = password_hash(app, account_id)
    client = new_client(app)
    for url in (f"/portal/reset/{reset_token}x", f"/portal/invitation/{invite_token[:-2]}",
                f"/portal/reset/{invite_token}", "/portal/invitation/garbage"):
        assert client.get(url).status_code == 400
        response = client.post(url, data={"password": "Tampered-pass-1", "password_repeat": "Tampered-pass-1"})
        assert response.status_code == 400
        assert "This link is not valid" in text(response)
    assert password_hash(app, account_id) == before
    assert client.get("/portal/").status_code == 302


# Login as customer


def test_owner_logs_in_as_customer_and_back(owner_client, app):
    english(owner_client)
    a_id, _b_id, _ra, rb = make_customers(app)
    account_id = make_account(app, a_id)
    page = text(owner_client.get("/admin/portal-accounts/"))
    assert "Log in as customer" in page and "Anna Alpha" in page

    started = owner_client.post(f"/admin/portal-accounts/{account_id}/impersonate")
    assert started.headers["Location"] == "/portal/"
    home = text(owner_client.get("/portal/"))
    assert "You are viewing the portal as Anna Alpha (Alpha Shipping)." in home
    assert "Back to Kontor" in home
    records = text(owner_client.get("/portal/memo/records"))
    assert "Alpha freight contract" in records and "Beta flour order" not in records
    assert owner_client.get(f"/portal/memo/records/{rb}").status_code == 404

    before = password_hash(app, account_id)
    refused = owner_client.post("/portal/password", data={
        "current_password": CUSTOMER_PASSWORD, "password": "Staff-chosen-99", "password_repeat": "Staff-chosen-99"})
    assert refused.status_code == 403
    assert "Staff cannot change a customer's password" in html.unescape(text(refused))
    assert owner_client.get("/portal/password").status_code == 403
    assert password_hash(app, account_id) == before

    # The staff session stays intact throughout.
    assert owner_client.get("/admin/portal-accounts/").status_code == 200

    ended = owner_client.post("/portal/impersonation/end")
    assert ended.headers["Location"] == "/admin/portal-accounts/"
    assert owner_client.get("/portal/").headers["Location"].startswith("/portal/login")
    assert owner_client.get("/").status_code == 200
    with app.app_context():
        entries = db.session.execute(select(AuditEntry).where(
            AuditEntry.event.in_(("impersonation_started", "impersonation_ended"))).order_by(AuditEntry.id)
        ).scalars().all()
        assert [e.event for e in entries] == ["impersonation_started", "impersonation_ended"]
        assert all(e.portal_account_id == account_id and e.user_id is not None for e in entries)


def test_impersonation_refused_without_permission_or_for_inactive_accounts(user_client, app):
    owner_client = sign_in(new_client(app), "owner@example.com", OWNER_PASSWORD)
    a_id, *_ = make_customers(app)
    account_id = make_account(app, a_id)
    assert user_client.post(f"/admin/portal-accounts/{account_id}/impersonate").status_code == 403
    assert user_client.get("/portal/").headers["Location"].startswith("/portal/login")
    assert user_client.get("/admin/portal-accounts/").status_code == 403

    owner_client.post(f"/admin/portal-accounts/{account_id}/active")
    refused = owner_client.post(f"/admin/portal-accounts/{account_id}/impersonate", follow_redirects=True)
    assert "deactivated" in text(refused)
    assert owner_client.get("/portal/").status_code == 302
    assert "impersonation_started" not in events(app)


def test_staff_sign_out_ends_the_customer_view(owner_client, app):
    a_id, *_ = make_customers(app)
    account_id = make_account(app, a_id)
    owner_client.post(f"/admin/portal-accounts/{account_id}/impersonate")
    assert owner_client.get("/portal/").status_code == 200
    owner_client.post("/logout")
    assert owner_client.get("/portal/").headers["Location"].startswith("/portal/login")



def test_the_language_switch_keeps_the_customers_language_but_not_while_staff_look(app):
    a_id, _b_id, _ra, _rb = make_customers(app)
    account_id = make_account(app, a_id)
    customer = portal_sign_in(new_client(app), "anna@alpha.example")
    response = customer.post("/language", data={"language": "de", "next": "/portal/"})
    assert response.headers["Location"] == "/portal/"
    assert 'lang="de"' in text(customer.get("/portal/"))
    with app.app_context():
        assert db.session.get(PortalAccount, account_id).language == "de"
    with app.app_context():
        create_user()
    staff = sign_in(new_client(app), "owner@example.com", OWNER_PASSWORD)
    staff.post(f"/admin/portal-accounts/{account_id}/impersonate")
    staff.post("/language", data={"language": "en", "next": "/portal/"})
    with app.app_context():
        assert db.session.get(PortalAccount, account_id).language == "de"  # the customer's own choice stays


def test_the_accounts_list_pages_and_names_each_customer(app):
    a_id, b_id, _ra, _rb = make_customers(app)
    for number in range(30):
        make_account(app, a_id if number % 2 else b_id, email=f"p{number:02d}@example.com", name=f"Person {number:02d}")
    with app.app_context():
        create_user()
    staff = sign_in(new_client(app), "owner@example.com", OWNER_PASSWORD)
    first = text(staff.get("/admin/portal-accounts/"))
    assert first.count("Person ") == 25 and "Alpha Shipping" in first and "Beta Bakery" in first
    after = re.search(r'href="([^"]*after=\d+[^"]*)"', first).group(1)
    rest = text(staff.get(html.unescape(after)))
    assert rest.count("Person ") == 5 and "Person 29" in rest
