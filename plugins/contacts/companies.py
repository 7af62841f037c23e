"""A person's company, named by text (the contact form, the web form): the existing company
of that exact name, or a new one. One rule, so a name typed twice makes one company."""
from __future__ import annotations

from sqlalchemy import select

from core import access, db
from plugins.contacts.models import COMPANY, Contact


def find(name: str, user=None) -> Contact | None:
    """The company called exactly ``name`` (among those ``user`` may see, when given), if
    there is exactly one. The exact name is served by the name index at any table size."""
    query = select(Contact).where(Contact.kind == COMPANY, Contact.name == name.strip()).limit(2)
    if user is not None:
        query = access.filter_query(query, user, "contacts.view", "contact")
    found = db.session.execute(query).scalars().all()
    return found[0] if len(found) == 1 else None


def find_or_create(name: str, access_mode: str, currency: str, managers: list[int], user=None,
                   actor=None) -> tuple[Contact, bool]:
    """``(company, created)``: the company ``find`` gives, or a new one with ``managers``
    (notified by ``set_members``). The caller commits."""
    company = find(name, user)
    if company is not None:
        return company, False
    company = Contact(kind=COMPANY, name=name.strip(), access_mode=access_mode, currency=currency)
    db.session.add(company)
    db.session.flush()
    access.set_members("contact", company, managers, actor=actor)
    return company, True
