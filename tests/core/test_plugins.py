"""Loading plugins: built-ins and entry points alike; broken ones are reported, not fatal;
duplicate names stop start-up."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from core import Module, Permission, hookimpl
from core.cli import cli
from core.plugins import PluginConflict, PluginManager
from tests.support import broken, memo


def statuses(app):
    plugins = app.extensions["kontor"].plugins.plugins
    return {name: (info.status, info.reason) for name, info in plugins.items()}


def test_builtin_and_extra_plugins_load_and_answer_hooks(app):
    kontor = app.extensions["kontor"]
    assert {"core", "memo"} <= kontor.plugins.loaded_names()
    names = [p.name for p in kontor.registered("register_permissions")]
    assert "core.admin" in names and "memo.view" in names


@pytest.mark.parametrize("plugin, name, reason", [
    ("tests.support.broken_import", "tests.support.broken_import", "No module named 'kontor_nonexistent_dependency'"),
    (broken.WrongArgument, "wrong_argument", "colour"),
    (broken.UnknownHook, "unknown_hook", "unknown hook 'menu_item'"),
    (broken.RaisesInRegistration, "raises", "settings table is on fire"),
    (broken.NeedsMissing, "needs_missing", "depends on missing module(s): nonexistent"),
])
def test_broken_plugin_is_failed_and_the_app_still_works(make_app, plugin, name, reason):
    app = make_app(PLUGINS=[memo, plugin])
    status, why = statuses(app)[name]
    assert status == "failed"
    assert reason in why
    assert statuses(app)["memo"][0] == "loaded"
    # Its hooks are never called and it is no module.
    kontor = app.extensions["kontor"]
    assert name not in [m.name for m in kontor.modules]
    with app.test_request_context():
        from tests.conftest import create_user

        owner = create_user()
        kontor.refresh()
        endpoints = {item.endpoint.split(".")[0] for item in kontor.hook("menu_items", user=owner)}
        assert endpoints == {"workspace", "admin", "people", "portal_admin", "records_timeline", "records_exports",
                             "memo", "contacts_list", "contacts", "contacts_webforms", "tasks"}


def test_failed_plugin_is_shown_on_the_modules_page(make_app):
    from tests.conftest import OWNER_PASSWORD, create_user, sign_in

    app = make_app(PLUGINS=[memo, broken.WrongArgument])
    with app.app_context():
        create_user()
    client = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    page = client.get("/admin/modules").get_data(as_text=True)
    row = page[page.index('data-module="wrong_argument"'):]
    row = row[:row.index("</tr>")]
    assert "failed" in row or "fehlgeschlagen" in row
    assert "colour" in row  # the reason


class Twin:
    """Declares a permission memo declares already."""

    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="twin", label="Twin")]

    @staticmethod
    @hookimpl
    def register_permissions():
        return [Permission("memo.view")]


def test_duplicate_name_stops_startup_naming_both_plugins(make_app):
    with pytest.raises(PluginConflict) as error:
        make_app(PLUGINS=[memo, Twin])
    assert "'memo'" in str(error.value) and "'twin'" in str(error.value)
    assert "memo.view" in str(error.value)


def test_duplicate_module_name_stops_startup(make_app):
    class SecondMemo:
        @staticmethod
        @hookimpl
        def register_modules():
            return [Module(name="memo", label="Another memo")]

    with pytest.raises(PluginConflict, match="declared by both"):
        make_app(PLUGINS=[memo, SecondMemo])


def test_entry_point_plugins_are_loaded(monkeypatch):
    class FakeDist:
        name, version = "kontor-fake", "9.9"

    class FakeEntryPoint:
        name, value, dist = "fake", "tests.support.memo", FakeDist()

        def load(self):
            return memo

    monkeypatch.setattr("core.plugins.entry_points", lambda group: [FakeEntryPoint()] if group == "kontor.plugins" else [])
    manager = PluginManager()
    manager.load(builtins=["core.workspace"], use_entry_points=True)
    info = manager.plugins["memo"]
    assert info.status == "loaded" and info.source == "kontor-fake 9.9"


def test_plugin_declares_its_own_hooks(app):
    """addhookspecs: memo adds memo_extra_fields, another plugin implements it."""
    kontor = app.extensions["kontor"]
    assert kontor.plugins.pm.hook.memo_extra_fields.spec is not None


def test_other_plugin_implements_a_plugins_own_hook(make_app):
    app = make_app(PLUGINS=[memo, broken.MemoExtra])
    kontor = app.extensions["kontor"]
    assert statuses(app)["memo_extra"][0] == "loaded"
    with app.app_context():
        kontor.refresh()
        assert kontor.hook("memo_extra_fields") == ["colour"]


def test_kontor_plugins_command_lists_name_version_source_status_hooks(app, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(cli, ["plugins"], obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert "memo  1.2.3  configured  enabled" in result.output
    assert "register_blueprints" in result.output


def test_plugin_commands_are_added_to_kontor(app):
    result = CliRunner().invoke(cli, ["memo-hello"], obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert "hello from memo" in result.output


def _script_info(app):
    from flask.cli import ScriptInfo

    cli._plugin_commands_added = False
    cli.commands.pop("memo-hello", None)
    return ScriptInfo(create_app=lambda: app)
