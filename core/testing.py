"""Helpers for testing Kontor and its plugins, used by the core's own tests and by plugin
authors' (see ``examples/hello_plugin/tests``): fresh databases on SQLite or PostgreSQL,
a test configuration, emptying tables between tests, users and signed-in clients.

``KONTOR_TEST_DATABASE_URL`` names a PostgreSQL server to test on; without it tests use
SQLite files. With ``CI=true`` an unreachable server fails the run instead of skipping.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable
import subprocess
import sys
import uuid
from pathlib import Path

from flask import url_for
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core.auth.models import User
from core.db import db

# Cheap argon2 parameters: hashing with the real ones costs most of a second per user.
FAST_PASSWORD_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def postgres_server_url() -> str:
    return os.environ.get("KONTOR_TEST_DATABASE_URL", "")


@contextlib.contextmanager
def fresh_database(folder: Path, prefix: str = "kontor_test"):
    """Yield the URL of a new, empty database; a PostgreSQL one is dropped afterwards."""
    server_url = postgres_server_url()
    if not server_url:
        yield f"sqlite:///{Path(folder) / f'{prefix}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        import pytest

        pytest.skip(f"PostgreSQL at KONTOR_TEST_DATABASE_URL is not reachable: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_config(database_url: str, instance_path: Path, **overrides) -> dict:
    """Configuration for ``create_app`` in tests: jobs run at once, no CSRF, no SMTP."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key",
        "JOBS_IMMEDIATE": True,
        "WTF_CSRF_ENABLED": False,
        "SMTP_URL": "",
        "PASSWORD_HASH_PARAMS": FAST_PASSWORD_HASH,
        **overrides,
    }


def empty_all_tables() -> None:
    """Remove every row (inside an app context), so the next test starts empty."""
    existing = set(inspect(db.engine).get_table_names())
    names = [t.name for t in reversed(db.metadata.sorted_tables)
             if t.name in existing and t.name != "core_revision"]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql" and names:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                connection.execute(text(f'DELETE FROM "{name}"'))
        # Every process re-reads switches and settings at its next request.
        connection.execute(text("UPDATE core_revision SET counter = counter + 1"))


def create_user(email: str, password: str, role: str = "user", name: str = "Test User", **extra) -> User:
    """A staff user (inside an app context)."""
    user = User(email=email, name=name, role=role, **extra)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, email: str, password: str):
    """Sign ``client`` in through the login form; fails the test if that does not work."""
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def run_kontor(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``kontor`` command in a process of its own, as an operator does."""
    return subprocess.run([sys.executable, "-c", "from core.cli import main; main()", *args],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120, cwd=cwd)


# The access matrix: every route, every persona, the expected answer derived from what the
# route declares. Plugins add their routes by declaring sample records, not by writing code.

PERSONAS = ("anonymous", "customer_a", "customer_b", "user", "outsider", "restricted", "module_admin", "owner")
STAFF_PERSONAS = ("user", "outsider", "restricted", "module_admin", "owner")
MATRIX_PASSWORD = "matrix-secret-1"

ALLOWED, FORBIDDEN, HIDDEN, LOGIN, PORTAL_LOGIN = "allowed", "403", "404", "login", "portal login"


@dataclass
class MatrixDeclarations:
    """What a plugin's test tells the matrix about its routes.

    ``factories``: entity type name -> a function returning a new, unsaved record of it (the
    matrix sets ``access_mode``, the customer columns and the record's listed users).
    ``record_routes``: endpoint -> the entity type whose record id fills the route's one
    integer argument; the matrix requests it for a record of every access mode.
    ``params``: endpoint -> fixed URL arguments for other routes with arguments (a missing
    row answering 404 to those who pass the gate is fine).
    """

    factories: dict[str, Callable[[], Any]] = field(default_factory=dict)
    record_routes: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __add__(self, other: "MatrixDeclarations") -> "MatrixDeclarations":
        """Both declarations in one, so one matrix checks several plugins' routes."""
        return MatrixDeclarations(factories={**self.factories, **other.factories},
                                  record_routes={**self.record_routes, **other.record_routes},
                                  params={**self.params, **other.params})


# Arguments for the core's own routes; plugins declare theirs in MatrixDeclarations.params.
CORE_PARAMS: dict[str, dict[str, Any]] = {
    "workspace.job_status": {"run_id": 1},
    "records_exports.download": {"run_id": 999},
    "admin.switch_module": {"name": "core"},
    "admin.module_settings": {"module": "core"},
    "admin.outbox_message": {"message_id": 1},
    "admin.outbox_attachment": {"attachment_id": 1},
    "auth.reset_password": {"token": "not-a-token"},
    "auth.accept_invitation": {"token": "not-a-token"},
    "portal.reset": {"token": "not-a-token"},
    "portal.accept_invitation": {"token": "not-a-token"},
    "portal_admin.invite": {"entity_type": "unknown", "record_id": 1},
    "portal_admin.switch_active": {"account_id": 999},
    "portal_admin.impersonate": {"account_id": 999},
    "people.edit_user": {"user_id": 999},
    "people.edit_group": {"group_id": 999},
    "people.delete_group": {"group_id": 999},
    "people.module_access": {"name": "core"},
    "workspace.notification_read": {"notification_id": 999},
    # Further arguments of record service routes (entity type and record come from the matrix).
    "records_notes.remove": {"note_id": 999},
    "records_files.download": {"file_id": 999},
    "records_files.thumbnail": {"file_id": 999},
    "records_files.remove": {"file_id": 999},
}


class AccessMatrix:
    """Builds the personas and sample records in ``app`` and checks every route.

    anonymous; customer_a and customer_b (portal accounts of two customers); user (on every
    private or restricted record's list); outsider (a user without access to any
    non-essential module: each is restricted to a group outsider is not in); restricted (a
    user on no record's list); module_admin (module admin of every non-essential module);
    owner.
    """

    def __init__(self, app, declarations: MatrixDeclarations):
        self.app = app
        self.declarations = declarations
        self.users: dict[str, int] = {}
        self.accounts: dict[str, int] = {}
        self.records: dict[str, dict[str, int]] = {}  # entity type -> {access mode: id}
        self.customer_records: dict[str, int] = {}  # entity type -> id of customer A's record
        self.clients: dict = {}
        self.params = {**CORE_PARAMS, **declarations.params}

    # Setting up

    def build(self) -> "AccessMatrix":
        from core import access
        from core.auth.models import Group, PortalAccount
        from core.models import ModuleGrant, ModuleState
        from core.runtime import kontor

        with self.app.app_context():
            users = {name: create_user(f"{name}@matrix.example", MATRIX_PASSWORD,
                                       role="owner" if name == "owner" else "user", name=name.replace("_", " ").title())
                     for name in STAFF_PERSONAS}
            self.users = {name: user.id for name, user in users.items()}
            members = Group(name="Matrix members", members=[users[n] for n in ("user", "restricted", "module_admin")])
            db.session.add(members)
            db.session.flush()
            for module in kontor.modules:
                if module.essential:
                    continue
                db.session.add(ModuleState(name=module.name, enabled=True, restricted=True))
                db.session.add(ModuleGrant(module=module.name, kind="access", group_id=members.id))
                db.session.add(ModuleGrant(module=module.name, kind="admin", user_id=users["module_admin"].id))
            customers = self._customers()
            for letter, persona in (("a", "customer_a"), ("b", "customer_b")):
                customer_type, customer_id = customers[letter]
                account = PortalAccount(email=f"{persona}@customer.example", name=persona.title(),
                                        customer_type=customer_type, customer_id=customer_id)
                account.set_password(MATRIX_PASSWORD)
                db.session.add(account)
                db.session.flush()
                self.accounts[persona] = account.id
            for name, (module, entity_type) in kontor.entity_types().items():
                if not entity_type.record_access or name not in self.declarations.factories:
                    continue
                self.records[name] = {}
                for mode in access.ACCESS_MODES:
                    record = self.declarations.factories[name]()
                    record.access_mode = mode
                    if hasattr(record, "customer_id"):
                        record.customer_type, record.customer_id = customers["a"]
                    db.session.add(record)
                    db.session.flush()
                    self.records[name][mode] = record.id
                    access.set_members(name, record, [users["user"].id] if mode in (access.PRIVATE, access.RESTRICTED)
                                       else [])
            kontor.bump_revision()
            db.session.commit()
        for persona in PERSONAS:
            self.clients[persona] = self._client(persona)
        return self

    def _customers(self) -> dict[str, tuple[str, int]]:
        from core.runtime import kontor

        for name, (_module, entity_type) in kontor.entity_types().items():
            if entity_type.customer and name in self.declarations.factories:
                ids = {}
                for letter in ("a", "b"):
                    record = self.declarations.factories[name]()
                    db.session.add(record)
                    db.session.flush()
                    ids[letter] = (name, record.id)
                self.customer_records[name] = ids["a"][1]
                return ids
        raise AssertionError("the access matrix needs a factory for one entity type with customer=True")

    def _client(self, persona: str):
        client = self.app.test_client()
        if persona in STAFF_PERSONAS:
            sign_in(client, f"{persona}@matrix.example", MATRIX_PASSWORD)
        elif persona in self.accounts:
            with client.session_transaction() as session:
                session["portal_account"] = f"{self.accounts[persona]}:0"
        return client

    # Expectations, from the declarations alone

    def expected(self, persona: str, permission: str, access_mode: str | None = None,
                 portal_record: bool = False) -> str:
        """What ``persona`` should get from a route declaring ``permission`` (for a record
        of ``access_mode``, or customer A's record on a portal page)."""
        from core import access
        from core.runtime import kontor

        if permission == access.PUBLIC:
            return ALLOWED
        if permission == access.PORTAL:
            if persona not in self.accounts:
                return PORTAL_LOGIN
            return HIDDEN if portal_record and persona != "customer_a" else ALLOWED
        if persona not in STAFF_PERSONAS:
            return LOGIN
        if persona == "owner":
            return ALLOWED
        module = access.module_of(permission)
        declared = kontor.permissions()[permission]
        essential = kontor.module(module).essential
        if persona == "outsider" and not essential:
            return FORBIDDEN
        roles = {"user", "module_admin"} if persona == "module_admin" and not essential else {"user"}
        if not roles & set(declared.roles):
            return FORBIDDEN
        if access_mode is None or persona == "module_admin":
            return ALLOWED
        listed = persona == "user" and access_mode in (access.PRIVATE, access.RESTRICTED)
        if not (listed or access_mode in access.OPEN_MODES["read"]):
            return HIDDEN
        if listed or access_mode in access.OPEN_MODES[declared.access or "read"]:
            return ALLOWED
        return FORBIDDEN

    # Checking

    @staticmethod
    def outcome(response) -> str:
        location = response.headers.get("Location", "")
        if response.status_code in (301, 302, 303):
            if location.startswith("/portal/login"):
                return PORTAL_LOGIN
            if location.startswith("/login"):
                return LOGIN
            return ALLOWED
        if response.status_code == 403:
            return FORBIDDEN
        if response.status_code == 404:
            return HIDDEN
        return ALLOWED

    def cases(self):
        """``(method, url, permission, kind, access_mode)`` for every route; ``kind`` is
        "plain", "fixed" (arguments from params), "record" or "portal_record"."""
        from core.access import PORTAL, declared_permission
        from core.runtime import kontor

        undeclared = []
        with self.app.test_request_context():
            for rule in self.app.url_map.iter_rules():
                if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
                    continue
                permission = declared_permission(rule.endpoint, self.app.view_functions[rule.endpoint])
                methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
                if not rule.arguments:
                    yield from ((m, rule.rule, permission, "plain", None) for m in methods)
                elif set(rule.arguments) == {"entity_type"} and hasattr(
                        self.app.view_functions[rule.endpoint], "kontor_record_level"):
                    # A record service route for a whole type: judged by its permission.
                    level = self.app.view_functions[rule.endpoint].kontor_record_level
                    for name, (_module, declared) in kontor.entity_types().items():
                        needed = getattr(declared, f"{level}_permission")
                        if needed is not None:
                            url = url_for(rule.endpoint, entity_type=name)
                            yield from ((m, url, needed if m == "GET" else permission, "plain", None)
                                        for m in methods)
                elif {"entity_type", "record_id"} <= set(rule.arguments) and hasattr(
                        self.app.view_functions[rule.endpoint], "kontor_record_level"):
                    # A record service route (core.records.record_route): every record of
                    # every access mode, judged by the entity type's view or edit permission.
                    level = self.app.view_functions[rule.endpoint].kontor_record_level
                    for name, records in self.records.items():
                        declared = kontor.entity_types()[name][1]
                        needed = declared.edit_permission if level == "edit" else declared.view_permission
                        if needed is None:
                            continue
                        # Further arguments (a file id ...) come from params and name no row:
                        # whoever passes the record's checks then gets 404 ("record_extra").
                        extra = self.params.get(rule.endpoint, {})
                        missing = set(rule.arguments) - {"entity_type", "record_id"} - set(extra)
                        if missing:
                            undeclared.append(f"{rule.rule} ({rule.endpoint}: {', '.join(sorted(missing))})")
                            break
                        kind = "record_extra" if extra else "record"
                        for mode, record_id in records.items():
                            url = url_for(rule.endpoint, entity_type=name, record_id=record_id, **extra)
                            # Other methods are checked at the gate, which asks core.use.
                            yield from ((m, url, needed if m == "GET" else permission, kind, mode)
                                        for m in methods)
                elif rule.endpoint in self.declarations.record_routes:
                    (argument,) = rule.arguments
                    kind = "portal_record" if permission == PORTAL else "record"
                    for mode, record_id in self.records[self.declarations.record_routes[rule.endpoint]].items():
                        url = url_for(rule.endpoint, **{argument: record_id})
                        yield from ((m, url, permission, kind, mode) for m in methods)
                elif rule.endpoint in self.params:
                    url = url_for(rule.endpoint, **self.params[rule.endpoint])
                    yield from ((m, url, permission, "fixed", None) for m in methods)
                else:
                    undeclared.append(f"{rule.rule} ({rule.endpoint})")
        assert not undeclared, ("the access matrix needs sample arguments for these routes "
                                "(MatrixDeclarations.record_routes or params): " + ", ".join(undeclared))

    def check(self) -> list[str]:
        """Request every route as every persona; the list of disagreements (empty is good).
        GET routes are really requested; other methods are checked at the gate (the
        permission check before the view), since running them would change the data the
        rest of the matrix stands on."""
        problems = []
        for method, url, permission, kind, mode in list(self.cases()):
            gate_only = method != "GET" or kind == "fixed"
            for persona in PERSONAS:
                with self.app.app_context():
                    want = self.expected(persona, permission,
                                         None if gate_only or kind not in ("record", "record_extra") else mode,
                                         kind == "portal_record" and not gate_only)
                got = self._request(persona, method, url)
                if kind in ("fixed", "record_extra") and got == HIDDEN and want == ALLOWED:
                    got = ALLOWED  # past the gate; the fixed argument names no row
                if permission == "public" and got in (LOGIN, PORTAL_LOGIN):
                    got = ALLOWED  # a public page may send on to sign-in (/setup once an owner exists)
                if got != want:
                    what = f" ({mode} record)" if mode else ""
                    problems.append(f"{method} {url}{what} as {persona}: expected {want}, got {got}")
        return problems

    def check_search(self, query: str) -> list[str]:
        """Search ``query`` as every persona; the disagreements (empty is good): the hits
        among the matrix's records must be exactly those the persona may see. Needs the
        factories' records to contain ``query``, and entity types with ``detail_endpoint``
        whose ``search`` hits link to that page."""
        import re

        from core.runtime import kontor

        problems = []
        for persona in PERSONAS:
            page = self.clients[persona].get("/search", query_string={"q": query})
            hits = set(re.findall(r'href="([^"]+)"', page.get_data(as_text=True)))
            for name, records in self.records.items():
                with self.app.test_request_context():
                    declared = kontor.entity_types()[name][1]
                    if not declared.detail_endpoint or not declared.view_permission:
                        continue
                    urls = {mode: url_for(declared.detail_endpoint, record_id=record_id)
                            for mode, record_id in records.items()}
                    want = {url for mode, url in urls.items()
                            if self.expected(persona, declared.view_permission, mode) == ALLOWED}
                got = hits & set(urls.values())
                if got != want:
                    problems.append(f"search {query!r} as {persona}: {name} records expected {sorted(want)}, "
                                    f"got {sorted(got)}")
        return problems

    def _request(self, persona: str, method: str, url: str) -> str:
        if method == "GET":
            return self.outcome(self.clients[persona].get(url))
        return self._gate(persona, method, url)

    def _gate(self, persona: str, method: str, url: str) -> str:
        from flask_login import login_user
        from werkzeug.exceptions import HTTPException

        from core import access, portal
        from core.auth.models import PortalAccount, User
        from core.runtime import kontor

        with self.app.test_request_context(url, method=method):
            kontor.refresh()
            if persona in STAFF_PERSONAS:
                login_user(db.session.get(User, self.users[persona]))
            elif persona in self.accounts:
                portal.sign_in(db.session.get(PortalAccount, self.accounts[persona]))
            try:
                response = access.check_request()
            except HTTPException as exc:
                return {403: FORBIDDEN, 404: HIDDEN}.get(exc.code, str(exc.code))
            return ALLOWED if response is None else self.outcome(response)



def totp_code(secret: str, step: int = 0) -> str:
    """The TOTP code of ``secret`` ``step`` time steps (30 s) from now; Kontor accepts one
    step either side, each code once. Waits out the last two seconds of a step, so the code
    is still valid when the request arrives."""
    import time

    import pyotp

    if 30 - time.time() % 30 < 2:
        time.sleep(2.1)
    return pyotp.TOTP(secret).at(time.time() + 30 * step)
