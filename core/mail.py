"""Outgoing email. ``send`` records the message in the outbox and, when
``KONTOR_SMTP_URL`` is set, a background job delivers it. Without SMTP the message stays in
the outbox, where admins can read it: nothing is lost.

``KONTOR_SMTP_URL``: ``smtp://user:password@host:port`` (add ``?starttls=1`` for STARTTLS)
or ``smtps://...`` for implicit TLS.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from core import jobs
from core.db import db, utcnow
from core.models import OutboxAttachment, OutboxMessage


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_URL"))


def send(to: str | list[str], subject: str, body: str, html: str | None = None,
         attachments: list[Attachment] = (), sender: str | None = None, user=None) -> OutboxMessage:
    """Queue an email; it goes out when the current transaction commits."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    message = OutboxMessage(
        sender=sender or current_app.config["MAIL_FROM"],
        recipients=recipients,
        subject=subject,
        body=body,
        html=html,
        state="queued" if smtp_configured() else "outbox",
        attachments=[
            OutboxAttachment(filename=a.filename, content_type=a.content_type, data=a.content)
            for a in attachments
        ],
    )
    db.session.add(message)
    db.session.flush()
    if smtp_configured():
        jobs.enqueue("core.send_mail", message.id, user=user)
    return message


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=message.sender.rpartition("@")[2] or None)
    email.set_content(message.body)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                             filename=attachment.filename)
    return email


def _connect(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=30,
                                                context=ssl.create_default_context())
    elif parts.scheme == "smtp":
        client = smtplib.SMTP(host, parts.port or 25, timeout=30)
        if options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            client.starttls(context=ssl.create_default_context())
    else:
        raise ValueError(f"KONTOR_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}://")
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def deliver(message_id: int) -> str:
    """The job behind ``send``: hand one message to the SMTP server."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.state == "sent":
        return "nothing to do"
    message.attempts += 1
    try:
        with _connect(current_app.config["SMTP_URL"]) as client:
            client.send_message(build_email(message))
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        message.state, message.error = "failed", f"{type(exc).__name__}: {exc}"
        db.session.commit()
        raise
    message.state, message.error, message.sent_at = "sent", "", utcnow()
    db.session.commit()
    return "sent"
