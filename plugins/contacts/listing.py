"""(being written)"""
from __future__ import annotations

from flask import Blueprint

from core import require

bp = Blueprint("contacts_list", __name__, url_prefix="/contacts", template_folder="templates")


def jobs() -> list:
    """The background jobs of this part of the plugin (``register_jobs``)."""
    return []


@bp.get("/")
@require("contacts.view")
def index():
    return ""
