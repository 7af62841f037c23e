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
from core.access import PUBLIC, USE_WORKSPACE, has_permission, public, require  # noqa: E402
from core.runtime import kontor  # noqa: E402
from core import forms, jobs, listing, mail, settings  # noqa: E402
from core.app import create_app  # noqa: E402

__all__ = [
    "hookimpl", "create_app", "kontor", "db", "Base", "TimestampMixin", "UTCDateTime", "utcnow",
    "require", "public", "has_permission", "PUBLIC", "USE_WORKSPACE", "forms", "jobs", "listing", "mail",
    "settings",
    "ROLES", "ActionLink", "Conversion", "DemoData", "EntityType", "FieldType", "Job", "MenuItem",
    "MigrationSource", "Module", "Permission", "RecordEvent", "ReportType", "SearchResult",
    "Setting", "Tab",
]
