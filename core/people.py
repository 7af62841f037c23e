"""Administration of people and rights: staff users, groups, the permission matrix, module
access, and the audit log."""
from __future__ import annotations

from flask import Blueprint, render_template

from core.access import require

bp = Blueprint("people", __name__, url_prefix="/admin")


@bp.get("/users")
@require("core.users")
def users():
    return render_template("core/admin/placeholder.html")


@bp.get("/groups")
@require("core.users")
def groups():
    return render_template("core/admin/placeholder.html")


@bp.get("/permissions")
@require("core.users")
def permissions():
    return render_template("core/admin/placeholder.html")


@bp.get("/audit")
@require("core.audit")
def audit():
    return render_template("core/admin/placeholder.html")
