"""Staff pages for tasks: "My tasks", the task form (alone, pre-linked to a record, or once
for many selected records), a task's page, status, deletion, and the category list."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import func, select, update

from core import access, db, has_permission, listing, records, require
from core.forms import form_fields
from core.records import search
from plugins.tasks import service
from plugins.tasks.models import ALERT_LABELS, CLOSED, COLOURS, ICONS, OPEN, Task, TaskCategory
from plugins.tasks.schemas import TaskSchema, local_zone

bp = Blueprint("tasks", __name__, url_prefix="/tasks", template_folder="templates")

FORM_FIELDS = ("title", "category_id", "due_date", "due_time", "alert", "responsible_id", "notify",
               "description")
DEFAULT_TIME = "18:00"
MATCHES_PER_TYPE = 10
MAX_BULK = 1000  # records one bulk action takes (a list page selects at most one page)


# The form


def _next_path(default: str) -> str:
    return access.local_path(request.values.get("next")) or default


def _split_record(value: str) -> tuple[str, int | None]:
    """"contact:12" -> ("contact", 12); anything else -> ("", None)."""
    record_type, _sep, record_id = (value or "").partition(":")
    return (record_type, int(record_id)) if record_type and record_id.isdigit() else ("", None)


def _posted_values() -> dict:
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["notify"] = bool(request.form.get("notify"))
    values["record"] = request.form.get("record", "")
    return values


def _task_values(task: Task) -> dict:
    local = task.due_at.astimezone(local_zone(current_user))
    return {"title": task.title, "category_id": task.category_id or "", "due_date": local.date().isoformat(),
            "due_time": local.strftime("%H:%M"), "alert": task.alert, "responsible_id": task.responsible_id or "",
            "notify": False, "description": task.description,
            "record": f"{task.record_type}:{task.record_id}" if task.record_type else ""}


def _new_values(record: str = "") -> dict:
    return {"title": "", "category_id": "", "due_date": "", "due_time": DEFAULT_TIME, "alert": "1d",
            "responsible_id": current_user.id, "notify": True, "description": "", "record": record}


def _load(values: dict, task: Task | None) -> dict:
    """Validate the form with ``TaskSchema`` (raises ``ValidationError``)."""
    record_type, record_id = _split_record(values.get("record", ""))
    data = {name: values[name] for name in FORM_FIELDS}
    data.update(record_type=record_type, record_id=record_id)
    kept = (task.record_type, task.record_id) if task is not None and task.record_type else None
    return TaskSchema(user=current_user, kept_link=kept).load(data)


def _record_choices(values: dict) -> list[tuple[str, str]]:
    """The linked record the form holds (named only if the user may see it) and, after
    "Find", the records matching the search text: ``(value, label)`` pairs."""
    choices = []
    record_type, record_id = _split_record(values.get("record", ""))
    if record_type:
        declared = records.entity_type(record_type)
        if declared is not None and service.visible_ids(current_user, record_type, [record_id]):
            record = db.session.get(declared.model, record_id)
            choices.append((values["record"], f"{declared.label}: {records.title(declared, record)}"))
    query = request.form.get("record_query", "").strip() if request.method == "POST" else ""
    if query:
        for name in service.task_types():
            statement = search.matching(name, current_user, query, MATCHES_PER_TYPE)
            if statement is None:
                continue
            declared = records.entity_type(name)
            for record in db.session.execute(statement).scalars():
                value = f"{name}:{record.id}"
                if value != values.get("record"):
                    choices.append((value, f"{declared.label}: {records.title(declared, record)}"))
    return choices


def _form_page(values: dict, errors: dict, *, task: Task | None = None, bulk: dict | None = None,
               status: int = 200):
    fields = {f.name: f for f in form_fields(TaskSchema(), values, errors)}
    fields["category_id"].widget = "select"
    fields["category_id"].choices = [(str(c.id), c.name) for c in _categories()]
    fields["responsible_id"].widget = "select"
    fields["responsible_id"].choices = service.responsible_choices()
    fields["alert"].required = True  # it has a default: no empty choice to offer
    record_errors = [*fields.pop("record_type").errors, *fields.pop("record_id").errors]
    return render_template(
        "tasks/form.html", fields=fields, values=values, task=task, bulk=bulk, record_errors=record_errors,
        record_choices=_record_choices(values) if bulk is None else [], record_query=request.form.get(
            "record_query", ""), next=_next_path("")), status


def _handle_form(values: dict, task: Task | None = None):
    """What a POST of the form asks: a preset date or a record search (the form again,
    nothing saved), or saving. ``(data, None)`` when valid to save, else ``(None, errors)``
    with ``errors`` None for "show the form again"."""
    preset = request.form.get("preset", "")
    if preset:
        day = service.preset_date(preset, current_user)
        if day is not None:
            values["due_date"] = day.isoformat()
        return None, None
    if request.form.get("find"):
        return None, None
    try:
        return _load(values, task), None
    except ValidationError as exc:
        return None, exc.messages


# "My tasks"


@bp.get("/")
@require("tasks.view")
def index():
    everyone = request.args.get("scope") == "all"
    sections = service.sections(current_user, everyone=everyone)
    tasks = [task for section in sections.values() for task in section.rows]
    return render_template("tasks/index.html", sections=sections, everyone=everyone,
                           **_row_context(tasks, url_for("tasks.index", **request.args)))


def _row_context(tasks, next_url: str) -> dict:
    """What ``tasks/_macros.html``'s rows need besides the tasks."""
    return {"linked": service.linked_records(tasks, current_user), "names": service.user_names(tasks),
            "categories": {c.id: c for c in _categories()}, "next_url": next_url,
            # Asked once per page, not once per row.
            "may_edit": has_permission(current_user, "tasks.edit"),
            "may_delete": has_permission(current_user, "tasks.delete")}


def render_tab(record_type: str, record) -> str:
    """The "Tasks" tab of a record page and of the customer overview."""
    tasks = service.for_record(record_type, record.id)
    here = access.local_path(request.full_path.rstrip("?")) or url_for("tasks.index")
    return render_template("tasks/_tab.html", tasks=tasks, record_type=record_type, record=record,
                           **_row_context(tasks, here + "#record-panel"))


# One task


@bp.route("/new", methods=["GET", "POST"])
@require("tasks.create")
def new():
    if request.method == "GET":
        record_type, record_id = request.args.get("record_type", ""), request.args.get("record_id", "")
        return _form_page(_new_values(f"{record_type}:{record_id}" if record_type else ""), {})
    values = _posted_values()
    data, errors = _handle_form(values)
    if data is None:
        return _form_page(values, errors or {}, status=400 if errors else 200)
    task = service.save(Task(), data, current_user)
    db.session.commit()
    flash(_("The task \u201c%(title)s\u201d is saved.", title=task.title), "success")
    return redirect(_next_path(url_for("tasks.detail", record_id=task.id)))


@bp.get("/<int:record_id>")
@require("tasks.view")
def detail(record_id: int):
    task = access.get_record_or_404("task", record_id, "tasks.view")
    return render_template("tasks/detail.html", task=task, alert_label=ALERT_LABELS.get(task.alert, ""),
                           **_row_context([task], url_for("tasks.detail", record_id=task.id)))


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@require("tasks.edit")
def edit(record_id: int):
    task = access.get_record_or_404("task", record_id, "tasks.edit")
    if request.method == "GET":
        return _form_page(_task_values(task), {}, task=task)
    values = _posted_values()
    data, errors = _handle_form(values, task)
    if data is None:
        return _form_page(values, errors or {}, task=task, status=400 if errors else 200)
    service.save(task, data, current_user)
    db.session.commit()
    flash(_("The task \u201c%(title)s\u201d is saved.", title=task.title), "success")
    return redirect(_next_path(url_for("tasks.detail", record_id=task.id)))


@bp.post("/<int:record_id>/status")
@require("tasks.edit")
def set_status(record_id: int):
    task = access.get_record_or_404("task", record_id, "tasks.edit")
    status = request.form.get("status", "")
    if status not in (OPEN, CLOSED):
        abort(400)
    service.set_status(task, status, current_user)
    db.session.commit()
    if status == CLOSED:
        flash(_("The task \u201c%(title)s\u201d is closed.", title=task.title), "success")
    else:
        flash(_("The task \u201c%(title)s\u201d is open again.", title=task.title), "success")
    return redirect(_next_path(url_for("tasks.index")))


@bp.route("/<int:record_id>/delete", methods=["GET", "POST"])
@require("tasks.delete")
def delete(record_id: int):
    """GET asks (a page of its own, so it works without JavaScript); POST deletes."""
    task = access.get_record_or_404("task", record_id, "tasks.delete")
    if request.method == "GET":
        return render_template("tasks/delete.html", task=task, next=_next_path(""))
    title = task.title
    service.delete(task, current_user)
    db.session.commit()
    flash(_("The task \u201c%(title)s\u201d is deleted.", title=title), "success")
    return redirect(_next_path(url_for("tasks.index")))


# One task for each of many records (the bulk action of list pages)


@bp.post("/bulk/<entity_type>")
@require("tasks.create")
def bulk(entity_type: str):
    """The list page POSTs the selected ``ids``: that first POST shows the form, which posts
    back here with the ids and its fields; then one task per record is created, all or none."""
    declared = records.entity_type(entity_type)
    if declared is None or entity_type not in service.task_types():
        abort(404)
    ids = list(dict.fromkeys(int(i) for i in request.form.getlist("ids") if i.strip().isdigit()))
    if len(ids) > MAX_BULK:
        return render_template("tasks/bulk_refused.html", back=_next_path(url_for("tasks.index")), message=_(
            "Select at most %(count)d records at once.", count=MAX_BULK)), 400
    visible = service.visible_ids(current_user, entity_type, ids)
    hidden = [i for i in ids if i not in visible]
    back = _next_path(url_for("tasks.index"))
    if not ids or hidden:
        message = (_("Select at least one record.") if not ids else
                   _("%(count)d of the selected records do not exist or you may not see them. No task was "
                     "created.", count=len(hidden)))
        return render_template("tasks/bulk_refused.html", message=message, back=back), 400
    shown = db.session.execute(select(declared.model).where(declared.model.id.in_(ids))).scalars().all()
    info = {"entity_type": entity_type, "declared": declared, "ids": ids,
            "titles": sorted(records.title(declared, r) for r in shown)}
    if "title" not in request.form:  # from the list page: the form, empty
        return _form_page(_new_values(), {}, bulk=info)
    values = _posted_values()
    values["record"] = ""
    data, errors = _handle_form(values)
    if data is None:
        return _form_page(values, errors or {}, bulk=info, status=400 if errors else 200)
    tasks = service.create_for_each(data, entity_type, ids, current_user)
    db.session.commit()
    flash(_("%(count)d tasks \u201c%(title)s\u201d are created.", count=len(tasks), title=data["title"]),
          "success")
    return redirect(_next_path(url_for("tasks.index")))


# Categories (module admins)


def _categories() -> list[TaskCategory]:
    return db.session.execute(select(TaskCategory).order_by(TaskCategory.position, TaskCategory.name)).scalars().all()


@bp.route("/categories", methods=["GET", "POST"])
@require("tasks.admin")
def categories():
    if request.method == "POST":
        _change_category()
        return redirect(url_for("tasks.categories"))
    return render_template("tasks/categories.html", categories=_categories(), colours=COLOURS, icons=ICONS)


def _change_category() -> None:
    """One form per operation: ``op`` is add, change, up, down or delete."""
    op = request.form.get("op", "")
    name = request.form.get("name", "").strip()
    colour, icon = request.form.get("colour", "secondary"), request.form.get("icon", "")
    category = db.session.get(TaskCategory, request.form.get("id", type=int) or 0)
    if op in ("add", "change"):
        taken = db.session.scalar(select(TaskCategory.id).where(
            TaskCategory.name == name, TaskCategory.id != (category.id if category else 0)))
        if op == "change" and category is None:
            abort(404)
        if not name or len(name) > 100 or taken:
            flash(_("Enter a name of at most 100 characters that no other category has."), "danger")
            return
        if colour not in COLOURS or icon not in ICONS:
            flash(_("Choose one of the offered colours and icons."), "danger")
            return
        if op == "add":
            position = (db.session.scalar(select(func.max(TaskCategory.position))) or 0) + 1
            db.session.add(TaskCategory(name=name, colour=colour, icon=icon, position=position))
            flash(_("The category \u201c%(name)s\u201d is added.", name=name), "success")
        else:
            category.name, category.colour, category.icon = name, colour, icon
            flash(_("The category \u201c%(name)s\u201d is saved.", name=name), "success")
    elif category is None:
        abort(404)
    elif op in ("up", "down"):
        listing.move(_categories(), category, op)
    elif op == "delete":
        # Its tasks keep going without a category (SQLite enforces no ON DELETE SET NULL).
        db.session.execute(update(Task).where(Task.category_id == category.id).values(category_id=None))
        db.session.delete(category)
        flash(_("The category \u201c%(name)s\u201d is deleted; its tasks have no category now.",
                name=category.name), "success")
    else:
        abort(400)
    db.session.commit()
