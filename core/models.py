"""The core's own tables: module switches and access, permission grants, record access,
the audit log, settings, the change counter, jobs, outbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow


class Revision(db.Model):
    """One row whose counter goes up whenever module switches or settings change, so every
    process notices at its next request with one cheap query."""

    __tablename__ = "core_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counter: Mapped[int] = mapped_column(Integer, default=0)


class ModuleState(db.Model):
    __tablename__ = "core_module_state"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    # Only the users and groups granted access (ModuleGrant kind "access") may use it.
    restricted: Mapped[bool] = mapped_column(default=False)


class ModuleGrant(db.Model):
    """A user or a group granted something on a module: ``access`` (when the module is
    restricted) or ``admin`` (module admin: reads and moderates everything in it)."""

    __tablename__ = "core_module_grant"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="one_grantee"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # access | admin
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("core_group.id", ondelete="CASCADE"), index=True)


class PermissionGrant(db.Model):
    """A permission granted beyond its defaults: to a role, or to a group."""

    __tablename__ = "core_permission_grant"
    __table_args__ = (CheckConstraint("(role IS NULL) <> (group_id IS NULL)", name="one_grantee"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    permission: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("core_group.id", ondelete="CASCADE"), index=True)


class RecordMember(db.Model):
    """A user on a record's list: its managers (private records) or the users a restricted
    record is shared with. Looked up inside every list query, hence the covering index."""

    __tablename__ = "core_record_member"
    __table_args__ = (Index("ix_core_record_member_lookup", "entity_type", "user_id", "record_id", unique=True),
                      Index("ix_core_record_member_record", "entity_type", "record_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))


class AuditEntry(db.Model):
    """A security event: sign-ins, password and 2FA changes, impersonation, permission,
    module access and module switch changes. Only ever added to."""

    __tablename__ = "core_audit_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    portal_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_portal_account.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")  # who or what it was about, as text
    ip: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class SettingValue(db.Model):
    __tablename__ = "core_setting"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[object | None] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class JobRun(db.Model):
    """One enqueued job: who started it, where it stands, what came out."""

    __tablename__ = "core_job_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued running done failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[object | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == "done" else None
        return min(100, int(self.progress * 100 / self.total))


class OutboxMessage(db.Model):
    """Every outgoing email. Without SMTP it stays here for admins to read."""

    __tablename__ = "core_outbox_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)  # queued outbox sent failed
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attachments: Mapped[list["OutboxAttachment"]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )


class OutboxAttachment(db.Model):
    __tablename__ = "core_outbox_attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("core_outbox_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
