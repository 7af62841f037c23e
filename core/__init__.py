"""Kontor's public API for plugin authors: import from here, never from submodules' private
names.

    from core import hookimpl, Module, MenuItem, Permission, require, db
"""
import pluggy

hookimpl = pluggy.HookimplMarker("kontor")

from core.declarations import (  # noqa: E402
    ROLES,
    ActionLink,
    Conversion,
    DemoData,
    EntityType,
    FieldType,
    Job,
    MenuItem,
    MigrationSource,
    Module,
    Permission,
    RecordEvent,
    ReportType,
    SearchResult,
    Setting,
    Tab,
)
from core.db import Base, TimestampMixin, UTCDateTime, db, utcnow  # noqa: E402
from core.access import (PORTAL, PUBLIC, USE_WORKSPACE, RecordAccessMixin, has_permission,  # noqa: E402
                         portal_page, public, require)
from core.runtime import kontor  # noqa: E402
from core import access, audit, forms, jobs, listing, mail, portal, records, settings  # noqa: E402
from core.app import create_app  # noqa: E402

__all__ = [
    "hookimpl", "create_app", "kontor", "db", "Base", "TimestampMixin", "UTCDateTime", "utcnow",
    "require", "public", "portal_page", "has_permission", "PUBLIC", "PORTAL", "USE_WORKSPACE",
    "RecordAccessMixin", "access", "audit", "forms", "jobs", "listing", "mail", "portal", "records", "settings",
    "ROLES", "ActionLink", "Conversion", "DemoData", "EntityType", "FieldType", "Job", "MenuItem",
    "MigrationSource", "Module", "Permission", "RecordEvent", "ReportType", "SearchResult",
    "Setting", "Tab",
]
