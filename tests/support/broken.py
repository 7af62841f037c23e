"""Plugins that are broken in the ways third-party plugins break."""
from core import Module, hookimpl


class WrongArgument:
    """Implements menu_items with an argument the spec does not have."""

    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="wrong_argument", label="Wrong argument")]

    @staticmethod
    @hookimpl
    def menu_items(usr, colour):
        return []


class UnknownHook:
    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="unknown_hook", label="Unknown hook")]

    @staticmethod
    @hookimpl
    def menu_item(user):  # a typo: the hook is menu_items
        return []


class RaisesInRegistration:
    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="raises", label="Raises")]

    @staticmethod
    @hookimpl
    def register_settings():
        raise RuntimeError("settings table is on fire")


class NeedsMissing:
    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="needs_missing", label="Needs missing", depends=("nonexistent",))]


class MemoExtra:
    """A module that depends on memo."""

    @staticmethod
    @hookimpl
    def register_modules():
        return [Module(name="memo_extra", label="Memo extras", depends=("memo",))]

    @staticmethod
    @hookimpl
    def memo_extra_fields():
        return ["colour"]
