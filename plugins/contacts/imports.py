"""(being written)"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contacts_import", __name__, url_prefix="/contacts/import", template_folder="templates")


def jobs() -> list:
    """The background jobs of this part of the plugin (``register_jobs``)."""
    return []
