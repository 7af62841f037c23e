"""The notification service: in-app notifications (the bell in the top bar) and, when asked,
the same message by email. Reminders, "you were added to", "assigned to you" all go through
``notify``."""
from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import func, select, update

from core.db import db, utcnow
from core.records.models import Notification


def notify(user, kind: str, message: str, url: str = "", email: bool = False, subject: str = "") -> Notification:
    """Tell ``user`` about something: a notification in the workspace and, with ``email``,
    a mail too. Part of the caller's transaction (the mail goes out when it commits).
    ``message`` and ``subject`` should already be in the user's language (``in_language``)."""
    notification = Notification(user_id=user.id, kind=kind, message=message, url=url)
    db.session.add(notification)
    if email and user.email:
        from flask import current_app

        from core import mail

        body = message
        if url:
            # The mail is read outside the browser: give it the full address.
            base = current_app.config.get("BASE_URL", "").rstrip("/")
            body = f"{message}\n\n{base}{url}" if base else f"{message}\n\n{url}"
        mail.send([user.email], subject or message.splitlines()[0][:150], body)
    return notification


def in_language(user):
    """``with in_language(user):`` renders ``_()`` strings in the user's language."""
    return force_locale(user.language or "de")


def unread_count(user) -> int:
    """The number on the bell: one COUNT on ``ix_core_notification_user``."""
    return db.session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()


def latest(user, limit: int = 100) -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .limit(limit)).scalars())


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s notifications read, or all of them (``None``). Another user's
    id matches nothing. Returns how many changed; the caller commits."""
    statement = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return db.session.execute(statement.values(read_at=utcnow())).rowcount
