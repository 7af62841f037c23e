"""The small, frozen objects that registration hooks return.

A plugin's ``__init__.py`` reads as a table of what it adds: each registration hook returns a
list of these. They carry data only; the core decides what to do with them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable


@dataclass(frozen=True)
class Module:
    """A switchable unit of features. Every plugin declares exactly one."""

    name: str
    label: str
    description: str = ""
    version: str = "0"
    depends: tuple[str, ...] = ()
    essential: bool = False


@dataclass(frozen=True)
class EntityType:
    """A kind of record (contact, deal, ...) and the record services it opts into."""

    name: str
    label: str
    label_plural: str
    model: Any
    schema: Any = None
    list_columns: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    custom_fields: bool = False
    tags: bool = False
    notes: bool = False
    files: bool = False
    timeline: bool = False
    reminders: bool = False
    # What the record services need to know: the permissions to see and to change a record
    # (notes, files, reminders need the first; tags and custom values the second), the
    # endpoint of its page (taking ``record_id``), and the attribute that names it.
    view_permission: str | None = None
    edit_permission: str | None = None
    # Who manages the type's custom fields, tags and history categories (module admins).
    admin_permission: str | None = None
    detail_endpoint: str | None = None
    title_attribute: str = "name"
    # Record-level access (core.access): the model has ``core.RecordAccessMixin``'s
    # ``access_mode`` column; new records start with ``default_access``.
    record_access: bool = False
    default_access: str = "private"
    # Records of this type are customers: portal accounts belong to one of them.
    customer: bool = False


ROLES = ("owner", "module_admin", "user")


@dataclass(frozen=True)
class Permission:
    """A named right, ``"<module>.<action>"``, and the roles that have it by default."""

    name: str
    description: str = ""
    roles: tuple[str, ...] = ("owner",)
    # What it needs on a record with record access: "read", "write", or None (no check).
    access: str | None = None


@dataclass(frozen=True)
class FieldType:
    """A custom field type: how values validate, render and filter."""

    name: str
    label: str
    marshmallow_field: Callable[..., Any]
    widget: str = "text"
    display: Callable[[Any], str] | None = None
    sql_filter: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Conversion:
    """A "create from" conversion from one entity type to one or more targets.

    ``field_map`` is ``{target: {target_field: source_field}}``; a target without an entry
    gets the source's fields of the same name, except those in ``exclude``. Running it needs
    the source's view permission, every target's edit permission and ``permissions``.
    ``validate(source, values)`` gets ``{target: loaded data}`` and returns errors as
    ``{target: {field: [message]}}`` (or nothing); ``postprocess(source, targets)`` gets
    ``{target: record}`` before the commit. With ``attach_existing`` the user may pick an
    existing record of a target instead of creating one (only a link is made).
    """

    name: str
    label: str
    source: str
    targets: tuple[str, ...]
    field_map: dict[str, dict[str, str]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    validate: Callable[..., Any] | None = None
    postprocess: Callable[..., Any] | None = None
    permissions: tuple[str, ...] = ()
    attach_existing: bool = False


SETTING_TYPES = ("text", "integer", "decimal", "boolean", "choice", "secret")


@dataclass(frozen=True)
class Setting:
    """A typed setting with a default, shown on its module's settings page.

    ``name`` is global and ``"<module>.<key>"``; ``choices`` is a tuple of
    ``(value, label)`` pairs for type ``choice``; ``minimum``/``maximum`` bound numbers.
    """

    name: str
    label: str
    type: str = "text"
    default: Any = None
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    required: bool = False

    @property
    def module(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class MenuItem:
    """An entry of the workspace (or portal) menu."""

    label: str
    endpoint: str
    icon: str = "circle"
    order: int = 100
    permission: str | None = None
    section: str = "main"


@dataclass(frozen=True)
class ActionLink:
    """A button on a record page."""

    label: str
    url: str
    icon: str = ""
    order: int = 100


@dataclass(frozen=True)
class Tab:
    """A tab of a page made of several plugins' parts (e.g. the customer overview)."""

    name: str
    label: str
    render: Callable[[], str]
    order: int = 100


@dataclass(frozen=True)
class SearchResult:
    """One hit of the global search."""

    entity_type: str
    title: str
    url: str
    summary: str = ""


@dataclass(frozen=True)
class ReportType:
    """A report the reports module can generate."""

    name: str
    label: str
    generate: Callable[..., Any]
    parameters: Any = None


@dataclass(frozen=True)
class MigrationSource:
    """Where a plugin keeps its Alembic revisions, and its branch label.

    By convention every table of the plugin starts with ``<branch>_``; that is how
    ``kontor db revision`` knows which tables belong to which plugin.
    """

    branch: str
    path: str


@dataclass(frozen=True)
class Job:
    """A background job: a named function that runs in the job consumer.

    ``schedule`` makes it periodic: a ``huey.crontab(...)`` or any callable that takes a
    ``datetime`` and says whether the job is due.
    """

    name: str
    function: Callable[..., Any]
    schedule: Callable[..., bool] | None = None
    retries: int = 0


@dataclass(frozen=True)
class DemoData:
    """A plugin's part of ``kontor demo``: a function that adds demo records."""

    name: str
    load: Callable[[], Any]
    order: int = 100


@dataclass(frozen=True)
class RecordEvent:
    """Something that happened to a record, passed to ``track_event``.

    ``action`` is one of created, updated, deleted, converted, status_changed;
    ``changes`` maps a field name to ``(old, new)`` for updates.
    """

    entity_type: str
    record_id: Any
    action: str
    user_id: int | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
