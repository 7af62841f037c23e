"""First run: until an owner exists, a one-time link (printed by ``kontor run``) opens the
page that creates the owner account. The token lives in the instance folder, mode 0600."""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from core.auth.models import User
from core.db import db


def _token_path() -> Path:
    return Path(current_app.instance_path) / "setup_token"


def needs_owner() -> bool:
    return not db.session.execute(select(func.count()).select_from(User)).scalar()


def setup_token() -> str | None:
    """The one-time token while no owner exists (created on first call), else ``None``."""
    if not needs_owner():
        return None
    path = _token_path()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def token_valid(token: str | None) -> bool:
    path = _token_path()
    if not token or not path.exists() or not needs_owner():
        return False
    return hmac.compare_digest(path.read_text().strip(), token)


def finish() -> None:
    _token_path().unlink(missing_ok=True)


def create_owner(name: str, email: str, password: str, language: str | None = None) -> User:
    owner = User(name=name, email=email.strip().lower(), role="owner", language=language)
    owner.set_password(password)
    db.session.add(owner)
    db.session.commit()
    finish()
    return owner
