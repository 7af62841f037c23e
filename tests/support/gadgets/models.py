from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from core import RecordAccessMixin, TimestampMixin, db
from core.records.models import CustomFieldsMixin


class Gadget(RecordAccessMixin, CustomFieldsMixin, TimestampMixin, db.Model):
    __tablename__ = "gadgets_gadget"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="new")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))


class Widget(TimestampMixin, db.Model):
    __tablename__ = "gadgets_widget"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer, default=1)


class Sprocket(TimestampMixin, db.Model):
    __tablename__ = "gadgets_sprocket"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20))
