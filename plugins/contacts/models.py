"""Contacts: persons and companies in one table, so lists, search, import and the customer
overview deal with one kind of row. A person may belong to a company (``company_id``)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from core import RecordAccessMixin, TimestampMixin, db
from core.db import UTCDateTime
from core.records.models import CustomFieldsMixin

PERSON = "person"
COMPANY = "company"
KINDS = (PERSON, COMPANY)


class ContactType(db.Model):
    """An admin-managed list entry ("Kunde", "Lieferant", ...); no type means "not specified"."""

    __tablename__ = "contacts_type"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Temperature(db.Model):
    """How warm a contact is ("kalt", "warm", "heiß"): an admin-managed list with a colour."""

    __tablename__ = "contacts_temperature"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(7), default="#6c757d")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Contact(RecordAccessMixin, CustomFieldsMixin, TimestampMixin, db.Model):
    __tablename__ = "contacts_contact"
    __table_args__ = (
        Index("ix_contacts_contact_name_id", "name", "id"),
        Index("ix_contacts_contact_created_id", "created_at", "id"),
        # The list filtered by type or temperature, in either sort order: the rows come in
        # order from the index, however common or rare the value (see benchmarks/contact_list.py).
        Index("ix_contacts_contact_type_name", "type_id", "name", "id"),
        Index("ix_contacts_contact_type_created", "type_id", "created_at", "id"),
        Index("ix_contacts_contact_temperature_name", "temperature_id", "name", "id"),
        Index("ix_contacts_contact_temperature_created", "temperature_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default=PERSON)
    # The sort and display name: the company's name, or "First Last" for a person.
    name: Mapped[str] = mapped_column(String(300))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts_contact.id", ondelete="SET NULL"), index=True)
    type_id: Mapped[int | None] = mapped_column(ForeignKey("contacts_type.id", ondelete="SET NULL"))
    temperature_id: Mapped[int | None] = mapped_column(ForeignKey("contacts_temperature.id", ondelete="SET NULL"))
    # The first email and phone, lower-cased / E.164, for duplicate checks and quick search;
    # all of them, typed, in ``emails`` and ``phones`` (lists of {"kind", "value"}).
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    emails: Mapped[list] = mapped_column(JSON, default=list)
    phones: Mapped[list] = mapped_column(JSON, default=list)
    websites: Mapped[list] = mapped_column(JSON, default=list)
    billing_street: Mapped[str] = mapped_column(String(200), default="")
    billing_postcode: Mapped[str] = mapped_column(String(20), default="")
    billing_city: Mapped[str] = mapped_column(String(100), default="")
    billing_country: Mapped[str] = mapped_column(String(2), default="")
    shipping_street: Mapped[str] = mapped_column(String(200), default="")
    shipping_postcode: Mapped[str] = mapped_column(String(20), default="")
    shipping_city: Mapped[str] = mapped_column(String(100), default="")
    shipping_country: Mapped[str] = mapped_column(String(2), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    # The resized photo itself (a few kB): deferred, so lists never load it.
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_type: Mapped[str] = mapped_column(String(20), default="")
    # The CSV import that created the contact, for resuming and reverting it.
    import_id: Mapped[int | None] = mapped_column(Integer, index=True)

    @property
    def is_company(self) -> bool:
        return self.kind == COMPANY

    @hybrid_property
    def is_customer(self) -> bool:
        """Companies, and persons without a company, are customers (portal, overview)."""
        return self.kind == COMPANY or self.company_id is None

    @is_customer.inplace.expression
    @classmethod
    def _is_customer_expression(cls):
        return or_(cls.kind == COMPANY, cls.company_id.is_(None))


def display_name(kind: str, name: str, first_name: str, last_name: str) -> str:
    """The ``name`` column's value; one rule for forms, imports and merges."""
    if kind == COMPANY:
        return name.strip()
    return " ".join(part for part in (first_name.strip(), last_name.strip()) if part)


class ContactImport(TimestampMixin, db.Model):
    """One CSV import: the uploaded file (kept in the instance folder until the import is
    reverted or removed), how its columns map to contact fields, and how far it got. Rows are
    committed in batches together with ``rows_done``, so a crashed import resumes after the
    last committed batch without creating duplicates."""

    __tablename__ = "contacts_import"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))
    encoding: Mapped[str] = mapped_column(String(20), default="utf-8")
    delimiter: Mapped[str] = mapped_column(String(1), default=",")
    # {column index (as text): target}, the target being a schema field, "cf_<key>" or "tags".
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    # "skip", "update" or "create": what a row matching an existing contact does.
    duplicates: Mapped[str] = mapped_column(String(10), default="skip")
    dry_run: Mapped[bool] = mapped_column(default=False)
    # uploaded, queued, running, done, failed, reverting, reverted
    status: Mapped[str] = mapped_column(String(10), default="uploaded")
    # The language of the user who started it: the error report is written in it.
    language: Mapped[str] = mapped_column(String(10), default="de")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    # created_count counts the rows that became contacts; company_count the companies the
    # import created for persons' company names (not counted in created_count).
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    company_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # A revert keeps the created contacts that were changed since; how many it kept.
    kept_count: Mapped[int] = mapped_column(Integer, default=0)
    job_run_id: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportRowError(db.Model):
    """One reason a row was not imported ("error"), or a note on a row that matched an
    existing contact ("duplicate"), for the downloadable report."""

    __tablename__ = "contacts_import_error"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("contacts_import.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="error")
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(500))


class ImportChange(db.Model):
    """A contact an import updated, with its values before, so a revert can restore them."""

    __tablename__ = "contacts_import_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("contacts_import.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict] = mapped_column(JSON)


class WebForm(TimestampMixin, db.Model):
    """A contact form for the company's website: a hosted page and an embeddable snippet.
    A valid submission creates a contact and notifies the form's managers."""

    __tablename__ = "contacts_webform"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unguessable part of the public URL.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The inputs in order: [{"field": a name of webforms.STANDARD_FIELDS or "cf_<key>", "required": bool}]
    fields: Mapped[list] = mapped_column(JSON, default=list)
    consent_text: Mapped[str] = mapped_column(Text, default="")
    thank_you: Mapped[str] = mapped_column(Text, default="")
    redirect_url: Mapped[str] = mapped_column(String(2000), default="")
    manager_ids: Mapped[list] = mapped_column(JSON, default=list)
    tags: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
