"""A test plugin that implements every hook, so the core's tests exercise each one.

``CALLS`` records which hooks were called, and with what."""
from __future__ import annotations

import os
import threading
import types

import click
from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import (ActionLink, Conversion, DemoData, EntityType, FieldType, Job, MenuItem, MigrationSource,
                  Module, Permission, RecordAccessMixin, ReportType, SearchResult, Setting, Tab, access, db,
                  hookimpl, jobs, portal, portal_page, public, require, settings)
from core.hookspecs import hookspec

# (entity type, survivor id, merged id) of every merge_records call
MERGES: list[tuple[str, int, int]] = []
CALLS: list[tuple[str, dict]] = []


def called(hook: str, **kwargs):
    CALLS.append((hook, kwargs))


class Memo(db.Model):
    __tablename__ = "memo_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(Integer)


class MemoCustomer(db.Model):
    """A customer, as the contacts plugin's companies will be: portal accounts belong to one."""

    __tablename__ = "memo_customer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class MemoRecord(RecordAccessMixin, portal.CustomerOwnedMixin, db.Model):
    """A record with record-level access that may belong to a customer."""

    __tablename__ = "memo_record"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


bp = Blueprint("memo", __name__, url_prefix="/memo", template_folder="templates")
portal_bp = Blueprint("memo_portal", __name__, url_prefix="/memo")


@bp.get("/")
@require("memo.view")
def index():
    memos = db.session.execute(db.select(Memo).order_by(Memo.id)).scalars().all()
    return render_template("memo/index.html", memos=memos, greeting=settings.get("memo.greeting"))


@bp.post("/count")
@require("memo.edit")
def count():
    run = jobs.enqueue("memo.count", 3)
    db.session.commit()
    return {"run": run.id}


def visible_records():
    return access.filter_query(select(MemoRecord), current_user, "memo.view", "memo_record")


@bp.get("/records")
@require("memo.view")
def records():
    query = visible_records()
    count = db.session.execute(select(func.count()).select_from(query.subquery())).scalar()
    titles = db.session.execute(query.order_by(MemoRecord.id)).scalars()
    return render_template("memo/records.html", count=count, titles=[r.title for r in titles])


@bp.get("/records/<int:record_id>")
@require("memo.view")
def record(record_id: int):
    return access.get_record_or_404("memo_record", record_id, "memo.view").title


@bp.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@require("memo.edit_record")
def edit_record(record_id: int):
    return "editing " + access.get_record_or_404("memo_record", record_id, "memo.edit_record").title


@portal_bp.get("/records")
@portal_page
def portal_records():
    query = portal.portal_scope(select(MemoRecord), portal.current_account())
    return "\n".join(r.title for r in db.session.execute(query.order_by(MemoRecord.id)).scalars())


@portal_bp.get("/records/<int:record_id>")
@portal_page
def portal_record(record_id: int):
    query = portal.portal_scope(select(MemoRecord).where(MemoRecord.id == record_id), portal.current_account())
    found = db.session.execute(query).scalar_one_or_none()
    if found is None:
        abort(404)
    return found.title


@bp.get("/open")
@public
def open_page():
    return "open to everybody"


@portal_bp.get("/")
@public
def portal_index():
    return "memo portal page"


def count_job(steps: int):
    for step in range(1, steps + 1):
        jobs.progress(step, steps, f"step {step}")
    return {"counted": steps}


def tick_job():
    called("tick")


# The test releases this to let memo.wait finish, so it can watch the job half-way.
RELEASE = threading.Event()


def wait_job():
    jobs.progress(1, 2, "waiting for release")
    if not RELEASE.wait(timeout=20):
        raise TimeoutError("never released")
    jobs.progress(2, 2, "released")
    return "finished"


def fail_job():
    db.session.add(Memo(title="half-written"))
    db.session.flush()
    raise ValueError("the memo service is down")


# A hook of this plugin's own, for other plugins (addhookspecs).
memo_specs = types.ModuleType("memo_specs")


@hookspec
def memo_extra_fields():
    """Other plugins add fields to memos."""


memo_specs.memo_extra_fields = memo_extra_fields


@hookimpl
def register_modules():
    return [Module(name="memo", label="Memos", description="Short notes for testing", version="1.2.3")]


@hookimpl
def register_entity_types():
    return [EntityType(name="memo", label="Memo", label_plural="Memos", model=Memo, search_fields=("title",)),
            EntityType(name="memo_record", label="Memo record", label_plural="Memo records", model=MemoRecord,
                       search_fields=("title",), record_access=True, default_access="public_write"),
            EntityType(name="memo_customer", label="Memo customer", label_plural="Memo customers",
                       model=MemoCustomer, customer=True)]


@hookimpl
def register_permissions():
    return [
        Permission("memo.view", "See memos", roles=("owner", "module_admin", "user"), access="read"),
        Permission("memo.edit", "Change memos", roles=("owner", "module_admin")),
        Permission("memo.edit_record", "Change memo records", roles=("owner", "module_admin", "user"),
                   access="write"),
    ]


@hookimpl
def register_field_types():
    return [FieldType(name="memo.colour", label="Colour", marshmallow_field=lambda **kw: None)]


@hookimpl
def register_conversions():
    return [Conversion(name="memo.copy", label="Copy memo", source="memo", targets=("memo",))]


@hookimpl
def register_settings():
    return [
        Setting("memo.greeting", "Greeting", default="Hello"),
        Setting("memo.limit", "Limit", type="integer", default=10, minimum=1, maximum=100),
        Setting("memo.rate", "Rate", type="decimal", default="1.50"),
        Setting("memo.loud", "Loud", type="boolean", default=False),
        Setting("memo.colour", "Colour", type="choice", default="red", choices=(("red", "Red"), ("blue", "Blue"))),
        Setting("memo.api_key", "API key", type="secret", default=""),
    ]


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_portal_blueprints():
    return [portal_bp]


@hookimpl
def register_report_types():
    return [ReportType(name="memo.count", label="Memo count", generate=lambda **kw: None)]


@hookimpl
def register_migrations():
    return [MigrationSource(branch="memo", path=os.path.join(os.path.dirname(__file__), "migrations", "versions"))]


@hookimpl
def register_jobs():
    return [Job(name="memo.count", function=count_job),
            Job(name="memo.wait", function=wait_job),
            Job(name="memo.fail", function=fail_job),
            Job(name="memo.tick", function=tick_job, schedule=lambda dt: True)]


@hookimpl
def register_demo_data():
    def load():
        db.session.add(Memo(title="Demo memo"))
        db.session.commit()

    return [DemoData(name="memo", load=load)]


@hookimpl
def register_commands(cli):
    @cli.command("memo-hello")
    def memo_hello():
        """Say hello from the memo plugin."""
        click.echo("hello from memo")


@hookimpl
def addhookspecs(pm):
    pm.add_hookspecs(memo_specs)


@hookimpl
def menu_items(user):
    called("menu_items", user=user)
    return [MenuItem("Memos", "memo.index", icon="sticky", order=50, permission="memo.view")]


@hookimpl
def record_actions(user, entity_type, record):
    called("record_actions")
    return [ActionLink("Copy", "/memo/copy")]


@hookimpl
def record_tabs(user, entity_type, record):
    called("record_tabs")
    return [Tab(name="memo-notes", label="Memo tab", render=lambda: '<p id="memo-tab">Memo tab of %s</p>' % entity_type)]


@hookimpl
def bulk_actions(user, entity_type):
    called("bulk_actions")
    return [ActionLink("Archive each", "/memo/archive")]


@hookimpl
def merge_records(entity_type, survivor, merged, user):
    called("merge_records")
    MERGES.append((entity_type, survivor.id, merged.id))


@hookimpl
def customer_tabs(user, customer):
    called("customer_tabs")
    return [Tab(name="memos", label="Memos", render=lambda: "memos")]


@hookimpl
def portal_menu_items(account):
    called("portal_menu_items")
    return [MenuItem("Memos", "memo_portal.portal_index")]


@hookimpl
def search(user, query, limit):
    called("search", query=query)
    rows = db.session.execute(
        db.select(Memo).where(Memo.title.contains(query)).order_by(Memo.id).limit(limit)).scalars()
    records = db.session.execute(access.filter_query(
        select(MemoRecord).where(MemoRecord.title.contains(query)), user, "memo.view", "memo_record")
        .order_by(MemoRecord.id).limit(limit)).scalars()
    return ([SearchResult(entity_type="Memos", title=m.title, url=f"/memo/#{m.id}") for m in rows]
            + [SearchResult(entity_type="Memo records", title=r.title, url=f"/memo/records/{r.id}") for r in records])


@hookimpl
def permission_allowed(user, permission, record):
    called("permission_allowed", permission=permission)
    if permission == "memo.edit" and getattr(user, "email", "").startswith("editor"):
        return True
    return None


@hookimpl
def permission_query_filter(user, permission, entity_type):
    called("permission_query_filter", entity_type=entity_type)
    if entity_type == "memo" and not user.is_owner:
        return Memo.owner_id == user.id
    return None


@hookimpl
def track_event(event):
    called("track_event", action=event.action)


@hookimpl
def startup(app):
    called("startup", app=app)


@hookimpl
def module_enabled(name):
    called("module_enabled", name=name)


@hookimpl
def module_disabled(name):
    called("module_disabled", name=name)


