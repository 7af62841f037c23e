"""Workspace pages every signed-in user has: home, global search, notifications, job
status; and the language switch of the workspace and the portal."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import portal
from core.access import USE_WORKSPACE, has_permission, local_path, public, require, usable_modules
from core.db import db
from core.i18n import LANGUAGES
from core.models import JobRun
from core.records import notifications
from core.runtime import kontor

bp = Blueprint("workspace", __name__)


@bp.get("/")
@require(USE_WORKSPACE)
def home():
    usable = usable_modules(current_user, kontor.enabled)
    return render_template("core/home.html", modules=[m for m in kontor.modules if m.name in usable])


@bp.get("/search")
@require(USE_WORKSPACE)
def search():
    query = request.args.get("q", "").strip()[:200]
    results = kontor.hook("search", user=current_user, query=query, limit=20) if query else []
    groups: dict[str, list] = {}
    for result in results:
        groups.setdefault(result.entity_type, []).append(result)
    return render_template("core/search.html", query=query, groups=groups)


@bp.app_context_processor
def _notification_context():
    # A function, so the COUNT runs only where base.html shows the bell (signed-in pages).
    return {"unread_notifications": lambda: notifications.unread_count(current_user)}


@bp.get("/notifications")
@require(USE_WORKSPACE)
def notifications_page():
    return render_template("core/notifications.html", notifications=notifications.latest(current_user))


@bp.post("/notifications/<int:notification_id>/read")
@require(USE_WORKSPACE)
def notification_read(notification_id: int):
    """Mark one notification read and open what it is about (its link, else the list)."""
    from core.records.models import Notification

    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    notifications.mark_read(current_user, notification_id)
    db.session.commit()
    target = notification.url if request.form.get("open") else ""
    return redirect(local_path(target) or url_for("workspace.notifications_page"))


@bp.post("/notifications/read")
@require(USE_WORKSPACE)
def notifications_read_all():
    notifications.mark_read(current_user)
    db.session.commit()
    flash(_("All notifications are marked read."), "success")
    return redirect(url_for("workspace.notifications_page"))


@bp.post("/language")
@public
def language():
    chosen = request.form.get("language")
    if chosen not in LANGUAGES:
        abort(400)
    session["language"] = chosen
    if current_user.is_authenticated:
        current_user.language = chosen
    account = portal.current_account()
    if account is not None and portal.impersonator() is None:
        account.language = chosen  # so the customer's emails come in it too
    db.session.commit()
    target = request.form.get("next") or ""
    return redirect(local_path(target) or url_for("workspace.home"))


@bp.get("/jobs/<int:run_id>")
@require(USE_WORKSPACE)
def job_status(run_id: int):
    """Progress of a job, for the user who started it (and admins)."""
    run = db.session.get(JobRun, run_id)
    if run is None or (run.user_id != current_user.id and not has_permission(current_user, "core.admin")):
        abort(404)
    data = {"id": run.id, "name": run.name, "state": run.state, "progress": run.progress,
            "total": run.total, "percent": run.percent, "message": run.message, "result": run.result,
            "error": _("The job failed.") if run.state == "failed" else ""}
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(data)
    return render_template("core/job.html", run=run)


