"""Accounts: staff users, groups, and the customer portal's accounts."""
from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import TimestampMixin, UTCDateTime, db


def _hasher() -> PasswordHasher:
    # argon2's defaults; tests set PASSWORD_HASH_PARAMS to cheaper ones to stay fast.
    return PasswordHasher(**current_app.config.get("PASSWORD_HASH_PARAMS", {}))


class PasswordMixin:
    """An argon2 password hash, and the counter that ends every session at once."""

    password_hash: Mapped[str] = mapped_column(String(200), default="")
    # Bumped to end every session of this account at once (password change, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher().hash(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        try:
            return _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


group_member = Table(
    "core_group_member",
    db.metadata,
    Column("group_id", ForeignKey("core_group.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, PasswordMixin, TimestampMixin, db.Model):
    """A staff user. ``role`` is ``owner`` (full admin) or ``user``; module admin rights
    are granted per module (``core.models.ModuleGrant``)."""

    __tablename__ = "core_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="user")  # owner | user
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    # Two-factor login: the TOTP secret once confirmed, and hashes of unused recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # the time step of the last code used
    recovery_codes: Mapped[list] = mapped_column(JSON, default=list)
    groups: Mapped[list["Group"]] = relationship(secondary=group_member, back_populates="members",
                                                 order_by="Group.name")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class Group(TimestampMixin, db.Model):
    __tablename__ = "core_group"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    members: Mapped[list[User]] = relationship(secondary=group_member, back_populates="groups",
                                               order_by="User.name")


class PortalAccount(PasswordMixin, TimestampMixin, db.Model):
    """A customer's login to the portal. It belongs to one customer record: a record of an
    entity type marked ``customer=True`` (``customer_type`` names it)."""

    __tablename__ = "core_portal_account"
    __table_args__ = (UniqueConstraint("email", name="uq_core_portal_account_email"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    customer_type: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(Integer, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
