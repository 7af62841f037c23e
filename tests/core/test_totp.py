"""Two-factor login: setup, sign-in with a code or a recovery code, switching off, and the
owner's "require two-factor login" setting."""
from __future__ import annotations

import base64
import re
import time

import pyotp
from sqlalchemy import select

from core import db
from core import settings as core_settings
from core.auth.models import User
from core.models import AuditEntry
from core.testing import totp_code
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in
from tests.core.test_auth import field_error

EN = {"Accept-Language": "en"}


def _user(app, email="owner@example.com") -> User:
    with app.app_context():
        return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _events(app, event: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry).where(AuditEntry.event == event)).scalars())


def _wrong_code(secret: str) -> str:
    """A code the app does not show now, nor half a minute before or after."""
    totp, now = pyotp.TOTP(secret), time.time()
    accepted = {totp.at(now + shift) for shift in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in accepted)


def enable(client) -> tuple[str, list[str]]:
    """Switch 2FA on through the pages, as a user does: ``(secret, recovery codes)``."""
    page = client.get("/account/2fa", headers=EN).get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    assert b"<svg" in base64.b64decode(qr)
    # The code of the step before: the following tests sign in with the current one, and
    # each code works only once.
    response = client.post("/account/2fa", data={"code": totp_code(secret, -1)}, headers=EN)
    assert response.status_code == 200
    codes = re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_setup_needs_a_right_code_and_stores_only_hashes(app):
    with app.app_context():
        create_user()
    client = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    page = client.get("/account/2fa", headers=EN).get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    # The secret stays the same until confirmed (reloading must not break a scanned code).
    assert secret in client.get("/account/2fa").get_data(as_text=True)
    wrong = client.post("/account/2fa", data={"code": _wrong_code(secret)}, headers=EN)
    assert wrong.status_code == 400 and "This code is not right" in field_error(wrong, "code")
    assert not _user(app).has_totp
    _secret, codes = enable(client)
    user = _user(app)
    assert user.totp_secret == secret
    assert len(user.recovery_codes) == 10 and not set(codes) & set(user.recovery_codes)
    assert all(len(h) == 64 for h in user.recovery_codes)
    # Shown once: the page no longer lists them.
    later = client.get("/account/2fa", headers=EN).get_data(as_text=True)
    assert codes[0] not in later and "Two-factor login is on." in later
    assert len(_events(app, "totp_enabled")) == 1


def test_login_needs_the_code(app):
    with app.app_context():
        create_user()
    secret, _codes = enable(sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD))
    client = app.test_client()
    response = client.post("/login?next=/memo/", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    assert response.headers["Location"] == "/login/2fa"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/login/2fa", data={"code": _wrong_code(secret)}, headers=EN)
    assert wrong.status_code == 400 and "This code is not right" in field_error(wrong, "code")
    assert client.get("/").status_code == 302
    code = totp_code(secret)
    ok = client.post("/login/2fa", data={"code": code})
    assert ok.status_code == 302 and ok.headers["Location"] == "/memo/"
    assert client.get("/").status_code == 200
    # The same code a second time is refused: it cannot be replayed by whoever saw it.
    again = app.test_client()
    again.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    replay = again.post("/login/2fa", data={"code": code}, headers=EN)
    assert replay.status_code == 400 and "This code is not right" in field_error(replay, "code")
    assert len(_events(app, "totp_failed")) == 2  # the wrong code and the replay
    # The code page without a password first sends to sign-in.
    assert app.test_client().get("/login/2fa").headers["Location"] == "/login"


def test_recovery_code_works_once(app):
    with app.app_context():
        create_user()
    _secret, codes = enable(sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD))
    client = app.test_client()
    client.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    ok = client.post("/login/2fa", data={"code": codes[3].upper()})
    assert ok.status_code == 302 and client.get("/").status_code == 200
    assert len(_user(app).recovery_codes) == 9
    assert len(_events(app, "recovery_code_used")) == 1
    again = app.test_client()
    again.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    assert again.post("/login/2fa", data={"code": codes[3]}).status_code == 400
    assert again.get("/").status_code == 302


def test_wrong_codes_are_throttled(make_app):
    app = make_app(LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    with app.app_context():
        create_user()
    secret, _codes = enable(sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD))
    client = app.test_client()
    client.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    for _n in range(3):
        assert client.post("/login/2fa", data={"code": _wrong_code(secret)}).status_code == 400
    blocked = client.post("/login/2fa", data={"code": totp_code(secret)}, headers=EN)
    assert blocked.status_code == 429 and "Too many wrong codes" in blocked.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_switching_off_needs_password_and_code(app):
    with app.app_context():
        create_user()
    client = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    secret, codes = enable(client)
    bad = client.post("/account/2fa/disable", data={"password": "wrong", "code": _wrong_code(secret)}, headers=EN)
    assert bad.status_code == 400
    assert field_error(bad, "password") == "The current password is not right."
    assert "This code is not right" in field_error(bad, "code")
    assert _user(app).has_totp

    # New recovery codes replace the old ones.
    fresh = client.post("/account/2fa/recovery-codes", data={"password": OWNER_PASSWORD})
    new_codes = re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", fresh.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    with app.app_context():
        assert db.session.execute(select(AuditEntry.event).where(AuditEntry.event == "recovery_codes_renewed")).all()
    other = app.test_client()
    other.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD})
    assert other.post("/login/2fa", data={"code": codes[0]}).status_code == 400

    ok = client.post("/account/2fa/disable", data={"password": OWNER_PASSWORD, "code": totp_code(secret)})
    assert ok.status_code == 302
    user = _user(app)
    assert user.totp_secret is None and user.recovery_codes == []
    assert len(_events(app, "totp_disabled")) == 1
    sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)  # a password alone again


def test_owner_can_require_two_factor_login(app):
    with app.app_context():
        create_user()
        create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD)
        core_settings.set_value("core.require_2fa", True)
    client = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    response = client.get("/memo/", headers=EN, follow_redirects=True)
    assert response.request.path == "/account/2fa"
    assert "The owner requires two-factor login" in response.get_data(as_text=True)
    assert client.get("/account").headers["Location"] == "/account/2fa"
    # The language switch and signing out still work.
    switched = client.post("/language", data={"language": "en", "next": "/account/2fa"})
    assert switched.headers["Location"] == "/account/2fa"
    enable(client)
    assert client.get("/memo/").status_code == 200
    assert client.post("/logout").headers["Location"] == "/login"
