"""Admin pages: modules, settings, outbox, jobs."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from core import settings as settings_service
from core.access import require
from core.db import db
from core.forms import form_fields
from core.listing import paginate
from core.models import JobRun, OutboxAttachment, OutboxMessage
from core.modules import ModuleError, set_enabled
from core.runtime import kontor

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/modules")
@require("core.admin")
def modules():
    infos = sorted(kontor.plugins.plugins.values(),
                   key=lambda p: (p.status != "loaded", not (p.module and p.module.essential), p.name))
    return render_template("core/admin/modules.html", plugins=infos)


@bp.post("/modules/<name>")
@require("core.admin")
def switch_module(name: str):
    enable = request.form.get("enabled") == "1"
    try:
        set_enabled(name, enable, current_user)
    except ModuleError as exc:
        flash(str(exc), "danger")
    else:
        module = kontor.module(name)
        flash((_("%(module)s is switched on.") if enable else _("%(module)s is switched off."))
              % {"module": module.label}, "success")
    return redirect(url_for("admin.modules"))


def _settings_modules():
    with_settings = {s.module for s in settings_service.declared()}
    return [m for m in kontor.modules if m.name in with_settings]


@bp.get("/settings")
@require("core.admin")
def settings():
    pages = _settings_modules()
    if not pages:
        return render_template("core/admin/settings.html", pages=[], module=None, fields=[])
    return redirect(url_for("admin.module_settings", module=pages[0].name))


@bp.route("/settings/<module>", methods=["GET", "POST"])
@require("core.admin")
def module_settings(module: str):
    declared = settings_service.declared(module)
    if not declared:
        abort(404)
    schema = settings_service.schema_for(module)
    errors: dict = {}
    keys = {s.name: settings_service.field_name(s) for s in declared}
    values = {keys[s.name]: settings_service.get(s.name) for s in declared}
    if request.method == "POST":
        values = {keys[s.name]: request.form.get(keys[s.name]) for s in declared}
        try:
            settings_service.save(module, request.form)
        except ValidationError as exc:
            errors = exc.messages
            flash(_("Please correct the marked fields."), "danger")
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("admin.module_settings", module=module))
    secrets = {keys[s.name]: settings_service.masked(settings_service.get(s.name))
               for s in declared if s.type == "secret"}
    for name in secrets:
        values[name] = ""
    return render_template("core/admin/settings.html", pages=_settings_modules(), module=kontor.module(module),
                           fields=form_fields(schema, values, errors), secrets=secrets), (400 if errors else 200)


@bp.get("/outbox")
@require("core.admin")
def outbox():
    page = paginate(select(OutboxMessage), OutboxMessage,
                    {"created_at": OutboxMessage.created_at, "subject": OutboxMessage.subject,
                     "state": OutboxMessage.state},
                    request.args.get("sort", "created_at"), request.args.get("dir", "desc"),
                    request.args.get("after"), settings_service.get("core.page_size"))
    return render_template("core/admin/outbox.html", page=page)


@bp.get("/outbox/<int:message_id>")
@require("core.admin")
def outbox_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return render_template("core/admin/outbox_message.html", message=message)


@bp.get("/outbox/attachment/<int:attachment_id>")
@require("core.admin")
def outbox_attachment(attachment_id: int):
    attachment = db.session.get(OutboxAttachment, attachment_id)
    if attachment is None:
        abort(404)
    return send_file(io.BytesIO(attachment.data), mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename)


@bp.get("/jobs")
@require("core.admin")
def jobs():
    page = paginate(select(JobRun), JobRun, {"created_at": JobRun.created_at, "name": JobRun.name,
                                             "state": JobRun.state},
                    request.args.get("sort", "created_at"), request.args.get("dir", "desc"),
                    request.args.get("after"), settings_service.get("core.page_size"))
    return render_template("core/admin/jobs.html", page=page)
