"""``create_app(config=None)``: the Flask application factory.

Configuration comes from ``KONTOR_*`` environment variables, all optional; ``config`` (a
dict) overrides them, which is what tests do. Without any, Kontor runs on SQLite in its
instance folder, with a secret key it generates there on first start.
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, g, has_request_context, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core import access, i18n, jobs, records, settings
from core.auth import throttle
from core.db import db, normalize_url
from core.plugins import BUILTIN_PLUGINS, PluginManager
from core.runtime import Kontor

log = logging.getLogger(__name__)

# KONTOR_<NAME> environment variables that are read, and how.
ENV_SETTINGS = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "INSTANCE_PATH": str,
    "SMTP_URL": str,
    "MAIL_FROM": str,
    "REDIS_URL": str,
    "FILES_PATH": str,
    "BASE_URL": str,
    "LOGIN_LIMIT_ACCOUNT": str,
    "LOGIN_LIMIT_IP": str,
    "WEBFORM_LIMIT": str,
    "PROXIES": lambda v: _count("PROXIES", v),
    "PLUGINS": lambda v: [p for p in v.split(",") if p.strip()],
}

csrf = CSRFProtect()
bootstrap = Bootstrap5()
login_manager = LoginManager()


def _count(name: str, value: str) -> int:
    if not value.strip().isdigit():
        raise ValueError(f"KONTOR_{name} must be a whole number (0 or more), not {value!r}")
    return int(value)


def _config_from_env() -> dict:
    config = {}
    for name, convert in ENV_SETTINGS.items():
        value = os.environ.get(f"KONTOR_{name}")
        if value:
            config[name] = convert(value)
    return config


def _secret_key(instance: Path) -> str:
    """The secret key, generated on first start and kept readable by the owner only."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    settings = {**_config_from_env(), **(config or {})}
    instance = Path(settings.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask("core", instance_path=str(instance), instance_relative_config=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'kontor.sqlite3'}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAIL_FROM="kontor@localhost",
        JOBS_DATABASE=str(instance / "jobs.sqlite3"),
        JOBS_IMMEDIATE=False,
        FILES_PATH=str(instance / "files"),
        BUILTIN_PLUGINS=BUILTIN_PLUGINS,
        PLUGINS=[],
        LOAD_ENTRY_POINTS=True,
        BOOTSTRAP_SERVE_LOCAL=True,
        BOOTSTRAP_BOOTSWATCH_THEME=None,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LANGUAGE,
        BABEL_DEFAULT_TIMEZONE="UTC",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    app.config.update(settings)
    if "DATABASE_URL" in settings:
        app.config["SQLALCHEMY_DATABASE_URI"] = normalize_url(settings["DATABASE_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    if app.config.get("PROXIES"):
        # Behind reverse proxies: the client's address and scheme from their X-Forwarded-*
        # headers, trusted from that many proxies only (without proxies, anyone could send
        # them): for the sign-in and web form limits and the audit log.
        proxies = int(app.config["PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    base_url = app.config.get("BASE_URL", "")
    app.config["SESSION_COOKIE_SECURE"] = base_url.startswith("https://")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]

    plugins = PluginManager()
    plugins.load(app.config["BUILTIN_PLUGINS"], app.config["PLUGINS"], app.config["LOAD_ENTRY_POINTS"])
    kontor = Kontor(app, plugins)
    app.extensions["kontor"] = kontor

    db.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    translation_dirs = [str(Path(__file__).parent / "translations")]
    for info in plugins.loaded():
        folder = Path(getattr(info.obj, "__file__", "") or ".").parent / "translations"
        if info.name != "core" and folder.is_dir():
            translation_dirs.append(str(folder))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)
    i18n.babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    _init_login(app)
    throttle.init_app(app)

    for plugin_name, blueprint in plugins.registries["register_blueprints"]:
        kontor.register_blueprint(plugin_name, blueprint)
    for plugin_name, blueprint in plugins.registries["register_portal_blueprints"]:
        kontor.register_blueprint(plugin_name, blueprint, url_prefix="/portal" + (blueprint.url_prefix or ""))

    kontor.queue, kontor.jobs = jobs.build_queue(app, plugins.registered("register_jobs"))

    app.before_request(_before_request)
    app.after_request(_security_headers)
    app.jinja_env.filters["money"] = i18n.money
    app.jinja_env.filters["datetime"] = i18n.datetime_filter
    app.context_processor(_template_context)
    _error_pages(app)

    plugins.pm.hook.startup(app=app)
    return app


def _init_login(app: Flask) -> None:
    from core.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or str(user.session_version) != version:
            return None  # deactivated, or all sessions ended: signed out at once
        return user


def _before_request():
    from core.runtime import kontor

    kontor.refresh()
    return access.check_request()


def allow_image_source(origin: str) -> None:
    """Let this response's page show images from ``origin`` (``https://host``), e.g. the map
    tiles of a tile server an admin configured. Everything else stays same-origin."""
    g.setdefault("kontor_image_sources", set()).add(origin)


def allow_form_target(origin: str) -> None:
    """Let this response's forms lead to ``origin`` (``https://host``): browsers apply
    form-action to the redirect after a post too, e.g. a web form's thank-you page elsewhere."""
    g.setdefault("kontor_form_targets", set()).add(origin)


def _security_headers(response):
    images = " ".join(sorted(g.get("kontor_image_sources", ()))) if has_request_context() else ""
    targets = " ".join(sorted(g.get("kontor_form_targets", ()))) if has_request_context() else ""
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{' ' + images if images else ''}; "
        f"object-src 'none'; base-uri 'self'; form-action 'self'{' ' + targets if targets else ''}; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _template_context():
    from flask_login import current_user

    from core.runtime import kontor

    def menu():
        if not current_user.is_authenticated:
            return []
        items = kontor.hook("menu_items", user=current_user)
        visible = [i for i in items if i.permission is None or access.has_permission(current_user, i.permission)]
        return sorted(visible, key=lambda i: (i.order, str(i.label)))

    return {
        "kontor": kontor._get_current_object(),
        "get_locale": get_locale,
        "job_states": {"queued": _l("queued"), "running": _l("running"), "done": _l("done"),
                       "failed": _l("failed")},
        "kontor_menu": menu,
        "company_name": settings.get("core.company_name") or "Kontor",
        "languages": i18n.LANGUAGES,
        "has_permission": lambda name, record=None: access.has_permission(current_user, name, record),
        "record_entity_type": records.entity_type,
        "record_actions": lambda entity_type, record: sorted(
            kontor.hook("record_actions", user=current_user, entity_type=entity_type, record=record),
            key=lambda a: (a.order, str(a.label))),
        "record_tabs": lambda entity_type, record: sorted(
            kontor.hook("record_tabs", user=current_user, entity_type=entity_type, record=record),
            key=lambda t: (t.order, str(t.label))),
        "bulk_actions": lambda entity_type: sorted(
            kontor.hook("bulk_actions", user=current_user, entity_type=entity_type),
            key=lambda a: (a.order, str(a.label))),
    }


def _error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("core/error.html", code=400, error=error, csrf=True), 400

    def error_page(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()  # the failed request's changes are not kept
        return render_template("core/error.html", code=code, error=error), code

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, error_page)
