"""The ``kontor`` command."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from werkzeug.serving import run_simple

from core.app import create_app


class KontorGroup(FlaskGroup):
    """``kontor`` sub-commands: the core's own, then every enabled plugin's
    (``register_commands``)."""

    def __init__(self, **kwargs):
        super().__init__(create_app=lambda: create_app(), add_default_commands=False,
                         add_version_option=False, load_dotenv=False, set_debug_flag=False, **kwargs)
        self._plugin_commands_added = False

    def _add_plugin_commands(self, ctx):
        if self._plugin_commands_added:
            return
        self._plugin_commands_added = True
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except Exception as exc:  # the core's own commands must still work
            click.echo(f"Warning: plugin commands unavailable: {exc}", err=True)
            return
        app.extensions["kontor"].plugins.pm.hook.register_commands(cli=self)

    def list_commands(self, ctx):
        self._add_plugin_commands(ctx)
        return sorted(self.commands)

    def get_command(self, ctx, name):
        if name not in self.commands:
            self._add_plugin_commands(ctx)
        return self.commands.get(name)


cli = KontorGroup(help="Kontor: a plugin-based business workspace.")


@cli.command()
@click.option("--email", help="Email of the owner account.")
@click.option("--name", help="Name of the owner.")
@click.option("--password", help="Password of the owner (prompted if not given).")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
@with_appcontext
def init(email, name, password, language):
    """Create the instance, migrate the database, create the owner account."""
    from marshmallow import ValidationError

    from core import migrate
    from core.auth import setup
    from core.auth.views import OwnerSchema

    migrate.upgrade()
    click.echo(f"Database ready: {_safe_url()}")
    if not setup.needs_owner():
        click.echo("An owner account exists already.")
        return
    email = email or click.prompt("Owner email")
    name = name or click.prompt("Owner name")
    password = password or click.prompt("Owner password", hide_input=True, confirmation_prompt=True)
    try:
        data = OwnerSchema().load({"name": name, "email": email, "password": password,
                                   "password_repeat": password, "language": language})
    except ValidationError as exc:
        for field, messages in exc.messages.items():
            click.echo(f"{field}: {' '.join(map(str, messages))}", err=True)
        sys.exit(2)
    setup.create_owner(data["name"], data["email"], data["password"], data["language"])
    click.echo(f"Owner account {data['email']} created.")


@cli.group()
def db():
    """Database commands."""


@db.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply every pending migration of the core and of every installed plugin."""
    from core import migrate

    migrate.upgrade()
    click.echo(f"Database is up to date: {_safe_url()}")


@db.command("revision")
@click.argument("branch")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@with_appcontext
def db_revision(branch, message):
    """Write a new migration for BRANCH (a plugin's name) from its models."""
    from core import migrate

    migrate.revision(branch, message)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Job consumer threads.")
@with_appcontext
def run(host, port, workers):
    """Run the development server with an embedded job consumer."""
    from core import jobs, migrate
    from core.auth import setup
    from core.runtime import kontor

    app = current_app._get_current_object()
    if migrate.pending():
        click.echo("Migrating the database ...")
        migrate.upgrade()
    token = setup.setup_token()
    base = app.config.get("BASE_URL") or f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
    if token:
        click.echo("\nNo owner account yet. Open this one-time link to create it:\n")
        click.echo(f"    {base}/setup?token={token}\n")
    else:
        click.echo(f"\nKontor runs at {base}/\n")
    consumer = jobs.consumer(kontor.queue, workers=workers, embedded=True)
    consumer.start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        consumer.stop(graceful=True)


@cli.command()
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def worker(workers):
    """Run a separate job consumer (for several web processes, or with Redis)."""
    from core import jobs
    from core.runtime import kontor

    click.echo(f"Job consumer with {workers} threads; jobs: {', '.join(sorted(kontor.jobs)) or 'none'}")
    jobs.consumer(kontor.queue, workers=workers).run()


@cli.command()
@with_appcontext
def plugins():
    """List the installed plugins: name, version, source, status and hooks."""
    from core.runtime import kontor

    try:
        kontor.refresh()
    except Exception as exc:  # no database yet: show what is installed anyway
        click.echo(f"(module switches unknown: {type(exc).__name__}; run 'kontor db upgrade')", err=True)
    for info in sorted(kontor.plugins.plugins.values(), key=lambda p: p.name):
        module = info.module
        if info.status == "failed":
            status = "failed"
        else:
            status = "enabled" if kontor.is_enabled(info.name) else "disabled"
        click.echo(f"{info.name}  {module.version if module else '-'}  {info.source}  {status}")
        if info.status == "failed":
            click.echo(f"    reason: {info.reason}")
        elif info.obj is not None:
            click.echo(f"    hooks: {', '.join(info.hooks)}")


@cli.command()
@with_appcontext
def demo():
    """Load demo data: every enabled plugin adds its part."""
    from core import migrate
    from core.runtime import kontor

    migrate.upgrade()
    parts = sorted(kontor.registered("register_demo_data"), key=lambda d: (d.order, d.name))
    if not parts:
        click.echo("No enabled module brings demo data.")
    for part in parts:
        part.load()
        click.echo(f"Demo data loaded: {part.name}")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def main():
    cli.main(prog_name="kontor")


