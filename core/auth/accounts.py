"""Account services shared by staff users and portal accounts: the password policy, and the
emails with reset and invitation links."""
from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from core import audit, mail
from core.auth import tokens
from core.db import db

MIN_PASSWORD_LENGTH = 10
# Passwords people pick first; a policy that allowed them would be decoration.
COMMON_PASSWORDS = {"passwort123", "password123", "1234567890", "0123456789", "qwertzuiop", "qwertyuiop",
                    "hallo12345", "passwort1!", "password1!", "sommer2026!", "winter2026!", "letmein123"}


def check_password(password: str, email: str = "", name: str = "") -> None:
    """Raise ``ValidationError`` (translated) if ``password`` is too weak."""
    lowered = password.lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(_("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if len(set(password)) < 4 or lowered in COMMON_PASSWORDS:
        raise ValidationError(_("This password is too easy to guess."))
    local_part = email.split("@", 1)[0].lower()
    if (local_part and len(local_part) >= 4 and local_part in lowered) or (name and name.lower() in lowered):
        raise ValidationError(_("The password must not contain your name or email address."))


def link(endpoint: str, **values) -> str:
    """An absolute link for an email: ``KONTOR_BASE_URL`` if set, else the request's host."""
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send_link_mail(account, purpose: str, endpoint: str, template: str, **context) -> None:
    """Email ``account`` a signed link (``purpose`` of ``core.auth.tokens``) to ``endpoint``,
    in the account's language. ``template`` is a text template under ``core/mail/``."""
    url = link(endpoint, token=tokens.make(purpose, account))
    with force_locale(account.language or "de"):
        subject, _sep, body = render_template(f"core/mail/{template}", account=account, url=url,
                                              **context).strip().partition("\n")
        mail.send([account.email], subject.strip(), body.strip() + "\n")


def invite_user(name: str, email: str, role: str = "user", groups=(), actor=None, language: str | None = None):
    """Create a staff user without a password and email them a link to set one. The caller
    validated the input and commits."""
    from core.auth.models import User

    user = User(name=name, email=email.strip().lower(), role=role, language=language, groups=list(groups))
    db.session.add(user)
    db.session.flush()
    send_link_mail(user, "invite", "auth.accept_invitation", "invitation.txt", inviter=actor)
    audit.record("invitation_sent", user=actor, subject=user.email, invited_user_id=user.id, role=role)
    return user
