"""The shared page parts: keyset-paginated sortable tables, labelled inputs."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from sqlalchemy import event

from core import db
from core.models import OutboxMessage


def _add_messages(app, count):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with app.app_context():
        db.session.add_all([OutboxMessage(sender="a@example.com", recipients=["b@example.com"],
                                          subject=f"Message {i:03d}", body="x", state="outbox",
                                          created_at=start + timedelta(minutes=i)) for i in range(count)])
        db.session.commit()


def _subjects(page):
    return re.findall(r"Message \d{3}", page)


def test_outbox_pages_through_all_rows_without_offset(app, owner_client):
    _add_messages(app, 60)
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append((args[2], args[3])))
    seen, url = [], "/admin/outbox?sort=subject&dir=asc"
    while url:
        page = owner_client.get(url).get_data(as_text=True)
        seen.extend(_subjects(page))
        match = re.search(r'href="([^"]*after=\d+[^"]*)"', page)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert seen == [f"Message {i:03d}" for i in range(60)]
    # SQLite renders "LIMIT ? OFFSET ?" always; the offset must stay 0 on every page.
    offsets = [params[-1] for sql, params in statements if "OFFSET" in sql.upper()]
    assert len(statements) > 3 and set(offsets) <= {0}


def test_sorting_by_a_column_both_ways(app, owner_client):
    _add_messages(app, 30)
    newest_first = _subjects(owner_client.get("/admin/outbox?sort=created_at&dir=desc").get_data(as_text=True))
    assert newest_first[:2] == ["Message 029", "Message 028"] and len(newest_first) == 25
    oldest_first = _subjects(owner_client.get("/admin/outbox?sort=created_at&dir=asc").get_data(as_text=True))
    assert oldest_first[:2] == ["Message 000", "Message 001"]


def test_a_broken_page_link_starts_at_the_first_page(app, owner_client):
    _add_messages(app, 3)
    page = owner_client.get("/admin/outbox?sort=nonsense&dir=sideways&after=abc").get_data(as_text=True)
    assert len(_subjects(page)) == 3


def test_a_page_link_whose_row_was_deleted_starts_at_the_first_page(app, owner_client):
    _add_messages(app, 30)
    with app.app_context():
        last = db.session.get(OutboxMessage, 25)
        db.session.delete(last)
        db.session.commit()
    page = owner_client.get("/admin/outbox?sort=subject&dir=asc&after=25").get_data(as_text=True)
    assert _subjects(page)[:2] == ["Message 000", "Message 001"]


def test_empty_list_shows_an_empty_state(owner_client):
    page = owner_client.get("/admin/outbox", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The outbox is empty." in page


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.inputs.append(attrs)


def test_every_input_has_a_label(app, owner_client):
    for url in ("/", "/admin/settings/core", "/admin/settings/memo", "/search?q=x"):
        parser = _Inputs()
        parser.feed(owner_client.get(url).get_data(as_text=True))
        for attrs in parser.inputs:
            assert attrs.get("id") in parser.labels or attrs.get("aria-label"), (url, attrs)
    parser = _Inputs()
    parser.feed(app.test_client().get("/login").get_data(as_text=True))
    assert parser.inputs and all(a.get("id") in parser.labels for a in parser.inputs)
