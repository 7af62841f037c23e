"""Signed, expiring, single-use links (password reset, invitations).

A token carries the account's id and a fingerprint of its password hash and session
counter. Setting a password changes both, so a used link stops working without any table of
spent tokens; so does deactivation or "sign out everywhere".
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.db import db

# Seconds a link stays valid, by purpose; KONTOR config may override (e.g. TOKEN_MAX_AGE_RESET).
MAX_AGE = {"reset": 2 * 3600, "invite": 7 * 24 * 3600, "portal_reset": 2 * 3600, "portal_invite": 7 * 24 * 3600}


class TokenError(ValueError):
    """The link is broken, tampered with, expired or used; ``expired`` says which."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kontor.{purpose}")


def _fingerprint(account) -> str:
    raw = f"{account.password_hash}|{account.session_version}|{account.email}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def make(purpose: str, account) -> str:
    return _serializer(purpose).dumps({"id": account.id, "fp": _fingerprint(account)})


def load(purpose: str, token: str, model):
    """The account ``token`` was made for; raises ``TokenError`` otherwise."""
    max_age = current_app.config.get(f"TOKEN_MAX_AGE_{purpose.upper()}", MAX_AGE[purpose])
    try:
        data = _serializer(purpose).loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise TokenError(expired=True) from None
    except BadSignature:
        raise TokenError() from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise TokenError()
    account = db.session.get(model, data["id"])
    if account is None or not account.active or data.get("fp") != _fingerprint(account):
        raise TokenError()
    return account
