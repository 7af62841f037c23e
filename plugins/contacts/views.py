"""Staff pages for contacts."""
from __future__ import annotations

from flask import Blueprint

from core import access, require

bp = Blueprint("contacts", __name__, url_prefix="/contacts", template_folder="templates")


@bp.get("/<int:record_id>")
@require("contacts.view")
def detail(record_id: int):
    contact = access.get_record_or_404("contact", record_id, "contacts.view")
    return contact.name
