"""The plugin is an installed distribution, found through its entry point."""
from __future__ import annotations

from importlib.metadata import entry_points

from core import kontor
from hello_testing import run_kontor

HOOKS = ["menu_items", "register_blueprints", "register_migrations", "register_modules",
         "register_permissions", "register_settings"]


def test_entry_point_names_the_package():
    found = {ep.name: ep for ep in entry_points(group="kontor.plugins")}
    assert "hello" in found, "kontor-hello is not installed: pip install -e examples/hello_plugin"
    assert found["hello"].value == "kontor_hello"
    assert found["hello"].dist.name.replace("_", "-") == "kontor-hello"


def test_the_application_loads_it(app):
    with app.app_context():
        info = kontor.plugins.plugins["hello"]
        assert info.status == "loaded", info.reason
        assert info.source.replace("_", "-") == "kontor-hello 0.1.0"
        assert info.module.version == "0.1.0"
        assert str(info.module.label) == "Grüße"  # outside a request: the default language
        assert info.hooks == HOOKS
        assert kontor.is_enabled("hello")


def test_kontor_plugins_lists_it(database_url, tmp_path):
    result = run_kontor("plugins", database_url=database_url, instance_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    line = next(line for line in lines if line.startswith("hello "))
    assert line.replace("_", "-").split() == ["hello", "0.1.0", "kontor-hello", "0.1.0", "enabled"]
    hooks = lines[lines.index(line) + 1].strip()
    assert hooks == "hooks: " + ", ".join(HOOKS)
