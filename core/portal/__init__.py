"""The customer portal: who is signed in, and the scope of every portal query.

A portal account signs in under ``/portal/login``; its id and session counter live in the
session beside (never instead of) a staff login. Staff with ``core.login_as_customer`` can
open the portal as one account sees it ("login as customer"): then ``current_account()`` is
that account and ``impersonator()`` the staff user.
"""
from __future__ import annotations

from flask import g, session
from flask_login import current_user
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db
from core.runtime import kontor

SESSION_KEY = "portal_account"
IMPERSONATION_KEY = "portal_impersonation"


def current_account():
    """The portal account this request acts as, or ``None``."""
    if "kontor_portal_account" not in g:
        g.kontor_portal_account = _load()
    return g.kontor_portal_account


def _load():
    from core.access import has_permission
    from core.auth.models import PortalAccount

    impersonated = session.get(IMPERSONATION_KEY)
    if impersonated is not None:
        # Re-checked every request: staff who lose the permission lose the customer's view.
        if current_user.is_authenticated and has_permission(current_user, "core.login_as_customer"):
            account = db.session.get(PortalAccount, impersonated)
            if account is not None and account.active:
                return account
        session.pop(IMPERSONATION_KEY, None)
    value = session.get(SESSION_KEY, "")
    account_id, _, version = str(value).partition(":")
    if not account_id.isdigit():
        return None
    account = db.session.get(PortalAccount, int(account_id))
    if account is None or not account.active or str(account.session_version) != version:
        session.pop(SESSION_KEY, None)  # deactivated, or password changed elsewhere
        return None
    return account


def impersonator():
    """The staff user looking at the portal as a customer, or ``None``."""
    if session.get(IMPERSONATION_KEY) is not None and current_account() is not None and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def sign_in(account) -> None:
    session[SESSION_KEY] = f"{account.id}:{account.session_version}"
    session.pop(IMPERSONATION_KEY, None)
    g.kontor_portal_account = account


def sign_out() -> None:
    session.pop(SESSION_KEY, None)
    session.pop(IMPERSONATION_KEY, None)
    g.pop("kontor_portal_account", None)


def start_impersonation(account) -> None:
    session[IMPERSONATION_KEY] = account.id
    g.kontor_portal_account = account


def end_impersonation() -> None:
    session.pop(IMPERSONATION_KEY, None)
    g.pop("kontor_portal_account", None)


def customer_entity_types() -> dict:
    """The entity types marked as customers, of enabled modules: ``{name: EntityType}``."""
    return {name: et for name, (module, et) in kontor.entity_types().items()
            if et.customer and kontor.is_enabled(module)}


def is_customer(record) -> bool:
    """Whether ``record`` (of a customer type) is a customer. A type whose records are not all
    customers says which are with an ``is_customer`` hybrid property on its model (Python and
    SQL, see ``customer_condition``); without one, every record is."""
    return bool(getattr(record, "is_customer", True))


def customer_condition(declared):
    """The SQL condition for the records of the customer type ``declared`` that are
    customers, or ``None`` when all are."""
    return getattr(declared.model, "is_customer", None)


def customer_of(account):
    """The customer record ``account`` belongs to, or ``None``."""
    declared = customer_entity_types().get(account.customer_type)
    return None if declared is None else db.session.get(declared.model, account.customer_id)


def customer_names(accounts) -> dict[tuple[str, int], str]:
    """``{(customer_type, customer_id): name}`` for the customers of ``accounts``: one query
    per customer type, for lists of accounts."""
    from core.records import title

    wanted: dict[str, set[int]] = {}
    for account in accounts:
        wanted.setdefault(account.customer_type, set()).add(account.customer_id)
    names = {}
    for name, ids in wanted.items():
        declared = customer_entity_types().get(name)
        if declared is None:
            continue
        for record in db.session.execute(select(declared.model).where(declared.model.id.in_(ids))).scalars():
            names[(name, record.id)] = title(declared, record)
    return names


def portal_scope(query, account):
    """Limit ``query`` (a ``select`` of one model) to ``account``'s own customer: the
    customer record itself, or rows whose ``customer_type``/``customer_id`` name it."""
    model = query.column_descriptions[0]["entity"]
    declared = customer_entity_types().get(account.customer_type)
    if declared is not None and model is declared.model:
        return query.where(model.id == account.customer_id)
    if hasattr(model, "customer_type") and hasattr(model, "customer_id"):
        return query.where(model.customer_type == account.customer_type, model.customer_id == account.customer_id)
    raise TypeError(f"{model.__name__} has no customer_type/customer_id columns; portal_scope cannot limit it")


class CustomerOwnedMixin:
    """Columns for rows that belong to a customer and may show in the portal."""

    customer_type: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
