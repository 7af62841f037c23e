"""CSV import: any entity type with a schema takes a CSV file whose columns name schema
fields, custom fields (by key or label) and tags; every row is checked before anything is
imported, all records are created in one transaction."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import db
from core.modules import set_access
from core.records import tags
from core.records.models import FieldDefinition
from tests.support.gadgets.models import Gadget
from tests.support.gadgets.testing import build, client_for

URL = "/records/gadget/import"


@pytest.fixture
def app(make_app):
    app = build(make_app, access_mode=None)[0]
    with app.app_context():
        db.session.add_all([
            FieldDefinition(entity_type="gadget", key="serial", label="Serial number", type="text", position=1),
            FieldDefinition(entity_type="gadget", key="colour", label="Colour", type="choice",
                            choices=["red", "green", "blue"], position=2),
            FieldDefinition(entity_type="gadget", key="features", label="Features", type="multiple_choice",
                            choices=["wifi", "usb"], position=3),
            FieldDefinition(entity_type="gadget", key="bought", label="Bought on", type="date", position=4),
        ])
        db.session.commit()
    return app


def upload(client, text: str, encoding: str = "utf-8", **form):
    data = {"file": (io.BytesIO(text.encode(encoding)), "gadgets.csv"), **form}
    return client.post(URL, data=data, content_type="multipart/form-data")


def gadgets(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(Gadget).order_by(Gadget.name)).scalars().all()
        return [(g.name, g.status, g.price, g.custom or {}, [t.name for t in tags.tags_of("gadget", g.id)])
                for g in rows]


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Gadget))


def test_the_form_lists_the_columns(app):
    response = client_for(app, "user").get(URL + "?next=/gadgets/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Serial number" in page and 'name="next" value="/gadgets/"' in page


def test_a_csv_with_schema_fields_custom_fields_by_label_and_tags_imports_every_row(app):
    text = ("name,status,price,Serial number,colour,Features,Bought on,tags\n"
            "Lamp,done,12.50,S-1,red,wifi; usb,2024-05-01,\"office, blue\"\n"
            "Chair,new,3,,green,,,\n")
    response = upload(client_for(app, "user"), text, next="/gadgets/")
    assert response.status_code == 302 and response.headers["Location"] == "/gadgets/"
    assert gadgets(app) == [
        ("Chair", "new", Decimal("3.00"), {"colour": "green"}, []),
        ("Lamp", "done", Decimal("12.50"),
         {"serial": "S-1", "colour": "red", "features": ["wifi", "usb"], "bought": "2024-05-01"},
         ["blue", "office"]),
    ]
    with app.app_context():
        gadget = db.session.execute(select(Gadget)).scalars().first()
        assert gadget.access_mode == "public_write"


def test_semicolons_a_bom_and_the_export_apostrophe_are_understood(app):
    text = "\ufeffName;Price;Serial number\n'=Lamp;2.5;'-7\n"
    response = upload(client_for(app, "user"), text)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert gadgets(app) == [("=Lamp", "new", Decimal("2.50"), {"serial": "-7"}, [])]


def test_an_export_imports_back_to_the_same_values(app):
    client = client_for(app, "user")
    text = ("name,status,price,serial,colour,features,bought,tags\n"
            "'=sum,done,1.25,'+49 1,blue,usb,2023-01-31,\"a, b\"\n"
            "Plain,new,0,,,,,\n")
    assert upload(client, text).status_code == 302
    before = gadgets(app)
    exported = client.get("/gadgets/export.csv").get_data(as_text=True)
    with app.app_context():
        for gadget in db.session.execute(select(Gadget)).scalars():
            tags.forget("gadget", gadget.id)
            db.session.delete(gadget)
        db.session.commit()
    assert count(app) == 0
    response = upload(client, exported)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert gadgets(app) == before


def test_a_bad_row_imports_nothing_and_names_row_and_field(app):
    with app.app_context():
        db.session.add(FieldDefinition(entity_type="gadget", key="owner", label="Owner", type="text",
                                       required=True, position=5))
        db.session.commit()
    text = ("name,price,colour,Owner\n"
            "Good,1,red,Olga\n"
            "Bad price,abc,red,Olga\n"
            "Bad choice,1,purple,Olga\n"
            "No owner,1,red,\n")
    response = upload(client_for(app, "user"), text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Row 3, Price: Not a valid number." in page
    assert "Row 4, Colour:" in page
    assert "Row 5, Owner: Enter a value." in page
    assert "Row 2" not in page
    assert count(app) == 0


def test_at_most_fifty_errors_are_listed(app):
    text = "name,price\n" + "".join(f"G{n},x\n" for n in range(60))
    page = upload(client_for(app, "user"), text).get_data(as_text=True)
    assert "Row 51, Price" in page and "Row 52, Price" not in page
    assert "and 10 more" in page
    assert count(app) == 0


def test_an_unknown_column_is_refused(app):
    response = upload(client_for(app, "user"), "name,weight,height\nLamp,1,2\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Unknown columns: weight, height" in page
    assert count(app) == 0


def test_an_empty_file_and_a_header_only_file_say_so(app):
    client = client_for(app, "user")
    assert "The file is empty." in upload(client, "").get_data(as_text=True)
    assert "no records below its header row" in upload(client, "name,price\n").get_data(as_text=True)


def test_a_file_over_the_limit_is_refused(app, monkeypatch):
    from core.records import imports

    monkeypatch.setattr(imports, "MAX_BYTES", 10)
    page = upload(client_for(app, "user"), "name\nA very long gadget name\n").get_data(as_text=True)
    assert "larger than the limit of 20 MB" in page
    assert count(app) == 0


def test_a_private_type_lists_the_importer(app, monkeypatch):
    import dataclasses

    from core.access import members
    from core.runtime import kontor

    with app.app_context():
        registry = kontor.entity_types()
        module, declared = registry["gadget"]
        monkeypatch.setitem(registry, "gadget", (module, dataclasses.replace(declared, default_access="private")))
    assert upload(client_for(app, "user"), "name\nSecret\n").status_code == 302
    with app.app_context():
        gadget = db.session.execute(select(Gadget)).scalar_one()
        assert gadget.access_mode == "private"
        assert len(members("gadget", gadget.id)) == 1


def test_a_user_without_edit_permission_gets_403(app):
    with app.app_context():
        set_access("gadgets", True, [], [], [], [])
    client = client_for(app, "user")
    assert client.get(URL).status_code == 403
    assert upload(client, "name\nLamp\n").status_code == 403
    assert count(app) == 0


def test_a_type_without_schema_is_404(make_app):
    from tests.support import memo

    app = make_app(PLUGINS=[memo])
    from core.testing import create_user, sign_in

    with app.app_context():
        create_user("boss@example.com", "boss-secret-12", role="owner", name="Boss")
    client = sign_in(app.test_client(), "boss@example.com", "boss-secret-12")
    assert client.get("/records/memo/import").status_code == 404
