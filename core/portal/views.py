"""The customer portal shell (sign-in, home) and the staff pages for portal accounts."""
from __future__ import annotations

from flask import Blueprint, render_template

from core.access import portal_page, public, require

bp = Blueprint("portal", __name__, url_prefix="/portal")
admin_bp = Blueprint("portal_admin", __name__, url_prefix="/admin/portal-accounts")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    return render_template("core/admin/placeholder.html")


@bp.get("/")
@portal_page
def home():
    return render_template("core/admin/placeholder.html")


@admin_bp.get("/")
@require("core.portal_accounts")
def accounts():
    return render_template("core/admin/placeholder.html")
