"""The plugin author guide keeps up with the code: every hook has a heading with its
signature in docs/plugins.md, and every public name of ``core`` is mentioned there."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import core
from core import hookspecs

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HEADING = re.compile(r"^### `(\w+)\(([^)]*)\)`\s*$", re.MULTILINE)


def hook_specs() -> dict[str, inspect.Signature]:
    """Every function in core/hookspecs.py marked as a hook specification of "kontor"."""
    return {
        name: inspect.signature(function)
        for name, function in vars(hookspecs).items()
        if inspect.isfunction(function) and hasattr(function, "kontor_spec")
    }


def documented_hooks() -> dict[str, list[str]]:
    text = GUIDE.read_text(encoding="utf-8")
    reference = text[text.index("## Hook reference"):]
    return {name: [a.strip() for a in args.split(",") if a.strip()]
            for name, args in HEADING.findall(reference)}


def code_in_guide() -> str:
    """The guide's code: fenced blocks and inline code spans, where names are written."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```.*?^```", text, re.MULTILINE | re.DOTALL)
    rest = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return "\n".join(blocks + re.findall(r"`([^`\n]+)`", rest))


def test_hookspecs_are_found():
    specs = hook_specs()
    assert {"register_modules", "menu_items", "module_disabled"} <= set(specs)
    assert len(specs) >= 20


def test_every_hook_has_a_heading():
    documented = documented_hooks()
    missing = sorted(set(hook_specs()) - set(documented))
    assert not missing, (
        f"{GUIDE.name} has no '### `name(...)`' heading under 'Hook reference' for: " + ", ".join(missing))


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_heading_shows_the_hook_signature(name):
    documented = documented_hooks()
    if name not in documented:
        pytest.skip("undocumented: reported by test_every_hook_has_a_heading")
    assert documented[name] == list(hook_specs()[name].parameters), (
        f"heading of {name} in {GUIDE.name} does not match core/hookspecs.py")


def test_no_heading_for_a_hook_that_does_not_exist():
    stale = sorted(set(documented_hooks()) - set(hook_specs()))
    assert not stale, f"{GUIDE.name} documents hooks that core/hookspecs.py lacks: " + ", ".join(stale)


def test_every_public_name_of_core_is_mentioned():
    code = code_in_guide()
    missing = [name for name in core.__all__ if not re.search(rf"(?<![\w]){re.escape(name)}(?!\w)", code)]
    assert not missing, f"{GUIDE.name} does not mention these names of core.__all__: " + ", ".join(missing)
