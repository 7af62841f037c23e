"""The tasks plugin loads as a built-in module, its migrations make exactly its models'
tables, and its pages are only for users of the module."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core import db, kontor, migrate
from core.auth.models import User
from core.modules import set_access


def test_the_plugin_loads_and_declares_its_hook(world):
    with world.app.app_context():
        assert kontor.plugins.plugins["tasks"].status == "loaded"
        assert kontor.hook("task_entity_types") == ["contact"]  # the contacts module opts in


def test_migrations_and_models_agree(world):
    with world.app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": migrate.owned_by(("tasks_",))})
        assert compare_metadata(context, db.metadata) == []


def test_pages_are_for_users_of_the_module_only(world):
    user = world.client("user")
    assert user.get("/tasks/").status_code == 200
    assert user.get("/tasks/categories").status_code == 403  # module admins only
    with world.app.app_context():
        owner = db.session.get(User, world.users["owner"])
        set_access("tasks", True, [world.users["other"]], [], [], [], user=owner)
    assert user.get("/tasks/").status_code == 403
    assert user.get("/tasks/new").status_code == 403
    assert world.client("other").get("/tasks/").status_code == 200
    assert 'id="record-tab-tasks"' not in user.get(f"/contacts/{world.contacts[0]}").get_data(as_text=True)


def test_demo_data_gives_categories_and_tasks_on_the_demo_contacts(make_app):
    from tests.plugins.tasks.conftest import PASSWORD
    from core.testing import create_user, sign_in

    app = make_app()
    with app.app_context():
        create_user("owner@example.com", PASSWORD, role="owner", name="Olga Owner")
        for part in sorted(kontor.registered("register_demo_data"), key=lambda d: (d.order, d.name)):
            part.load()
            part.load()  # twice: nothing doubles
    client = sign_in(app.test_client(), "owner@example.com", PASSWORD)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/tasks/").get_data(as_text=True)
    overdue = page[page.index('id="section-overdue"'):page.index('id="section-today"')]
    assert "Rückruf wegen Angebot" in overdue and "Müller Bau GmbH" in overdue
    assert page.count('class="task-title') == 4 and 'text-bg-primary' in page
