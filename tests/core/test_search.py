"""The global search through the search service: trigram indexes on PostgreSQL and SQLite,
case-insensitive substrings, best matches first, and never a record the user may not see."""
from __future__ import annotations

from sqlalchemy import text

from core import Module, access, db, hookimpl
from core.records import search
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in
from tests.support import gadgets
from tests.support.gadgets.models import Gadget


class GadgetSearch:
    """What the gadgets plugin's ``search`` hook would do: ask the service for its type."""

    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="gadgetsearch", label="Gadget search")]

    @staticmethod
    @hookimpl
    def search(user, query, limit):
        return search.search_entity("gadget", user, query, limit)


def setup(make_app, names=()):
    app = make_app(PLUGINS=[gadgets, GadgetSearch])
    with app.app_context():
        with db.engine.begin() as connection:
            search.create_index(connection, "gadgets_gadget", ["name"])
        owner = create_user()
        user = create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD)
        db.session.add_all([Gadget(name=name, access_mode=mode) for name, mode in names])
        db.session.commit()
        ids = {"owner": owner.id, "user": user.id}
    return app, ids


def found(app, email, query):
    from core.auth.models import User

    with app.test_request_context():
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        return [r.title for r in search.search_entity("gadget", user, query, 20)]


def test_the_index_is_used(make_app):
    app, _ids = setup(make_app)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            plan = "\n".join(db.session.execute(text(
                "EXPLAIN SELECT id FROM gadgets_gadget WHERE name ILIKE '%blue%'")).scalars())
            # With an empty table the planner may still scan; the index must at least exist.
            names = db.session.execute(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'gadgets_gadget'")).scalars().all()
            assert "ix_gadgets_gadget_search" in names, plan
        else:
            plan = "\n".join(str(row) for row in db.session.execute(text(
                "EXPLAIN QUERY PLAN SELECT rowid FROM fts_gadgets_gadget WHERE fts_gadgets_gadget MATCH '\"blue\"'")))
            assert "VIRTUAL TABLE INDEX" in plan


def test_case_insensitive_substrings_with_umlauts(make_app):
    app, _ids = setup(make_app, [("Bürste mit Ölfilter", "public_read"), ("Blue Widget", "public_read"),
                                 ("Zahnrad", "public_read")])
    assert found(app, "owner@example.com", "ölf") == ["Bürste mit Ölfilter"]
    assert found(app, "owner@example.com", "ÜRSTE") == ["Bürste mit Ölfilter"]
    assert found(app, "owner@example.com", "e wid") == ["Blue Widget"]
    assert found(app, "owner@example.com", "rad") == ["Zahnrad"]
    assert found(app, "owner@example.com", "zz") == []
    assert found(app, "owner@example.com", "%") == []  # wildcards are plain characters


def test_index_follows_updates_and_deletes(make_app):
    app, _ids = setup(make_app, [("Old name", "public_read")])
    with app.app_context():
        gadget = db.session.execute(db.select(Gadget)).scalar_one()
        gadget.name = "New name"
        db.session.commit()
    assert found(app, "owner@example.com", "old") == []
    assert found(app, "owner@example.com", "new name") == ["New name"]
    with app.app_context():
        db.session.execute(db.delete(Gadget))
        db.session.commit()
    assert found(app, "owner@example.com", "new name") == []


def test_best_matches_first(make_app):
    app, _ids = setup(make_app, [("Johanna's lamp", "public_read"), ("Annabelle", "public_read"),
                                 ("Anna", "public_read")])
    assert found(app, "owner@example.com", "anna") == ["Anna", "Annabelle", "Johanna's lamp"]


def test_results_never_include_a_record_the_user_may_not_see(make_app):
    app, ids = setup(make_app, [("Secret gadget one", "private"), ("Secret gadget shared", "private"),
                                ("Secret gadget open", "public_read"), ("Secret gadget restricted", "restricted")])
    with app.test_request_context():
        shared = db.session.execute(db.select(Gadget).where(Gadget.name == "Secret gadget shared")).scalar_one()
        access.set_members("gadget", shared, [ids["user"]])
        db.session.commit()
    assert sorted(found(app, "owner@example.com", "secret")) == [
        "Secret gadget one", "Secret gadget open", "Secret gadget restricted", "Secret gadget shared"]
    assert sorted(found(app, "user@example.com", "secret")) == ["Secret gadget open", "Secret gadget shared"]
    client = sign_in(app.test_client(), "user@example.com", USER_PASSWORD)
    page = client.get("/search?q=gadget").get_data(as_text=True)
    assert "Secret gadget open" in page and "Secret gadget shared" in page
    assert "Secret gadget one" not in page and "Secret gadget restricted" not in page
    assert "Gadgets" in page  # grouped under the type's name
    owner = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    assert "Secret gadget restricted" in owner.get("/search?q=gadget").get_data(as_text=True)


def test_queries_too_short_for_trigrams_still_work(make_app):
    app, _ids = setup(make_app, [("Ax", "public_read"), ("Box", "public_read")])
    assert found(app, "owner@example.com", "x") == ["Ax", "Box"]
