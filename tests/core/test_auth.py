"""First run, sign-in and sign-out."""
from __future__ import annotations

import re
from pathlib import Path

from core import db
from core.auth.models import User
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in


def field_error(response, name: str) -> str:
    """The error text shown beside form field ``name``, "" if none."""
    match = re.search(rf'id="field-{name}-error">(.*?)</div>\s*</div>', response.get_data(as_text=True), re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else ""


def _token(app) -> str:
    with app.app_context():
        from core.auth import setup

        return setup.setup_token()


def test_fresh_instance_leads_to_the_setup_page(app):
    client = app.test_client()
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/setup"
    assert 'name="password"' not in response.get_data(as_text=True)  # no token, no form


def test_first_run_creates_the_owner_with_the_one_time_link(app):
    token = _token(app)
    token_file = Path(app.instance_path) / "setup_token"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    client = app.test_client()
    assert client.get("/setup?token=wrong").status_code == 403
    form = {"name": "Olga Owner", "email": "Olga@Example.com", "password": "a-long-password",
            "password_repeat": "a-long-password", "language": "en"}
    bad = client.post(f"/setup?token={token}", data={**form, "password_repeat": "different"},
                      headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "The passwords do not match." in bad.get_data(as_text=True)
    short = client.post(f"/setup?token={token}", data={**form, "password": "short", "password_repeat": "short"},
                        headers={"Accept-Language": "en"})
    assert short.status_code == 400
    assert field_error(short, "password") == "At least 10 characters."
    easy = client.post(f"/setup?token={token}", headers={"Accept-Language": "en"},
                       data={**form, "password": "olga-owner-1", "password_repeat": "olga-owner-1"})
    assert easy.status_code == 400
    assert field_error(easy, "password") == "The password must not contain your name or email address."
    response = client.post(f"/setup?token={token}", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Olga Owner" in client.get("/").get_data(as_text=True)
    with app.app_context():
        owner = db.session.execute(db.select(User)).scalar_one()
        assert (owner.email, owner.role, owner.language) == ("olga@example.com", "owner", "en")
        assert owner.password_hash.startswith("$argon2")
    assert not token_file.exists()
    # The link is dead once the owner exists.
    again = app.test_client().get(f"/setup?token={token}")
    assert again.status_code == 302 and again.headers["Location"] == "/login"


def test_wrong_password_and_unknown_account_get_the_same_answer(app):
    with app.app_context():
        create_user()
    client = app.test_client()
    wrong = client.post("/login", data={"email": "owner@example.com", "password": "nope"},
                        headers={"Accept-Language": "en"}).get_data(as_text=True)
    unknown = client.post("/login", data={"email": "ghost@example.com", "password": "nope"},
                          headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Email or password is wrong." in wrong and "Email or password is wrong." in unknown


def test_login_redirects_only_to_local_pages(app):
    with app.app_context():
        create_user()
    client = app.test_client()
    response = client.post("/login?next=https://evil.example/", data={
        "email": "owner@example.com", "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/"
    client = app.test_client()
    response = client.post("/login?next=/memo/", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/memo/"


def test_deactivated_user_is_signed_out_at_once(app):
    with app.app_context():
        create_user()
        create_user(email="user@example.com", name="Uwe", role="user", password=USER_PASSWORD)
    client = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    assert client.get("/").status_code == 200
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.email == "user@example.com")).scalar_one()
        user.active = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_sign_out(owner_client):
    assert owner_client.post("/logout").status_code == 302
    assert owner_client.get("/").status_code == 302
