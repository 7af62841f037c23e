"""Custom fields: module admins define them per entity type; the gadget forms validate and
store the values, the detail page shows them, the list filters by them in SQL, the CSV
export carries them."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from core import db
from core.records.models import FieldDefinition
from tests.conftest import OWNER_PASSWORD, create_user, sign_in
from tests.support import gadgets
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


def define(client, **values):
    data = {"label": "", "type": "text", "choices": "", "default": "", "help": "", "section": "", "position": "0",
            **values}
    if data.pop("required", False):
        data["required"] = "on"
    return client.post("/records/gadget/fields/new", data=data, headers=EN)


def definition(app, key):
    with app.app_context():
        return db.session.execute(select(FieldDefinition).where(FieldDefinition.key == key)).scalar_one()


def define_several(client):
    for values in (dict(label="Serial number", type="text", required=True, section="Technical", position="1"),
                   dict(label="Bought on", type="date", position="2"),
                   dict(label="Colour", type="choice", choices="red\ngreen\nblue", position="3"),
                   dict(label="Features", type="multiple_choice", choices="wifi\nbluetooth\nusb", position="4"),
                   dict(label="Weight", type="decimal", section="Numbers", position="5"),
                   dict(label="Count", type="integer", position="6"),
                   dict(label="Fragile", type="checkbox", position="7"),
                   dict(label="Manual", type="url", position="8")):
        response = define(client, **values)
        assert response.status_code == 302, response.get_data(as_text=True)


def gadget_form(**custom):
    data = {"name": "Box", "status": "new", "price": "1", "tags": ""}
    for key, value in custom.items():
        data[key if key == "tags" else f"cf_{key}"] = value
    return data


def test_module_admins_define_fields_plain_users_may_not(app):
    client = admin_client(app)
    define_several(client)
    page = client.get("/records/gadget/fields", headers=EN).get_data(as_text=True)
    assert page.index("Serial number") < page.index("Bought on") < page.index("Manual")
    assert "serial_number" in page and "Single choice" in page
    assert definition(app, "colour").choices == ["red", "green", "blue"]
    assert definition(app, "serial_number").required and definition(app, "serial_number").section == "Technical"
    user = user_client(app)
    assert user.get("/records/gadget/fields").status_code == 403
    assert define(user, label="Sneaky").status_code == 403
    # Widgets have no custom fields (and no admin permission): there is no such page.
    assert client.get("/records/widget/fields").status_code == 404


def test_definition_errors_key_rules_and_positions(app):
    client = admin_client(app)
    assert define(client, label="Größe (cm)").status_code == 302
    assert definition(app, "groesse_cm").label == "Größe (cm)"
    response = define(client, label="Size", key="groesse_cm")
    assert response.status_code == 400 and "already has this key" in response.get_data(as_text=True)
    response = define(client, label="Size", key="Bad Key!")
    assert response.status_code == 400 and "lowercase letters" in response.get_data(as_text=True)
    response = define(client, label="Pick", type="choice", choices="")
    assert response.status_code == 400 and "at least one choice" in response.get_data(as_text=True)
    response = define(client, label="When", type="date", default="someday")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.get_data(as_text=True)
    response = define(client, label="", type="nonsense")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(select(FieldDefinition.key)).scalars().all() == ["groesse_cm"]
    assert define(client, label="Second", position="5").status_code == 302
    first, second = definition(app, "groesse_cm"), definition(app, "second")
    client.post("/records/gadget/fields/positions", data={f"position-{first.id}": "9", f"position-{second.id}": "1"})
    page = client.get("/records/gadget/fields", headers=EN).get_data(as_text=True)
    assert page.index("Second") < page.index("Größe (cm)")


def test_wrong_values_get_errors_beside_their_fields_and_nothing_is_saved(app):
    define_several(admin_client(app))
    client = user_client(app)
    form = client.get("/gadgets/new", headers=EN).get_data(as_text=True)
    assert 'name="cf_serial_number"' in form and "Technical" in form and 'name="cf_features"' in form
    response = client.post("/gadgets/new", headers=EN, data=gadget_form(
        serial_number="", bought_on="31.02.2024", colour="purple", features=["wifi", "radio"], weight="heavy",
        count="1.5", manual="not a url"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for input_name, message in (("cf_serial_number", "Enter a value."), ("cf_bought_on", "Enter a date as YYYY-MM-DD."),
                                ("cf_colour", "Choose one of the offered values."), ("cf_weight", "Enter a number."),
                                ("cf_count", "Enter a whole number."), ("cf_manual", "Enter a web address")):
        assert re.search(rf'id="field-{input_name}-error"><div>{re.escape(message)}', html), input_name
    assert "Choose one of the offered values." in html.split('id="field-cf_features-error"')[1][:200]
    assert 'value="31.02.2024"' in html  # what was typed stays in the form
    with app.app_context():
        assert db.session.execute(select(Gadget)).scalars().all() == []


def test_valid_values_are_stored_shown_and_a_renamed_label_keeps_them(app):
    admin = admin_client(app)
    define_several(admin)
    client = user_client(app)
    response = client.post("/gadgets/new", headers=EN, data=gadget_form(
        serial_number=" SN-1 ", bought_on="2024-02-29", colour="green", features=["wifi", "usb"], weight="1,5",
        count="3", fragile="on", manual="https://example.com/manual"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        gadget = db.session.execute(select(Gadget)).scalar_one()
        assert gadget.custom == {"serial_number": "SN-1", "bought_on": "2024-02-29", "colour": "green",
                                 "features": ["wifi", "usb"], "weight": "1.5", "count": 3, "fragile": True,
                                 "manual": "https://example.com/manual"}
        gadget_id = gadget.id
    page = client.get(f"/gadgets/{gadget_id}", headers=EN).get_data(as_text=True)
    panel = page.split('id="custom-fields"')[1]
    for text in ("Technical", "Serial number", "SN-1", "Feb 29, 2024", "wifi, usb", "1.5", "Numbers", "Yes"):
        assert text in panel, text
    # Edit: clearing an optional value removes it; the form shows the stored values.
    form = client.get(f"/gadgets/{gadget_id}/edit", headers=EN).get_data(as_text=True)
    assert 'value="SN-1"' in form and 'value="usb" checked' in form
    response = client.post(f"/gadgets/{gadget_id}/edit", headers=EN, data=gadget_form(
        serial_number="SN-2", colour="", features=["bluetooth"]))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Gadget, gadget_id).custom == {"serial_number": "SN-2", "features": ["bluetooth"],
                                                            "fragile": False}
    # A new label: the values stay, found by the unchanged key.
    serial = definition(app, "serial_number")
    response = admin.post(f"/records/gadget/fields/edit?field={serial.id}", headers=EN, data={
        "label": "Serial no.", "required": "on", "choices": "", "default": "", "help": "On the back",
        "section": "Technical", "position": "1"})
    assert response.status_code == 302
    assert definition(app, "serial_number").label == "Serial no."
    page = client.get(f"/gadgets/{gadget_id}", headers=EN).get_data(as_text=True)
    assert "Serial no." in page and "SN-2" in page


def test_delete_asks_first_and_says_how_many_records_hold_a_value(app):
    admin = admin_client(app)
    define(admin, label="Colour", type="choice", choices="red\ngreen")
    define(admin, label="Note")
    client = user_client(app)
    for colour in ("red", "green", ""):
        assert client.post("/gadgets/new", data=gadget_form(colour=colour, note="x")).status_code == 302
    colour = definition(app, "colour")
    page = admin.get(f"/records/gadget/fields/delete?field={colour.id}", headers=EN).get_data(as_text=True)
    assert "2 records hold a value in this field" in page
    assert user_client(app).get(f"/records/gadget/fields/delete?field={colour.id}").status_code == 403
    assert admin.post(f"/records/gadget/fields/delete?field={colour.id}").status_code == 302
    with app.app_context():
        assert db.session.execute(select(FieldDefinition.key)).scalars().all() == ["note"]
        assert [g.custom for g in db.session.execute(select(Gadget).order_by(Gadget.id)).scalars()] == [
            {"note": "x"}, {"note": "x"}, {"note": "x"}]
    # A definition that is gone: back to the list, with a word why.
    assert admin.get(f"/records/gadget/fields/edit?field={colour.id}").status_code == 302


def test_list_filters_by_custom_values_in_sql_and_shows_optional_columns(app):
    admin = admin_client(app)
    for values in (dict(label="Serial", type="text"), dict(label="Colour", type="choice", choices="red\ngreen"),
                   dict(label="Features", type="multiple_choice", choices="wifi\nusb"),
                   dict(label="Weight", type="decimal"), dict(label="Count", type="integer"),
                   dict(label="Fragile", type="checkbox"), dict(label="Bought", type="date")):
        define(admin, **values)
    client = user_client(app)
    rows = [("Alpha", dict(serial="AB-100", colour="red", features=["wifi"], weight="12.50", count="3",
                           fragile="on", bought="2024-01-31")),
            ("Beta", dict(serial="ab-200", colour="green", features=["wifi", "usb"], weight="7", count="30")),
            ("Gamma", dict(serial="XY-1", features=["usb"], count="4", bought="2024-02-01"))]
    for name, custom in rows:
        data = gadget_form(**custom)
        data["name"] = name
        assert client.post("/gadgets/new", data=data).status_code == 302

    def names(query):
        html = client.get(f"/gadgets/?{query}", headers=EN).get_data(as_text=True)
        return re.findall(r'<td><a href="/gadgets/\d+">(\w+)</a>', html)

    assert names("") == ["Alpha", "Beta", "Gamma"]
    assert names("cf_serial=ab-") == ["Alpha", "Beta"]  # part of the text, any case
    assert names("cf_serial=100%25") == []  # a LIKE wildcard is just a character
    assert names("cf_colour=green") == ["Beta"]
    assert names("cf_features=wifi") == ["Alpha", "Beta"]
    assert names("cf_features=usb") == ["Beta", "Gamma"]
    assert names("cf_weight=12.5") == ["Alpha"]
    assert names("cf_count=3") == ["Alpha"]
    assert names("cf_fragile=true") == ["Alpha"]
    assert names("cf_bought=2024-02-01") == ["Gamma"]
    assert names("cf_count=many") == []  # not a value of the field
    assert names("cf_unknown=1") == []
    assert names("cf_features=usb&cf_count=4") == ["Gamma"]
    html = client.get("/gadgets/?columns=colour,weight", headers=EN).get_data(as_text=True)
    assert "<th scope=\"col\">Colour</th>" in html and "<td>green</td>" in html and "<td>12.5</td>" in html


def test_csv_export_includes_custom_values(app):
    admin = admin_client(app)
    define(admin, label="Colour", type="choice", choices="red\ngreen")
    define(admin, label="Features", type="multiple_choice", choices="wifi\nusb")
    define(admin, label="Fragile", type="checkbox")
    client = user_client(app)
    define(admin, label="Remark")
    define(admin, label="Count", type="integer")
    client.post("/gadgets/new", data=gadget_form(colour="red", features=["wifi", "usb"], fragile="on",
                                                 remark="=HYPERLINK(1)", count="-3"))
    response = client.get("/gadgets/export.csv?cf_colour=red")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    # A formula typed into a text field is defused; a negative number stays one.
    assert rows == [["name", "status", "price", "colour", "features", "fragile", "remark", "count", "tags"],
                    ["Box", "new", "1.00", "red", "wifi; usb", "true", "'=HYPERLINK(1)", "-3", ""]]
    assert len(list(csv.reader(io.StringIO(client.get("/gadgets/export.csv?cf_colour=green")
                                           .get_data(as_text=True))))) == 1


def test_load_values_serves_imports_too(app):
    """The same rule for a dict by key, as a CSV import or the API passes it."""
    from marshmallow import ValidationError

    from core.records import fields

    define(admin_client(app), label="Features", type="multiple_choice", choices="wifi\nusb", required=True)
    define(admin_client(app), label="Bought", type="date")
    with app.test_request_context(headers=EN):
        assert fields.load_values("gadget", {"features": "wifi; usb", "bought": "2024-05-01"}) == {
            "features": ["wifi", "usb"], "bought": "2024-05-01"}
        with pytest.raises(ValidationError) as error:
            fields.load_values("gadget", {"bought": "May"})
        assert set(error.value.messages) == {"features", "bought"}


def test_plugins_add_field_types(make_app):
    """The memo test plugin registers "memo.colour" (a factory without validation): it is
    offered next to the built-in types and its values are stored as given."""
    from tests.support import memo

    app = make_app(PLUGINS=[gadgets, memo])
    with app.app_context():
        create_user(email="owner@example.com", password=OWNER_PASSWORD, role="owner")
    client = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    form = client.get("/records/gadget/fields/new", headers=EN).get_data(as_text=True)
    assert '<option value="memo.colour"' in form and '<option value="multiple_choice"' in form
    assert define(client, label="Shade", type="memo.colour", help="Any colour").status_code == 302
    edit = client.get(f"/records/gadget/fields/edit?field={definition(app, 'shade').id}", headers=EN)
    assert edit.status_code == 200 and 'value="Shade"' in edit.get_data(as_text=True)
    new = client.get("/gadgets/new", headers=EN).get_data(as_text=True)
    assert 'name="cf_shade"' in new and "Any colour" in new
    assert client.post("/gadgets/new", data=gadget_form(shade="teal")).status_code == 302
    with app.app_context():
        assert db.session.execute(select(Gadget.custom)).scalar_one() == {"shade": "teal"}
