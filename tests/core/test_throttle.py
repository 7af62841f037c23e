"""Sign-in throttling: after too many failures even the right password waits, with one
message that does not tell whether the account exists."""
from __future__ import annotations

import re

from sqlalchemy import select

from core import db
from core.models import AuditEntry
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in

EN = {"Accept-Language": "en"}
MESSAGE = "Too many failed sign-ins. Please wait 15 minutes and try again."


def _alert(response) -> str:
    return re.search(r'role="alert">\s*(.*?)<button', response.get_data(as_text=True), re.S).group(1).strip()


def _app(make_app):
    app = make_app(LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    with app.app_context():
        create_user()
        create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD)
    return app


def test_too_many_failures_block_even_the_right_password(make_app):
    app = _app(make_app)
    client = app.test_client()
    for _n in range(3):
        response = client.post("/login", data={"email": "owner@example.com", "password": "wrong-password"}, headers=EN)
        assert response.status_code == 200 and _alert(response) == "Email or password is wrong."
    blocked = client.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD}, headers=EN)
    assert blocked.status_code == 429 and _alert(blocked) == MESSAGE
    assert client.get("/").status_code == 302
    # An unknown account gets exactly the same answer.
    for _n in range(3):
        client.post("/login", data={"email": "ghost@example.com", "password": "wrong-password"})
    ghost = client.post("/login", data={"email": "ghost@example.com", "password": OWNER_PASSWORD}, headers=EN)
    assert ghost.status_code == 429 and _alert(ghost) == MESSAGE
    # Another account still signs in.
    sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    with app.app_context():
        throttled = db.session.execute(select(AuditEntry).where(AuditEntry.event == "login_throttled")).scalars()
        assert sorted(e.subject for e in throttled) == ["ghost@example.com", "owner@example.com"]


def test_a_successful_sign_in_forgets_earlier_failures(make_app):
    app = _app(make_app)
    client = app.test_client()
    for _n in range(2):
        client.post("/login", data={"email": "owner@example.com", "password": "wrong-password"})
    sign_in(client, "owner@example.com", OWNER_PASSWORD)
    client.post("/logout")
    for _n in range(2):
        client.post("/login", data={"email": "Owner@Example.com", "password": "wrong-password"})
    sign_in(client, "owner@example.com", OWNER_PASSWORD)


def test_with_redis_every_process_counts_the_same_failures(make_app):
    """KONTOR_REDIS_URL keeps the counts in Redis, so several web processes share them
    (here: two applications); set KONTOR_TEST_REDIS_URL to test it."""
    import os
    import uuid

    import pytest

    redis_url = os.environ.get("KONTOR_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set KONTOR_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to test throttling in Redis")
    email = f"{uuid.uuid4().hex[:8]}@example.com"  # Redis outlives the test: a fresh account
    first = make_app(REDIS_URL=redis_url, LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    second = make_app(REDIS_URL=redis_url, LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    with first.app_context():
        create_user(email=email)
    for app in (first, second, first):
        app.test_client().post("/login", data={"email": email, "password": "wrong-password"})
    blocked = second.test_client().post("/login", data={"email": email, "password": OWNER_PASSWORD}, headers=EN)
    assert blocked.status_code == 429 and _alert(blocked) == MESSAGE


def test_behind_a_proxy_the_limits_and_the_audit_log_see_the_visitor(make_app, monkeypatch):
    """KONTOR_PROXIES=1: X-Forwarded-For names the visitor; without it the header is ignored,
    since anyone could send it."""
    monkeypatch.setenv("KONTOR_PROXIES", "1")
    app = make_app(LOGIN_LIMIT_IP="2 per 15 minutes")
    with app.app_context():
        create_user()
    client = app.test_client()
    for _n in range(2):
        client.post("/login", data={"email": "owner@example.com", "password": "wrong-password"},
                    headers={**EN, "X-Forwarded-For": "203.0.113.7"})
    # The next visitor behind the same proxy is not blocked by the first one's failures ...
    other = app.test_client().post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD},
                                   headers={**EN, "X-Forwarded-For": "198.51.100.20"})
    assert other.status_code == 302
    # ... the first one is.
    blocked = client.post("/login", data={"email": "owner@example.com", "password": OWNER_PASSWORD},
                          headers={**EN, "X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    with app.app_context():
        failed = db.session.execute(select(AuditEntry).where(AuditEntry.event == "login_failed")).scalars().all()
        assert [entry.ip for entry in failed] == ["203.0.113.7", "203.0.113.7"]


def test_without_a_proxy_forwarded_headers_are_ignored(make_app):
    app = make_app()
    with app.app_context():
        create_user()
    app.test_client().post("/login", data={"email": "owner@example.com", "password": "wrong-password"},
                           headers={"X-Forwarded-For": "203.0.113.7"})
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.event == "login_failed")).scalar_one()
        assert entry.ip == "127.0.0.1"


def test_a_proxy_count_that_is_no_number_is_refused_at_start(make_app, monkeypatch):
    import pytest

    monkeypatch.setenv("KONTOR_PROXIES", "yes")
    with pytest.raises(ValueError, match="KONTOR_PROXIES must be a whole number"):
        make_app()
