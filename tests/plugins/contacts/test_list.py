"""The contacts list: keyset pages in name and date order, every filter and the quick search
in SQL, record access in the list, its pages and the group operations, the group operations
themselves (add tag, change manager, delete with confirmation, other modules' bulk actions),
and a statement count that does not grow with the page depth."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from core import access, db, settings
from core.auth.models import User
from core.models import OutboxMessage, RecordMember
from core.records import tags
from core.records.models import FieldDefinition, Notification
from core.testing import create_user, sign_in
from plugins.contacts.models import Contact, ContactType, Temperature

PASSWORD = "contact-secret-1"  # the contacts conftest's people
ROW = re.compile(r'data-contact-id="(\d+)"')
NEXT = re.compile(r'id="next-page" href="([^"]+)"')


def user_id(email: str) -> int:
    return db.session.execute(select(User.id).where(User.email == email)).scalar_one()


def add(app, *rows: dict) -> list[int]:
    """Contacts from ``rows`` (name, and any other column; ``managers``: emails of listed
    users; ``tags``: names); public and writable unless ``access_mode`` says otherwise."""
    ids = []
    with app.app_context():
        for row in rows:
            row = dict(row)
            managers, names = row.pop("managers", ()), row.pop("tags", ())
            kind = row.pop("kind", "person")
            contact = Contact(kind=kind, access_mode=row.pop("access_mode", "public_write"), **row)
            db.session.add(contact)
            db.session.flush()
            if managers:
                db.session.add_all([RecordMember(entity_type="contact", record_id=contact.id, user_id=user_id(email))
                                    for email in managers])
            if names:
                tags.set_tags("contact", contact.id, list(names))
            ids.append(contact.id)
        db.session.commit()
    return ids


def page_size(app, size: int) -> None:
    with app.app_context():
        settings.set_value("core.page_size", size)


def shown(client, url: str) -> tuple[list[int], str | None, str]:
    """The contact ids a list page shows, its "Next page" link and its HTML."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    following = NEXT.search(html)
    return [int(i) for i in ROW.findall(html)], following and following.group(1).replace("&amp;", "&"), html


def walk(client, url: str) -> list[list[int]]:
    """Every page of the list from ``url`` on, following "Next page"."""
    pages = []
    while url:
        ids, url, _html = shown(client, url)
        pages.append(ids)
        assert len(pages) < 50, "the pages never end"
    return pages


def test_pages_follow_the_sort_order_with_every_contact_exactly_once(contacts_app, client_for):
    page_size(contacts_app, 4)
    names = ["Meier", "Adler", "Meier", "Zander", "Berg", "Meier", "Cramer", "Adler", "Huber", "Otto", "Meier"]
    ids = add(contacts_app, *({"name": name, "created_at": datetime(2026, 1, 1 + n, tzinfo=timezone.utc)}
                              for n, name in enumerate(names)))
    by_name = [i for _name, i in sorted(zip(names, ids))]
    client = client_for("owner")

    pages = walk(client, "/contacts/")
    assert [len(p) for p in pages] == [4, 4, 3]
    assert sum(pages, []) == by_name  # same names in id order: none twice, none missing
    assert sum(walk(client, "/contacts/?order=name-desc"), []) == by_name[::-1]
    assert sum(walk(client, "/contacts/?order=created-desc"), []) == ids[::-1]
    assert sum(walk(client, "/contacts/?sort=created"), []) == ids[::-1]  # newest first by default
    assert sum(walk(client, "/contacts/?order=created-asc&kind=person"), []) == ids
    # The name header turns the order round, keeps the filters and starts at the first page.
    _ids, _next, html = shown(client, "/contacts/?kind=person&after=%d" % by_name[3])
    assert 'href="/contacts/?kind=person&amp;order=name-desc"' in html
    assert "First page" in html


def test_a_plain_user_sees_public_contacts_and_those_they_manage_on_every_page(contacts_app, client_for):
    page_size(contacts_app, 3)
    visible = add(contacts_app, {"name": "Public A"}, {"name": "Public B", "access_mode": "public_read"},
                  {"name": "Mine C", "access_mode": "private", "managers": ["user@example.com"]},
                  {"name": "Shared D", "access_mode": "restricted", "managers": ["user@example.com", "other@example.com"]},
                  {"name": "Public E"}, {"name": "Public F"}, {"name": "Public G", "access_mode": "public_read"})
    hidden = add(contacts_app, {"name": "Hidden H", "access_mode": "private", "managers": ["other@example.com"]},
                 {"name": "Hidden I", "access_mode": "restricted", "managers": ["other@example.com"]},
                 {"name": "Hidden J", "access_mode": "private"})
    user_pages = walk(client_for("user"), "/contacts/")
    assert sorted(sum(user_pages, [])) == sorted(visible) and len(sum(user_pages, [])) == len(visible)
    assert [len(p) for p in user_pages] == [3, 3, 1]
    # Filters and the search do not open a door either.
    ids, _next, _html = shown(client_for("user"), "/contacts/?q=Hidden")
    assert ids == []
    ids, _next, _html = shown(client_for("user"), f"/contacts/?manager={_id(contacts_app, 'other@example.com')}")
    assert ids == [visible[3]]
    # The owner sees all.
    assert sorted(sum(walk(client_for("owner"), "/contacts/"), [])) == sorted(visible + hidden)


def _id(app, email: str) -> int:
    with app.app_context():
        return user_id(email)


def test_each_filter_narrows_the_list_in_sql(contacts_app, client_for):
    with contacts_app.app_context():
        customer, supplier = ContactType(name="Kunde"), ContactType(name="Lieferant")
        warm, cold = Temperature(name="warm", color="#fd7e14"), Temperature(name="kalt", color="#0d6efd")
        db.session.add_all([customer, supplier, warm, cold,
                            FieldDefinition(entity_type="contact", key="region", label="Region", type="choice",
                                            choices=["Nord", "Süd"]),
                            FieldDefinition(entity_type="contact", key="branch", label="Branch", type="text")])
        db.session.commit()
        type_ids, temperature_ids = (customer.id, supplier.id), (warm.id, cold.id)
    acme, anna, bert, carl = add(
        contacts_app,
        {"kind": "company", "name": "Acme GmbH", "email": "info@acme.example", "type_id": type_ids[0],
         "temperature_id": temperature_ids[0], "custom": {"region": "Nord", "branch": "Maschinenbau"},
         "tags": ["VIP"], "created_at": datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)},  # 2 March in Berlin
        {"name": "Anna Schmidt", "email": "anna@schmidt.example", "type_id": type_ids[1],
         "temperature_id": temperature_ids[1], "custom": {"region": "Süd"}, "tags": ["Newsletter"],
         "managers": ["other@example.com"], "created_at": datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)},
        {"name": "Bert Schmied", "email": "bert@example.org", "type_id": type_ids[0], "tags": ["VIP", "Newsletter"],
         "custom": {"branch": "Bau"}, "created_at": datetime(2026, 2, 1, tzinfo=timezone.utc)},
        {"name": "Carl Acker", "email": "carl@acme.example", "created_at": datetime(2026, 4, 1, tzinfo=timezone.utc)})
    client = client_for("owner")

    def listed(query: str) -> set[int]:
        ids, _next, _html = shown(client, "/contacts/?" + query)
        return set(ids)

    assert listed("") == {acme, anna, bert, carl}
    assert listed("kind=company") == {acme}
    assert listed("kind=person") == {anna, bert, carl}
    assert listed(f"type={type_ids[0]}") == {acme, bert}
    assert listed(f"temperature={temperature_ids[1]}") == {anna}
    assert listed("tag=vip") == {acme, bert}  # any case
    assert listed("tag=VIP&kind=person") == {bert}
    assert listed(f"manager={_id(contacts_app, 'other@example.com')}") == {anna}
    assert listed("cf_region=Nord") == {acme}
    assert listed("cf_branch=bau") == {acme, bert}  # text fields match part of the text
    # Dates are the user's (Europe/Berlin): Acme was added on 2 March there.
    assert listed("created_from=2026-03-02") == {acme, carl}
    assert listed("created_to=2026-03-01") == {anna, bert}
    assert listed("created_from=2026-03-01&created_to=2026-03-02") == {acme, anna}
    # The quick search: part of the name or of the email address.
    assert listed("q=schmi") == {anna, bert}
    assert listed("q=acme.example") == {acme, carl}
    assert listed("q=Acme") == {acme, carl}
    assert listed("q=nobody-like-this") == set()
    # Wrong input: a message at the field, the other filters still apply.
    ids, _next, html = shown(client, "/contacts/?created_from=1.3.2026&kind=company")
    assert "Enter a date as YYYY-MM-DD." in html and set(ids) == {acme}
    _ids, _next, html = shown(client, "/contacts/?kind=robot")
    assert "Choose one of the offered values." in html
    # Nothing found: a message, and a way back.
    _ids, _next, html = shown(client, "/contacts/?q=nobody-like-this")
    assert "No contacts match these filters." in html and "Clear filters" in html


def test_common_and_rare_filter_values_find_the_same_contacts(contacts_app, client_for, monkeypatch):
    """A search term, tag, manager or time span that few contacts match is looked up through
    its index first (their ids); one that many match is tested row by row as the list walks
    its order. The list shows the same contacts, in the same pages, either way."""
    from core.records import search

    page_size(contacts_app, 2)
    add(contacts_app, *({"name": name, "email": email, "tags": names, "managers": managers, "created_at": created}
                        for name, email, names, managers, created in (
        ("Anna Berger", "anna@berger.example", ["VIP"], ["user@example.com"], datetime(2026, 1, 5, tzinfo=timezone.utc)),
        ("Bergmann AG", "info@bergmann.example", ["VIP"], [], datetime(2026, 2, 5, tzinfo=timezone.utc)),
        ("Carl Otto", "c@otto.example", [], ["user@example.com"], datetime(2026, 3, 5, tzinfo=timezone.utc)),
        ("Dora Eisberg", "dora@example.org", ["VIP"], ["user@example.com"], datetime(2026, 2, 6, tzinfo=timezone.utc)),
        ("Emil Weber", "emil@berger.example", ["vip"], [], datetime(2026, 2, 7, tzinfo=timezone.utc)))))
    client = client_for("owner")
    queries = ("q=berg", "tag=VIP", f"manager={_id(contacts_app, 'user@example.com')}",
               "created_from=2026-02-01&created_to=2026-02-28", "q=berg&tag=vip&created_from=2026-02-01")
    few = {query: walk(client, "/contacts/?" + query) for query in queries}
    assert [len(p) for p in few["q=berg"]] == [2, 2]  # Anna, Bergmann, Dora (Eisberg), Emil (berger.example)
    assert [len(p) for p in few["tag=VIP"]] == [2, 2]
    assert [len(p) for p in few[queries[2]]] == [2, 1]
    assert [len(p) for p in few[queries[3]]] == [2, 1]
    assert [len(p) for p in few[queries[4]]] == [2, 1]
    monkeypatch.setattr(search, "COMMON_MATCHES", 2)  # now each of them counts as common
    assert {query: walk(client, "/contacts/?" + query) for query in queries} == few


def test_the_rows_show_company_phone_type_temperature_and_tags(contacts_app, client_for):
    with contacts_app.app_context():
        kind, warm = ContactType(name="Kunde"), Temperature(name="warm", color="#fd7e14")
        db.session.add_all([kind, warm])
        db.session.commit()
        type_id, warm_id = kind.id, warm.id
    company, _private = add(contacts_app, {"kind": "company", "name": "Müller Bau GmbH"},
                            {"kind": "company", "name": "Geheim AG", "access_mode": "private"})
    add(contacts_app, {"name": "Anna Müller", "company_id": company, "phone": "+492211234567",
                       "email": "anna@mueller.example", "type_id": type_id, "temperature_id": warm_id,
                       "tags": ["Bau", "Kunde"]},
        {"name": "Gustav Geheim", "company_id": _private})
    _ids, _next, html = shown(client_for("user"), "/contacts/")
    anna = html[html.index("Anna Müller"):html.index("</tr>", html.index("Anna Müller"))]
    assert "Müller Bau GmbH" in anna and "+49 221 1234567" in anna and "Kunde" in anna
    assert 'data-color="#fd7e14"' in anna and ">Bau</span>" in anna
    gustav = html[html.index("Gustav Geheim"):html.index("</tr>", html.index("Gustav Geheim"))]
    assert "Geheim AG" not in gustav  # the user may not see that company


def test_an_empty_list_offers_a_new_contact_and_the_import(contacts_app, client_for):
    _ids, _next, html = shown(client_for("user"), "/contacts/")
    empty = html[html.index('id="contacts-empty"'):]
    assert "No contacts yet." in empty
    assert 'href="/contacts/new"' in empty and "Import CSV" in empty and "/contacts/import/" in empty


def test_the_row_menu_offers_edit_and_delete_where_the_user_may_change_the_contact(contacts_app, client_for):
    writable, readable = add(contacts_app, {"name": "Open"}, {"name": "Read only", "access_mode": "public_read"})
    _ids, _next, html = shown(client_for("user"), "/contacts/")
    assert f'href="/contacts/{writable}/edit"' in html and f'action="/contacts/{writable}/delete"' in html
    assert 'data-confirm="Delete Open? This cannot be undone."' in html
    assert f"/contacts/{readable}/edit" not in html and f"/contacts/{readable}/delete" not in html
    _ids, _next, html = shown(client_for("owner"), "/contacts/")
    assert f"/contacts/{readable}/edit" in html  # the owner may change everything


def test_a_persons_company_is_named_only_to_who_may_see_it(contacts_app, client_for):
    secret, shared = add(contacts_app, {"name": "Geheim GmbH", "kind": "company", "access_mode": "private"},
                         {"name": "Offen AG", "kind": "company"})
    add(contacts_app, {"name": "Paul Probst", "company_id": secret}, {"name": "Petra Pohl", "company_id": shared})
    company_line = '<div class="small text-body-secondary">{}</div>'.format
    _ids, _next, html = shown(client_for("user"), "/contacts/")
    assert "Paul Probst" in html and "Geheim GmbH" not in html
    assert company_line("Offen AG") in html
    _ids, _next, html = shown(client_for("owner"), "/contacts/")
    assert company_line("Geheim GmbH") in html and company_line("Offen AG") in html


# Group operations


def bulk(client, operation: str, ids, **form):
    return client.post(f"/contacts/bulk/{operation}", data={"ids": [str(i) for i in ids], "next": "/contacts/?tag=x",
                                                             **form})


def flashed(client) -> str:
    return client.get("/contacts/").get_data(as_text=True)


def test_bulk_add_tag_adds_to_the_existing_tags(contacts_app, client_for):
    first, second, third = add(contacts_app, {"name": "A", "tags": ["Kunde"]}, {"name": "B"}, {"name": "C"})
    client = client_for("user")
    response = bulk(client, "tag", [first, second], tag="Messe 2026, VIP")
    assert response.status_code == 302 and response.headers["Location"] == "/contacts/?tag=x"
    assert "Tag Messe 2026, VIP added to 2 contacts." in flashed(client)
    with contacts_app.app_context():
        names = tags.names_by_record("contact", [first, second, third])
    assert names == {first: ["Kunde", "Messe 2026", "VIP"], second: ["Messe 2026", "VIP"]}
    # The same again changes nothing twice.
    bulk(client, "tag", [first], tag="vip")
    with contacts_app.app_context():
        assert tags.names_by_record("contact", [first])[first] == ["Kunde", "Messe 2026", "VIP"]


def test_bulk_operations_refuse_an_empty_or_forbidden_selection_and_change_nothing(contacts_app, client_for):
    mine, readable, hidden = add(contacts_app, {"name": "Mine"}, {"name": "Read only", "access_mode": "public_read"},
                                 {"name": "Hidden", "access_mode": "private", "managers": ["other@example.com"]})
    client = client_for("user")
    bulk(client, "tag", [], tag="VIP")
    assert "Select at least one contact first." in flashed(client)
    for forbidden in (hidden, readable, 999_999):
        bulk(client, "tag", [mine, forbidden], tag="VIP")
        assert "You may not change 1 of the selected contacts" in flashed(client)
        bulk(client, "delete", [mine, forbidden], confirm="yes")
        assert "You may not change 1 of the selected contacts" in flashed(client)
        bulk(client, "manager", [mine, forbidden], manager=str(_id(contacts_app, "user@example.com")))
        assert "nothing was changed" in flashed(client)
    bulk(client, "tag", ["x"], tag="VIP")
    assert "The selection is not valid; nothing was changed." in flashed(client)
    bulk(client, "tag", [mine], tag=" , ")
    assert "Enter the tag to add." in flashed(client)
    with contacts_app.app_context():
        assert tags.names_by_record("contact", [mine, readable, hidden]) == {}
        assert db.session.get(Contact, mine) is not None
        assert access.members("contact", mine) == []


@pytest.fixture
def mail_app(make_app, smtp_server):
    controller, handler = smtp_server
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{controller.port}")
    with app.app_context():
        for email, name, role in (("owner@example.com", "Olga Owner", "owner"), ("user@example.com", "Ulf User", "user"),
                                  ("other@example.com", "Otto Other", "user")):
            create_user(email, PASSWORD, role=role, name=name)
    return app, handler


def test_bulk_change_manager_adds_or_replaces_and_tells_the_new_manager(mail_app):
    app, handler = mail_app
    first, second = add(app, {"name": "Erste GmbH", "access_mode": "private", "managers": ["user@example.com"]},
                        {"name": "Zweite GmbH", "access_mode": "private", "managers": ["user@example.com"]})
    client = sign_in(app.test_client(), "user@example.com", PASSWORD)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    other, user = _id(app, "other@example.com"), _id(app, "user@example.com")

    bulk(client, "manager", [first, second], manager=str(other), mode="add")
    assert "Otto Other manages 2 selected contacts now." in flashed(client)
    with app.app_context():
        assert access.members("contact", first) == sorted([user, other])
        notices = db.session.scalars(select(Notification).where(Notification.user_id == other)).all()
        assert len(notices) == 2 and all("Ulf User" in n.message for n in notices)  # in Otto's language
    sent = [message for _sender, recipients, message in handler.messages if recipients == ["other@example.com"]]
    assert len(sent) == 2 and {"Erste GmbH", "Zweite GmbH"} == {
        name for name in ("Erste GmbH", "Zweite GmbH") for m in sent if name in m["Subject"]}

    # Replace: Otto alone manages the first one now; Ulf no longer sees the private contact.
    bulk(client, "manager", [first], manager=str(other), mode="replace")
    with app.app_context():
        assert access.members("contact", first) == [other]
        assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.state == "failed")) is None
    ids, _next, _html = shown(client, "/contacts/")
    assert ids == [second]
    bulk(client, "manager", [second], manager="999999")
    assert "Choose the user who is to manage the selected contacts." in flashed(client)


def test_bulk_delete_asks_with_the_count_and_deletes_all_in_one_go(contacts_app, client_for):
    first, second, kept = add(contacts_app, {"name": "Alt 1", "tags": ["Alt"]}, {"name": "Alt 2"}, {"name": "Neu"})
    client = client_for("user")
    response = bulk(client, "delete", [first, second])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Delete 2 contacts? This cannot be undone." in html and "Alt 1" in html and "Alt 2" in html
    assert html.count('name="ids"') == 2 and 'name="confirm" value="yes"' in html
    with contacts_app.app_context():
        assert db.session.get(Contact, first) is not None  # asking deleted nothing
    response = bulk(client, "delete", [first, second], confirm="yes")
    assert response.status_code == 302
    assert "2 contacts deleted." in flashed(client)
    with contacts_app.app_context():
        assert set(db.session.scalars(select(Contact.id))) == {kept}
        assert tags.names_by_record("contact", [first]) == {}


def test_other_modules_bulk_actions_are_buttons_that_post_the_selection(make_app):
    from tests.support import memo

    app = make_app(PLUGINS=[memo])
    with app.app_context():
        create_user("owner@example.com", PASSWORD, role="owner", name="Olga Owner")
    add(app, {"name": "Somebody"})
    client = sign_in(app.test_client(), "owner@example.com", PASSWORD)
    _ids, _next, html = shown(client, "/contacts/")
    form = html[html.index('<form method="post" id="contacts-bulk"'):]
    form = form[:form.index("</form>")]
    assert re.search(r'<button type="submit"[^>]* formaction="/memo/archive" formmethod="post">\s*Archive each</button>',
                     form)
    assert 'name="ids"' in html and 'form="contacts-bulk"' in html  # the row checkboxes belong to that form
    assert ('id="bulk-export"' in form) == ("contacts_export.export" in app.view_functions)


def test_a_page_costs_the_same_statements_at_any_depth(contacts_app, client_for):
    page_size(contacts_app, 3)
    with contacts_app.app_context():
        db.session.add(ContactType(name="Kunde"))
        db.session.commit()
    # Companies and their persons alternate in every order, so each page names a company.
    for n in range(12):
        company, = add(contacts_app, {"kind": "company", "name": f"Name {2 * n:02d}", "tags": ["A", "B"]})
        add(contacts_app, {"name": f"Name {2 * n + 1:02d}", "company_id": company, "tags": ["A"],
                           "access_mode": "private" if n % 2 else "public_read",
                           "managers": ["user@example.com"] if n % 2 else []})
    counts: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        counts[-1] += 1

    client = client_for("user")
    with contacts_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for query in ("", "?kind=person", "?tag=A&order=created-desc"):
            per_page, url = [], "/contacts/" + query
            while url:
                counts.append(0)
                _ids, url, _html = shown(client, url)
                per_page.append(counts[-1])
            assert len(per_page) >= 3
            assert len(set(per_page)) == 1, (query, per_page)  # the first page costs what the last one does
            assert per_page[0] <= 16, per_page
    finally:
        event.remove(engine, "before_cursor_execute", count)
