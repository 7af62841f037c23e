"""Tags: created on the fly, reused whatever their case, changed on a record's page,
renamed, merged and deleted by module admins, filtered by in SQL, exported, forgotten with
their record."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from core import db
from core.records import tags
from core.records.models import Tag, TagLink
from tests.support.gadgets.models import Gadget
from tests.support.gadgets.testing import build, client_for

EN = {"Accept-Language": "en"}


@pytest.fixture
def app(make_app):
    return build(make_app, access_mode=None)[0]


def admin_client(app):
    return client_for(app, "admin")


def user_client(app):
    return client_for(app, "user")


def new_gadget(client, name, tag_text=""):
    response = client.post("/gadgets/new", data={"name": name, "status": "new", "price": "1", "tags": tag_text})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def tag_names(app, gadget_id):
    with app.app_context():
        return [tag.name for tag in tags.tags_of("gadget", gadget_id)]


def all_tags(app):
    with app.app_context():
        return {tag.name: tag.id for tag in tags.all_tags("gadget")}


def listed(client, query):
    html = client.get(f"/gadgets/?{query}", headers=EN).get_data(as_text=True)
    return re.findall(r'<td><a href="/gadgets/\d+">(\w+)</a>', html)


def test_tags_are_created_on_the_fly_and_reused_whatever_their_case(app):
    client = user_client(app)
    first = new_gadget(client, "Alpha", "Urgent, blue ,, urgent")
    second = new_gadget(client, "Beta", "URGENT, Green")
    assert tag_names(app, first) == ["blue", "Urgent"]
    assert tag_names(app, second) == ["Green", "Urgent"]
    assert sorted(all_tags(app), key=str.lower) == ["blue", "Green", "Urgent"]
    page = client.get(f"/gadgets/{first}", headers=EN).get_data(as_text=True)
    panel = page.split('id="record-tags"')[1]
    assert "blue" in panel and "Urgent" in panel and '<option value="Green">' in panel  # the datalist
    # Changed on the record's own tags route (edit permission): links replaced, tags kept.
    response = client.post(f"/records/gadget/{first}/tags", data={"tags": "green, new one"})
    assert response.status_code == 302 and response.headers["Location"] == f"/gadgets/{first}"
    assert tag_names(app, first) == ["Green", "new one"]
    assert sorted(all_tags(app), key=str.lower) == ["blue", "Green", "new one", "Urgent"]
    response = client.post(f"/records/gadget/{first}/tags", data={"tags": "x" * 101}, headers=EN)
    assert response.status_code == 400 and "between 1 and 100 characters" in response.get_data(as_text=True)
    assert tag_names(app, first) == ["Green", "new one"]
    # A bad tag in the gadget form: an error beside the input, nothing saved.
    response = client.post("/gadgets/new", data={"name": "Gamma", "status": "new", "price": "1", "tags": "y" * 101},
                           headers=EN)
    assert response.status_code == 400 and 'id="tags-gadget-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Gadget.name).order_by(Gadget.name)).scalars().all() == ["Alpha", "Beta"]


def test_a_record_the_user_may_only_read_keeps_its_tags(app):
    client = user_client(app)
    with app.app_context():
        gadget = Gadget(name="Read only", access_mode="public_read")
        db.session.add(gadget)
        db.session.commit()
        gadget_id = gadget.id
    assert client.post(f"/records/gadget/{gadget_id}/tags", data={"tags": "mine"}).status_code == 403
    assert "Change tags" not in client.get(f"/gadgets/{gadget_id}", headers=EN).get_data(as_text=True)
    assert tag_names(app, gadget_id) == []


def test_lists_filter_by_tag_in_sql_and_the_export_carries_tags(app):
    client = user_client(app)
    new_gadget(client, "Alpha", "red, round")
    new_gadget(client, "Beta", "Round")
    new_gadget(client, "Gamma", "")
    assert listed(client, "") == ["Alpha", "Beta", "Gamma"]
    assert listed(client, "tag=round") == ["Alpha", "Beta"]
    assert listed(client, "tag=RED") == ["Alpha"]
    assert listed(client, "tag=nothing") == []
    rows = list(csv.reader(io.StringIO(client.get("/gadgets/export.csv?tag=round").get_data(as_text=True))))
    assert rows == [["name", "status", "price", "tags"], ["Alpha", "new", "1.00", "red, round"],
                    ["Beta", "new", "1.00", "round"]]


def test_admins_rename_merge_and_delete_tags(app):
    client = user_client(app)
    alpha = new_gadget(client, "Alpha", "red, crimson")
    beta = new_gadget(client, "Beta", "crimson")
    gamma = new_gadget(client, "Gamma", "red, obsolete")
    assert client.get("/records/gadget/tags").status_code == 403
    ids = all_tags(app)
    assert client.post("/records/gadget/tags/delete", data={"tag": ids["obsolete"]}).status_code == 403

    admin = admin_client(app)
    page = admin.get("/records/gadget/tags", headers=EN).get_data(as_text=True)
    assert re.search(r"<td>crimson</td>\s*<td>2</td>", page) and re.search(r"<td>red</td>\s*<td>2</td>", page)
    # Rename: the records keep the tag.
    assert admin.post("/records/gadget/tags/rename", data={"tag": ids["red"], "name": "Red"}).status_code == 302
    assert tag_names(app, alpha) == ["crimson", "Red"]
    # Renaming onto another tag's name is refused: that is what merge is for.
    response = admin.post("/records/gadget/tags/rename", data={"tag": ids["crimson"], "name": "RED"}, headers=EN)
    assert response.status_code == 400 and "merge into it instead" in response.get_data(as_text=True)
    response = admin.post("/records/gadget/tags/rename", data={"tag": ids["crimson"], "name": " "}, headers=EN)
    assert response.status_code == 400
    # Merge crimson into Red: Alpha had both and keeps one link; Beta gets Red.
    assert admin.post("/records/gadget/tags/merge", data={"tag": ids["crimson"], "into": ids["red"]}).status_code == 302
    assert tag_names(app, alpha) == ["Red"] and tag_names(app, beta) == ["Red"] and tag_names(app, gamma) == [
        "obsolete", "Red"]
    assert "crimson" not in all_tags(app)
    response = admin.post("/records/gadget/tags/merge", data={"tag": ids["red"], "into": ids["red"]}, headers=EN)
    assert response.status_code == 400
    # Delete: the tag and its links go, the records stay.
    assert admin.post("/records/gadget/tags/delete", data={"tag": ids["obsolete"]}).status_code == 302
    assert tag_names(app, gamma) == ["Red"]
    assert sorted(all_tags(app), key=str.lower) == ["Red"]
    assert admin.post("/records/gadget/tags/delete", data={"tag": 99999}).status_code == 404


def test_deleting_a_record_forgets_its_tag_links(app):
    client = user_client(app)
    alpha = new_gadget(client, "Alpha", "red, blue")
    beta = new_gadget(client, "Beta", "red")
    assert client.post(f"/gadgets/{alpha}/delete").status_code == 302
    with app.app_context():
        assert db.session.execute(select(TagLink.record_id)).scalars().all() == [beta]
        assert sorted(db.session.execute(select(Tag.name)).scalars()) == ["blue", "red"]  # tags stay for reuse
