"""(being written)"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contacts_export", __name__, url_prefix="/contacts/export", template_folder="templates")


def jobs() -> list:
    """The background jobs of this part of the plugin (``register_jobs``)."""
    return []
