"""Staff accounts: forgotten passwords, invitations, the account page, the audit log."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import db
from core.auth import accounts
from core.auth.models import User
from core.models import AuditEntry
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in
from tests.core.test_auth import field_error

EN = {"Accept-Language": "en"}
NEW_PASSWORD = "brand-new-secret-9"


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app sending through the real SMTP server, with the owner and one user: ``(app, messages)``."""
    controller, handler = smtp_server
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{controller.port}")
    with app.app_context():
        create_user()
        create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD, language="en")
    return app, handler.messages


def _link(message) -> str:
    """The path of the one link in an email."""
    body = message.get_body(("plain",)).get_content()
    url = re.search(r"https?://\S+", body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def _events(app, event: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry).where(AuditEntry.event == event)).scalars())


def _user(app, email: str) -> User:
    with app.app_context():
        return db.session.execute(select(User).where(User.email == email)).scalar_one()


# Forgotten passwords


def test_password_reset_end_to_end(mail_app):
    app, messages = mail_app
    client = app.test_client()
    assert "Forgot your password?" in client.get("/login", headers=EN).get_data(as_text=True)
    response = client.post("/password/forgot", data={"email": "User@Example.com"}, headers=EN, follow_redirects=True)
    assert "If an account with this email address exists" in response.get_data(as_text=True)
    assert len(messages) == 1
    _sender, recipients, message = messages[0]
    assert recipients == ["user@example.com"] and message["Subject"] == "Reset your Kontor password"
    link = _link(message)
    assert link.startswith("/password/reset/")

    page = client.get(link, headers=EN)
    assert page.status_code == 200 and 'name="password_repeat"' in page.get_data(as_text=True)
    weak = client.post(link, data={"password": "uwe-user-pass", "password_repeat": "uwe-user-pass"}, headers=EN)
    assert weak.status_code == 400
    assert field_error(weak, "password") == "The password must not contain your name or email address."
    mismatch = client.post(link, data={"password": NEW_PASSWORD, "password_repeat": "other"}, headers=EN)
    assert field_error(mismatch, "password_repeat") == "The passwords do not match."
    done = client.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Uwe User" in client.get("/").get_data(as_text=True)  # signed in

    # The old password is dead, the new one works, and the link works once.
    old = app.test_client().post("/login", data={"email": "user@example.com", "password": USER_PASSWORD})
    assert old.status_code == 200
    sign_in(app.test_client(), "user@example.com", NEW_PASSWORD)
    again = app.test_client().get(link, headers=EN)
    assert again.status_code == 400 and "This link is invalid or has expired" in again.get_data(as_text=True)
    assert [e.subject for e in _events(app, "password_reset_requested")] == ["user@example.com"]
    assert [e.subject for e in _events(app, "password_reset")] == ["user@example.com"]


def test_password_reset_ends_other_sessions(mail_app):
    app, messages = mail_app
    other = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    client = app.test_client()
    client.post("/password/forgot", data={"email": "user@example.com"})
    client.post(_link(messages[0][2]), data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert other.get("/").status_code == 302


def test_forgot_password_answers_the_same_for_unknown_and_inactive_accounts(mail_app):
    app, messages = mail_app
    with app.app_context():
        create_user(email="gone@example.com", name="Gone", role="user", active=False)
    client = app.test_client()
    answers = []
    for email in ("ghost@example.com", "gone@example.com", "user@example.com"):
        response = client.post("/password/forgot", data={"email": email}, headers=EN, follow_redirects=True)
        answers.append(re.search(r'role="alert">\s*(.*?)<button', response.get_data(as_text=True), re.S).group(1))
    assert len(set(answers)) == 1 and "If an account with this email address exists" in answers[0]
    assert [recipients for _s, recipients, _m in messages] == [["user@example.com"]]


def test_forgot_password_is_throttled(make_app, smtp_server):
    controller, handler = smtp_server
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", LOGIN_LIMIT_ACCOUNT="2 per 15 minutes")
    with app.app_context():
        create_user()
    client = app.test_client()
    for _n in range(4):
        response = client.post("/password/forgot", data={"email": "owner@example.com"}, headers=EN)
        assert response.status_code == 302
    assert len(handler.messages) == 2


def test_tampered_and_expired_reset_links_get_a_clear_page(make_app, smtp_server):
    controller, handler = smtp_server
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", TOKEN_MAX_AGE_RESET=-1)
    with app.app_context():
        create_user()
    client = app.test_client()
    client.post("/password/forgot", data={"email": "owner@example.com"})
    link = _link(handler.messages[0][2])
    expired = client.get(link, headers=EN)
    assert expired.status_code == 400
    text = expired.get_data(as_text=True)
    assert "This link is invalid or has expired" in text and 'href="/password/forgot"' in text
    # Posting a new password through it does nothing either.
    assert client.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}).status_code == 400
    tampered = client.get(link[:-3] + "xyz", headers=EN)
    assert tampered.status_code == 400 and "This link is invalid or has expired" in tampered.get_data(as_text=True)
    sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)  # unchanged


# Invitations


def test_invited_user_sets_a_password_and_signs_in(mail_app):
    app, messages = mail_app
    owner = _user(app, "owner@example.com")
    with app.test_request_context():
        accounts.invite_user("Ina Neu", "Ina@Example.com", actor=db.session.get(User, owner.id), language="en")
        db.session.commit()
    _sender, recipients, message = messages[0]
    assert recipients == ["ina@example.com"] and "Olga Owner invited you" in message.get_body(("plain",)).get_content()
    link = _link(message)
    assert link.startswith("/invitation/")
    # Without a password nobody can sign in yet.
    assert app.test_client().post("/login", data={"email": "ina@example.com", "password": ""}).status_code == 200

    client = app.test_client()
    short = client.post(link, data={"password": "short", "password_repeat": "short"}, headers=EN)
    assert short.status_code == 400 and field_error(short, "password") == "At least 10 characters."
    done = client.post(link, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Ina Neu" in client.get("/").get_data(as_text=True)
    sign_in(app.test_client(), "ina@example.com", NEW_PASSWORD)
    assert app.test_client().get(link).status_code == 400  # used
    assert [e.subject for e in _events(app, "invitation_accepted")] == ["ina@example.com"]
    # An invitation link is no reset link.
    assert app.test_client().get(link.replace("/invitation/", "/password/reset/")).status_code == 400


# The account page


def test_account_page_changes_name_language_and_time_zone(user_client, app):
    page = user_client.get("/account", headers=EN)
    assert page.status_code == 200 and 'value="Europe/Berlin" selected' in page.get_data(as_text=True)
    bad = user_client.post("/account", data={"name": "", "language": "xx", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert field_error(bad, "timezone") and field_error(bad, "language") and field_error(bad, "name")
    assert _user(app, "user@example.com").name == "Uwe User"  # nothing saved half
    ok = user_client.post("/account", data={"name": "Uwe Neu", "language": "en", "timezone": "America/New_York"})
    assert ok.status_code == 302
    user = _user(app, "user@example.com")
    assert (user.name, user.language, user.timezone) == ("Uwe Neu", "en", "America/New_York")
    assert "Your account is saved." in user_client.get("/account").get_data(as_text=True)


def test_password_change_ends_other_sessions_only(app):
    with app.app_context():
        create_user()
        create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD)
    client = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    other = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    wrong = client.post("/account/password", headers=EN, data={
        "current_password": "wrong", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert wrong.status_code == 400 and field_error(wrong, "current_password") == "The current password is not right."
    weak = client.post("/account/password", headers=EN, data={
        "current_password": USER_PASSWORD, "password": "aaaaaaaaaaaa", "password_repeat": "aaaaaaaaaaaa"})
    assert weak.status_code == 400 and field_error(weak, "password") == "This password is too easy to guess."
    sign_in(app.test_client(), "user@example.com", USER_PASSWORD)  # not changed
    ok = client.post("/account/password", data={
        "current_password": USER_PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one ended
    sign_in(app.test_client(), "user@example.com", NEW_PASSWORD)
    assert len(_events(app, "password_changed")) == 1


def test_sign_out_everywhere(app):
    with app.app_context():
        create_user()
    first = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    second = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    assert first.post("/account/sign-out-everywhere").headers["Location"] == "/login"
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)


def test_account_page_needs_a_signed_in_user(app):
    with app.app_context():
        create_user()
    assert app.test_client().get("/account").headers["Location"].startswith("/login")


def test_sign_in_and_out_are_audited(app):
    with app.app_context():
        create_user()
    client = app.test_client()
    client.post("/login", data={"email": "owner@example.com", "password": "wrong-one"})
    client.post("/login", data={"email": "nobody@example.com", "password": "wrong-one"})
    sign_in(client, "owner@example.com", OWNER_PASSWORD)
    client.post("/logout")
    assert sorted(e.subject for e in _events(app, "login_failed")) == ["nobody@example.com", "owner@example.com"]
    owner = _user(app, "owner@example.com")
    assert [(e.user_id, e.subject) for e in _events(app, "login")] == [(owner.id, "owner@example.com")]
    assert [e.user_id for e in _events(app, "logout")] == [owner.id]
