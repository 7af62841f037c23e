"""The customer overview: one page per customer (a record of an entity type declared with
``customer=True``) whose tabs every enabled module contributes through ``customer_tabs``:
profile, persons, notes and files from the contacts module, invoices, projects, tasks ...
from theirs. The header shows the customer's portal accounts, with "invite" and "log in
as customer" for staff who may."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template
from flask_login import current_user
from sqlalchemy import select

from core import portal, records
from core.access import has_permission
from core.auth.models import PortalAccount
from core.db import db
from core.runtime import kontor

bp = Blueprint("records_customers", __name__, url_prefix="/records")


@bp.get("/<entity_type>/<int:record_id>/overview")
@records.record_route("view")
def overview(entity_type: str, record_id: int):
    declared, customer = records.load(entity_type, record_id)
    if not declared.customer or not portal.is_customer(customer):
        # Not a customer (a type that has none, or e.g. a person who belongs to a company):
        # its own page is the overview there is.
        url = records.record_url(declared, record_id)
        return redirect(url) if url else abort(404)
    tabs = sorted(kontor.hook("customer_tabs", user=current_user, customer=customer),
                  key=lambda tab: (tab.order, str(tab.label)))
    accounts = db.session.execute(select(PortalAccount).where(
        PortalAccount.customer_type == entity_type, PortalAccount.customer_id == record_id)
        .order_by(PortalAccount.name)).scalars().all()
    return render_template("core/records/customer_overview.html", declared=declared, entity_type=entity_type,
                           customer=customer, title=records.title(declared, customer), tabs=tabs,
                           accounts=accounts,
                           may_invite=has_permission(current_user, "core.portal_accounts"),
                           may_impersonate=has_permission(current_user, "core.login_as_customer"))


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """The page holds nothing of its own; portal accounts of a deleted customer stay (an
    admin deactivates them) so their audit trail keeps its names."""
