"""The one rule of what a valid task is: the task form, the bulk form and any later API load
through ``TaskSchema``."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validates_schema
from sqlalchemy import select

from core import access, db
from core.forms import length, one_of
from core.i18n import DEFAULT_TIMEZONE
from plugins.tasks.models import ALERT_LABELS, ALERTS, DEFAULT_ALERT, TaskCategory

CHOOSE = _l("Choose one of the offered values.")
OPTIONAL_NUMBERS = ("category_id", "record_id")
REQUIRED = ("title", "due_date", "due_time", "responsible_id")


def _messages(required, invalid=None):
    messages = {"required": required, "null": required}
    if invalid is not None:
        messages["invalid"] = invalid
    return messages


def local_zone(user) -> ZoneInfo:
    """The user's time zone (the default one for an unknown name)."""
    try:
        return ZoneInfo(getattr(user, "timezone", None) or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


class TaskSchema(Schema):
    """A task as its form sends it: the due date and time are in ``user``'s time zone and
    load as ``due_at`` in UTC. ``user`` is who saves it: a linked record must be one they
    may see, of an entity type that has tasks (``task_entity_types``), unless it is the
    ``kept_link`` ``(record_type, record_id)`` the task had already (a task given to someone
    who may not see its contact stays theirs to change)."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=length(1, 200), metadata={"label": _l("Title")},
                          error_messages=_messages(_l("Enter a title.")))
    category_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Category")},
                                 error_messages=_messages(CHOOSE, CHOOSE))
    record_type = fields.String(load_default="", metadata={"label": _l("Linked record")})
    record_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": _l("Linked record")},
                               error_messages=_messages(CHOOSE, CHOOSE))
    due_date = fields.Date(required=True, metadata={"label": _l("Due date"), "widget": "date"},
                           error_messages=_messages(_l("Enter the due date."),
                                                    _l("Enter a date, e.g. 2026-03-31.")))
    due_time = fields.Time(required=True, metadata={"label": _l("Due time"), "widget": "time"},
                           error_messages=_messages(_l("Enter the due time."), _l("Enter a time, e.g. 14:30.")))
    alert = fields.String(load_default=DEFAULT_ALERT, validate=one_of(list(ALERTS), list(ALERT_LABELS.values())),
                          metadata={"label": _l("Alert")}, error_messages=_messages(CHOOSE))
    responsible_id = fields.Integer(required=True, metadata={"label": _l("Responsible")},
                                    error_messages=_messages(_l("Choose who is responsible."), CHOOSE))
    notify = fields.Boolean(load_default=False, metadata={"label": _l("Notify the responsible user")})
    description = fields.String(load_default="", validate=length(maximum=10000),
                                metadata={"label": _l("Description"), "widget": "textarea"})

    # Shown by the timeline for changes of the stored columns.
    due_at = fields.AwareDateTime(dump_only=True, metadata={"label": _l("Due")})
    status = fields.String(dump_only=True, metadata={"label": _l("Status")})
    closed_at = fields.AwareDateTime(dump_only=True, metadata={"label": _l("Closed")})

    def __init__(self, *args, user=None, kept_link=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.kept_link = user, kept_link

    @pre_load
    def empty_is_none(self, data, **kwargs):
        """An empty optional select means "none"; an empty required field is a missing one
        (so its message says what to enter)."""
        data = dict(data)
        for key in OPTIONAL_NUMBERS:
            if isinstance(data.get(key), str) and not data[key].strip():
                data[key] = None
        if isinstance(data.get("title"), str):
            data["title"] = data["title"].strip()
        for key in (*REQUIRED, "alert"):
            if data.get(key) in ("", None):
                data.pop(key, None)
        return data

    @validates_schema(skip_on_field_errors=False)
    def check_references(self, data, **kwargs):
        errors = {}
        category_id = data.get("category_id")
        if category_id is not None and db.session.get(TaskCategory, category_id) is None:
            errors["category_id"] = [CHOOSE]
        if data.get("responsible_id") is not None and not _may_be_responsible(data["responsible_id"]):
            errors["responsible_id"] = [_l("Choose a user who may see tasks.")]
        message = self._record_error(data.get("record_type") or "", data.get("record_id"))
        if message:
            errors["record_id"] = [message]
        if errors:
            raise ValidationError(errors)

    def _record_error(self, record_type: str, record_id: int | None):
        if not record_type and record_id is None:
            return None
        if not record_type or record_id is None:
            return CHOOSE
        if self.kept_link == (record_type, record_id):
            return None
        from core.records import entity_type
        from plugins.tasks.service import task_types

        if entity_type(record_type) is None or record_type not in task_types():
            return CHOOSE
        if self.user is None or not visible_ids(self.user, record_type, [record_id]):
            return _l("The linked record does not exist or you may not see it.")
        return None

    @post_load
    def due_in_utc(self, data, **kwargs):
        local = datetime.combine(data.pop("due_date"), data.pop("due_time").replace(tzinfo=None))
        data["due_at"] = local.replace(tzinfo=local_zone(self.user)).astimezone(timezone.utc)
        data["record_type"] = data.get("record_type") or ""
        return data


def _may_be_responsible(user_id: int) -> bool:
    from core.auth.models import User

    user = db.session.get(User, user_id)
    return user is not None and user.active and access.has_permission(user, "tasks.view")


def visible_ids(user, record_type: str, ids) -> set[int]:
    """Those of ``ids`` that ``user`` may see among ``record_type``'s records (in SQL, with
    the type's view permission and record access)."""
    from core.records import entity_type

    declared = entity_type(record_type)
    ids = {int(i) for i in ids}
    if declared is None or declared.view_permission is None or not ids:
        return set()
    model = declared.model
    query = access.filter_query(select(model.id).where(model.id.in_(ids)), user, declared.view_permission,
                                record_type)
    return set(db.session.execute(query).scalars())
