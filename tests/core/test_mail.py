"""Outgoing email through a real SMTP server (aiosmtpd on 127.0.0.1), and the outbox."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db, mail
from core.models import OutboxMessage
from tests.conftest import _free_port


def test_mail_with_attachment_reaches_the_smtp_server(make_app, smtp_server):
    controller, handler = smtp_server
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", MAIL_FROM="buero@example.de")
    pdf = b"%PDF-1.4 invoice"
    with app.test_request_context():
        mail.send("kunde@example.com", "Ihre Rechnung RE-0001", "Guten Tag,\nanbei die Rechnung.",
                  attachments=[mail.Attachment("RE-0001.pdf", pdf, "application/pdf")])
        assert handler.messages == []  # nothing leaves before the transaction commits
        db.session.commit()
        sender, recipients, message = handler.messages[0]
        assert sender == "buero@example.de" and recipients == ["kunde@example.com"]
        assert message["Subject"] == "Ihre Rechnung RE-0001"
        assert "anbei die Rechnung" in message.get_body(("plain",)).get_content()
        attachment = next(message.iter_attachments())
        assert attachment.get_filename() == "RE-0001.pdf"
        assert attachment.get_content() == pdf
        stored = db.session.execute(select(OutboxMessage)).scalar_one()
        assert stored.state == "sent" and stored.sent_at is not None


def test_rolled_back_mail_is_never_sent(make_app, smtp_server):
    controller, handler = smtp_server
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{controller.port}")
    with app.test_request_context():
        mail.send("kunde@example.com", "Entwurf", "nie gesendet")
        db.session.rollback()
        db.session.commit()
        assert handler.messages == []


def test_without_smtp_the_message_waits_in_the_outbox(app, owner_client):
    with app.test_request_context():
        mail.send(["a@example.com", "b@example.com"], "Mahnung", "Bitte zahlen Sie.",
                  attachments=[mail.Attachment("mahnung.txt", b"Betrag: 10,00 EUR", "text/plain")])
        db.session.commit()
        message_id = db.session.execute(select(OutboxMessage.id)).scalar_one()
    page = owner_client.get("/admin/outbox").get_data(as_text=True)
    assert "Mahnung" in page and "a@example.com, b@example.com" in page
    detail = owner_client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Bitte zahlen Sie." in detail and "mahnung.txt" in detail
    with app.app_context():
        attachment_id = db.session.execute(select(OutboxMessage).where(
            OutboxMessage.id == message_id)).scalar_one().attachments[0].id
    download = owner_client.get(f"/admin/outbox/attachment/{attachment_id}")
    assert download.data == b"Betrag: 10,00 EUR"
    assert "mahnung.txt" in download.headers["Content-Disposition"]


def test_unreachable_server_marks_the_message_failed_and_keeps_it(make_app, owner_client):
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{_free_port()}")
    with app.test_request_context():
        mail.send("kunde@example.com", "Angebot", "Text")
        db.session.commit()
        stored = db.session.execute(select(OutboxMessage)).scalar_one()
        assert stored.state == "failed"
        assert "ConnectionRefused" in stored.error
        assert stored.body == "Text"


def test_plain_users_cannot_read_the_outbox(app, user_client):
    assert user_client.get("/admin/outbox").status_code == 403
