"""Permissions: every route declares the one it needs, and the core checks it before the
view runs. A route without a declaration is refused (default deny).

Record-level access (SQL conditions from ``permission_query_filter``) is applied with
``filter_query``, so lists, counts and search agree with what a user may see.
"""
from __future__ import annotations

import logging
from typing import Callable

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from core.runtime import kontor

log = logging.getLogger(__name__)

PUBLIC = "public"
# Every signed-in staff user has this one: the workspace itself (home, search, profile).
USE_WORKSPACE = "core.use"


def require(permission: str) -> Callable:
    """Declare the permission a view needs: ``@require("contacts.view")``."""

    def decorate(view):
        view.kontor_permission = permission
        return view

    return decorate


def public(view):
    """Declare a view open to everybody, signed in or not (login page, static files)."""
    view.kontor_permission = PUBLIC
    return view


def declared_permission(endpoint: str | None, view) -> str | None:
    if endpoint is not None and (endpoint == "static" or endpoint.endswith(".static")):
        return PUBLIC
    return getattr(view, "kontor_permission", None)


def has_permission(user, permission: str, record=None) -> bool:
    """Whether ``user`` has ``permission`` (on ``record``): owners always; otherwise any
    plugin saying ``False`` denies, any saying ``True`` allows, else the role defaults."""
    if permission == PUBLIC:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_owner:
        return True
    declared = kontor.permissions()
    if permission not in declared:
        return False  # unknown, or its module is switched off
    answers = kontor.hook("permission_allowed", user=user, permission=permission, record=record)
    if False in answers:
        return False
    if True in answers:
        return True
    return user.role in declared[permission].roles


def filter_query(query, user, permission: str, entity_type: str):
    """AND every plugin's record-access condition for ``entity_type`` into ``query``."""
    for condition in kontor.hook(
        "permission_query_filter", user=user, permission=permission, entity_type=entity_type
    ):
        query = query.where(condition)
    return query


def check_request():
    """``before_request``: the module gate (404 when switched off), then the route's
    declared permission."""
    blueprint = request.blueprint
    if blueprint:
        owner = kontor.blueprint_owner.get(blueprint.split(".")[0])
        if owner is not None and not kontor.is_enabled(owner):
            abort(404)
    if request.endpoint is None:
        return None  # no such route: Flask answers 404
    permission = declared_permission(request.endpoint, current_app.view_functions.get(request.endpoint))
    if permission is None:
        log.error("Route %s declares no permission; refused", request.endpoint)
        abort(403)
    if permission == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not has_permission(current_user, permission):
        abort(403)
    return None
