"""The audit log of security events. ``record(...)`` adds an entry to the caller's
transaction; the owner reads them under Administration → Audit log."""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from core.db import db
from core.models import AuditEntry

# Every event the core writes, with its label for the audit log page.
EVENTS = {
    "login": _l("Signed in"),
    "login_failed": _l("Sign-in failed"),
    "login_throttled": _l("Sign-in blocked after too many failures"),
    "logout": _l("Signed out"),
    "password_changed": _l("Password changed"),
    "password_reset_requested": _l("Password reset requested"),
    "password_reset": _l("Password reset by link"),
    "invitation_sent": _l("Invitation sent"),
    "invitation_accepted": _l("Invitation accepted"),
    "totp_enabled": _l("Two-factor login switched on"),
    "totp_disabled": _l("Two-factor login switched off"),
    "totp_failed": _l("Two-factor code wrong"),
    "recovery_code_used": _l("Recovery code used"),
    "recovery_codes_renewed": _l("New recovery codes made"),
    "user_created": _l("User created"),
    "user_changed": _l("User changed"),
    "user_deactivated": _l("User deactivated"),
    "user_reactivated": _l("User reactivated"),
    "group_changed": _l("Group changed"),
    "permission_changed": _l("Permissions changed"),
    "module_access_changed": _l("Module access changed"),
    "module_switched": _l("Module switched on or off"),
    "portal_login": _l("Portal sign-in"),
    "portal_login_failed": _l("Portal sign-in failed"),
    "portal_logout": _l("Portal sign-out"),
    "portal_account_invited": _l("Portal account invited"),
    "portal_account_changed": _l("Portal account changed"),
    "impersonation_started": _l("Login as customer started"),
    "impersonation_ended": _l("Login as customer ended"),
    "records_merged": _l("Records merged"),
    "data_exported": _l("Export of all data started"),
    "records_imported": _l("CSV import started"),
    "records_import_reverted": _l("CSV import reverted"),
    "data_export_downloaded": _l("Export of all data downloaded"),
    "portal_login_throttled": _l("Portal sign-in blocked after too many failures"),
    "portal_password_changed": _l("Portal password changed"),
    "portal_password_reset_requested": _l("Portal password reset requested"),
    "portal_password_reset": _l("Portal password reset by link"),
    "portal_invitation_accepted": _l("Portal invitation accepted"),
}


def record(event: str, *, user=None, portal_account=None, subject: str = "", **details) -> AuditEntry:
    """Add an audit entry for ``event`` (one of ``EVENTS``) by staff ``user`` and/or about
    ``portal_account``; ``subject`` says who or what it concerned, as text."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    entry = AuditEntry(
        event=event,
        user_id=getattr(user, "id", None),
        portal_account_id=getattr(portal_account, "id", None),
        subject=subject[:500],
        ip=(request.remote_addr or "") if has_request_context() else "",
        details=details,
    )
    db.session.add(entry)
    return entry
