"""Tasks: something to do by a due time, for a responsible user, optionally about one record
of any entity type (``record_type``/``record_id``: a contact now, deals and projects later)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import TimestampMixin, UTCDateTime, db

OPEN = "open"
CLOSED = "closed"
STATUSES = (OPEN, CLOSED)

# How long before the due time the responsible user is reminded; "never": no reminder.
ALERTS = {
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "1d": timedelta(days=1),
    "never": None,
}
ALERT_LABELS = {
    "5m": _l("5 minutes before"),
    "15m": _l("15 minutes before"),
    "30m": _l("30 minutes before"),
    "1h": _l("1 hour before"),
    "2h": _l("2 hours before"),
    "1d": _l("1 day before"),
    "never": _l("Never"),
}
DEFAULT_ALERT = "1d"

# Category colours are Bootstrap's colour names (the page's CSP allows no inline styles).
COLOURS = {
    "secondary": _l("Grey"),
    "primary": _l("Blue"),
    "info": _l("Cyan"),
    "success": _l("Green"),
    "warning": _l("Yellow"),
    "danger": _l("Red"),
    "dark": _l("Black"),
}
# Bootstrap Icons names offered for categories ("" for none).
ICONS = {
    "": _l("No icon"),
    "telephone": _l("Telephone"),
    "envelope": _l("Envelope"),
    "people": _l("People"),
    "calendar-event": _l("Calendar"),
    "briefcase": _l("Briefcase"),
    "cart": _l("Cart"),
    "check2-square": _l("Check box"),
    "flag": _l("Flag"),
}


class TaskCategory(db.Model):
    """An admin-managed kind of task ("Anruf", "Besuch", ...) with a colour and an icon."""

    __tablename__ = "tasks_category"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    colour: Mapped[str] = mapped_column(String(20), default="secondary")
    icon: Mapped[str] = mapped_column(String(50), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Task(TimestampMixin, db.Model):
    __tablename__ = "tasks_task"
    __table_args__ = (
        Index("ix_tasks_task_record", "record_type", "record_id"),
        # "My tasks": one user's open (or closed) tasks by due time.
        Index("ix_tasks_task_responsible", "responsible_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("tasks_category.id", ondelete="SET NULL"),
                                                    index=True)
    # The record the task is about, of any entity type; "" and None: none.
    record_type: Mapped[str] = mapped_column(String(100), default="")
    record_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alert: Mapped[str] = mapped_column(String(10), default=DEFAULT_ALERT)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))

    @property
    def is_open(self) -> bool:
        return self.status == OPEN
