"""Links and "create from" conversions: a gadget makes a widget and a sprocket, both or
neither; the dependencies tab on both sides; deleting keeps the other side."""
from __future__ import annotations

from sqlalchemy import func, select

from core import db
from core.records.models import RecordLink, TimelineEvent
from tests.conftest import create_user, sign_in
from tests.support import gadgets
from tests.support.gadgets.models import Gadget, Sprocket, Widget

PASSWORD = "convert-secret-1"
URL = "/records/gadget/{id}/convert"


def setup(make_app):
    app = make_app(PLUGINS=[gadgets])
    with app.app_context():
        create_user("owner@example.com", "Olga Owner", "owner", PASSWORD, language="en")
        user = create_user("user@example.com", "Ulf User", "user", PASSWORD, language="en")
        gadget = Gadget(name="Lamp", access_mode="public_write")
        db.session.add(gadget)
        db.session.commit()
        ids = user.id, gadget.id
    return app, sign_in(app.test_client(), "user@example.com", PASSWORD), ids


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def actions(app, entity_type, record_id):
    with app.app_context():
        return db.session.execute(select(TimelineEvent.action).where(
            TimelineEvent.entity_type == entity_type, TimelineEvent.record_id == record_id)
            .order_by(TimelineEvent.id)).scalars().all()


def test_the_form_is_pre_filled_and_saving_creates_both_targets_with_links_and_events(make_app):
    app, client, (user_id, gadget_id) = setup(make_app)
    page = client.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
    assert "Create: Make parts" in page  # offered on the record's page
    form = client.get(URL.format(id=gadget_id), query_string={"conversion": "gadgets.make_parts"})
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'name="widget.name"' in html and 'name="sprocket.code"' in html
    assert html.count('value="Lamp"') == 2  # name -> name, for both targets

    response = client.post(URL.format(id=gadget_id), data={
        "conversion": "gadgets.make_parts", "widget.name": "Lamp foot", "widget.size": "3",
        "sprocket.name": "Lamp screw", "sprocket.code": "LS1"})
    assert response.status_code == 302
    with app.app_context():
        widget = db.session.execute(select(Widget)).scalar_one()
        sprocket = db.session.execute(select(Sprocket)).scalar_one()
        assert (widget.name, widget.size) == ("Lamp foot", 3)
        assert (sprocket.name, sprocket.code) == ("Lamp screw", "LS1")
        links = db.session.execute(select(RecordLink.target_type, RecordLink.target_id, RecordLink.created_by_id)
                                   .where(RecordLink.source_type == "gadget", RecordLink.source_id == gadget_id)
                                   .order_by(RecordLink.id)).all()
        assert links == [("widget", widget.id, user_id), ("sprocket", sprocket.id, user_id)]
        assert db.session.get(Gadget, gadget_id).status == "done"  # the postprocess step
        widget_id, sprocket_id = widget.id, sprocket.id
    assert actions(app, "gadget", gadget_id).count("converted") == 2
    assert "converted" in actions(app, "widget", widget_id)
    assert "converted" in actions(app, "sprocket", sprocket_id)


def test_failure_on_the_second_target_creates_nothing_and_names_the_field(make_app):
    app, client, (_user_id, gadget_id) = setup(make_app)
    response = client.post(URL.format(id=gadget_id), data={
        "conversion": "gadgets.make_parts", "widget.name": "Foot", "sprocket.name": "Screw",
        "sprocket.code": "TOOLONG"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Sprocket – Code: Enter between 1 and 5 characters." in html
    assert 'id="field-sprocket-code"' in html and 'aria-invalid="true"' in html
    assert 'value="Foot"' in html  # what the user entered stays
    # The conversion's own validation counts as much as the schemas.
    response = client.post(URL.format(id=gadget_id), data={
        "conversion": "gadgets.make_parts", "widget.name": "Foot", "sprocket.name": "Screw",
        "sprocket.code": "ab"})
    assert response.status_code == 400
    assert "Sprocket – Code: Use capital letters." in response.get_data(as_text=True)
    assert count(app, Widget) == 0 and count(app, Sprocket) == 0 and count(app, RecordLink) == 0
    assert "converted" not in actions(app, "gadget", gadget_id)


def test_an_error_while_saving_rolls_everything_back(make_app, monkeypatch):
    app, client, (_user_id, gadget_id) = setup(make_app)

    def broken(source, targets):
        raise RuntimeError("postprocess failed")

    conversion = next(c for c in gadgets.register_conversions() if c.name == "gadgets.make_parts")
    from dataclasses import replace

    from core.records import links
    monkeypatch.setattr(links, "conversion_named", lambda name: replace(conversion, postprocess=broken))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post(URL.format(id=gadget_id), data={
        "conversion": "gadgets.make_parts", "widget.name": "Foot", "sprocket.name": "Screw", "sprocket.code": "S1"})
    assert response.status_code == 500
    assert count(app, Widget) == 0 and count(app, Sprocket) == 0 and count(app, RecordLink) == 0


def test_attach_to_an_existing_record(make_app):
    app, client, (_user_id, gadget_id) = setup(make_app)
    with app.app_context():
        widget = Widget(name="Old foot", size=2)
        db.session.add(widget)
        db.session.commit()
        widget_id = widget.id
    form = client.get(URL.format(id=gadget_id), query_string={"conversion": "gadgets.make_parts"})
    assert f'<option value="{widget_id}">Old foot</option>' in form.get_data(as_text=True)
    response = client.post(URL.format(id=gadget_id), data={
        "conversion": "gadgets.make_parts", "widget.__existing": str(widget_id), "widget.name": "",
        "sprocket.name": "Screw", "sprocket.code": "S1"})
    assert response.status_code == 302
    assert count(app, Widget) == 1 and count(app, Sprocket) == 1 and count(app, RecordLink) == 2
    assert "linked" in actions(app, "widget", widget_id)
    assert "linked" in actions(app, "gadget", gadget_id)


def test_dependencies_tab_on_both_sides_and_deleting_keeps_the_other_side(make_app):
    app, client, (_user_id, gadget_id) = setup(make_app)
    client.post(URL.format(id=gadget_id), data={
        "conversion": "gadgets.make_parts", "widget.name": "Foot", "sprocket.name": "Screw", "sprocket.code": "S1"})
    with app.app_context():
        widget_id = db.session.scalar(select(Widget.id))
        sprocket_id = db.session.scalar(select(Sprocket.id))
    gadget_page = client.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
    assert f'href="/gadgets/widgets/{widget_id}">Foot</a>' in gadget_page
    assert f'href="/gadgets/sprockets/{sprocket_id}">Screw</a>' in gadget_page
    widget_page = client.get(f"/gadgets/widgets/{widget_id}").get_data(as_text=True)
    assert f'href="/gadgets/{gadget_id}">Lamp</a>' in widget_page
    assert 'data-direction="incoming"' in widget_page

    assert client.post(f"/gadgets/{gadget_id}/delete").status_code == 302
    assert count(app, Widget) == 1 and count(app, Sprocket) == 1 and count(app, RecordLink) == 0
    widget_page = client.get(f"/gadgets/widgets/{widget_id}").get_data(as_text=True)
    assert "No linked records." in widget_page


def test_only_runnable_conversions_are_offered(make_app):
    from dataclasses import replace

    app, client, (_user_id, gadget_id) = setup(make_app)
    listing = client.get(URL.format(id=gadget_id))
    assert listing.status_code == 200 and "Make parts" in listing.get_data(as_text=True)
    assert client.get(URL.format(id=gadget_id), query_string={"conversion": "nope"}).status_code == 404
    # A conversion that needs a permission the user lacks (gadgets.admin) is neither
    # offered nor runnable.
    registry = app.extensions["kontor"].plugins.registries["register_conversions"]
    registry[:] = [(owner, replace(item, permissions=("gadgets.admin",)) if item.name == "gadgets.make_parts"
                    else item) for owner, item in registry]
    assert "Make parts" not in client.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
    assert client.get(URL.format(id=gadget_id), query_string={"conversion": "gadgets.make_parts"}).status_code == 403
    owner = sign_in(app.test_client(), "owner@example.com", PASSWORD)
    assert "Create: Make parts" in owner.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
