"""Tables of the record services. Every row names its record by ``entity_type`` (the
``EntityType`` name) and ``record_id``, so one table serves every entity type."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow

# JSONB on PostgreSQL (indexable, containment operators), JSON text on SQLite.
JSONValue = JSON().with_variant(JSONB(), "postgresql")


class CustomFieldsMixin:
    """The column an entity type with ``custom_fields=True`` needs: every custom value of
    the record, by field key."""

    custom: Mapped[dict] = mapped_column(JSONValue, default=dict)


class FieldDefinition(db.Model):
    """An admin-defined custom field of one entity type."""

    __tablename__ = "core_field_definition"
    __table_args__ = (UniqueConstraint("entity_type", "key", name="uq_core_field_definition_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    required: Mapped[bool] = mapped_column(default=False)
    default: Mapped[object | None] = mapped_column(JSON)
    help: Mapped[str] = mapped_column(Text, default="")
    choices: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    section: Mapped[str] = mapped_column(String(200), default="")  # a heading above the field
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(db.Model):
    __tablename__ = "core_tag"
    __table_args__ = (UniqueConstraint("entity_type", "name", name="uq_core_tag_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))


class TagLink(db.Model):
    __tablename__ = "core_tag_link"
    __table_args__ = (Index("ix_core_tag_link_record", "record_id", "tag_id"),)
    tag_id: Mapped[int] = mapped_column(ForeignKey("core_tag.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Note(db.Model):
    """A private note on a record: staff only, never shown in the portal."""

    __tablename__ = "core_note"
    __table_args__ = (Index("ix_core_note_record", "entity_type", "record_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredFile(db.Model):
    """A file attached to a record; its bytes live under FILES_PATH as ``storage_name``."""

    __tablename__ = "core_file"
    __table_args__ = (Index("ix_core_file_record", "entity_type", "record_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HistoryCategory(db.Model):
    """A category of history events (call, meeting, ...), managed by admins."""

    __tablename__ = "core_history_category"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TimelineEvent(db.Model):
    """One entry of a record's timeline, and of the audit trail: who did what, when, with
    the changed fields' old and new values."""

    __tablename__ = "core_timeline_event"
    __table_args__ = (Index("ix_core_timeline_event_record", "entity_type", "record_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(Integer)
    # created updated deleted status_changed converted linked note_added file_added manual ...
    action: Mapped[str] = mapped_column(String(50), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("core_history_category.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> [old, new]


class RecordLink(db.Model):
    """Two records linked, e.g. by a "create from" conversion; shown on both sides."""

    __tablename__ = "core_record_link"
    __table_args__ = (Index("ix_core_record_link_source", "source_type", "source_id"),
                      Index("ix_core_record_link_target", "target_type", "target_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_type: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[int] = mapped_column(Integer)
    target_type: Mapped[str] = mapped_column(String(100))
    target_id: Mapped[int] = mapped_column(Integer)
    conversion: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(db.Model):
    __tablename__ = "core_reminder"
    __table_args__ = (Index("ix_core_reminder_due", "state", "due_at"),
                      Index("ix_core_reminder_record", "entity_type", "record_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text)
    email: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending delivered
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """An in-app notification (the bell): reminders, "you were added to", "assigned to you"."""

    __tablename__ = "core_notification"
    __table_args__ = (Index("ix_core_notification_user", "user_id", "read_at", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
