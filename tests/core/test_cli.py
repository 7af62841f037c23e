"""The ``kontor`` command, as an operator runs it."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from core.cli import cli
from tests.conftest import fresh_database

KONTOR = [sys.executable, "-c", "from core.cli import main; main()"]


@pytest.fixture
def instance(tmp_path):
    """Environment of a fresh instance: its own folder and an empty database."""
    with fresh_database(tmp_path) as url:
        yield {"KONTOR_INSTANCE_PATH": str(tmp_path / "instance"), "KONTOR_DATABASE_URL": url,
               "KONTOR_PLUGINS": "tests.support.memo"}
        create_engine(url).dispose()


def invoke(env, *args, input=None):
    cli._plugin_commands_added = False
    cli.commands.pop("memo-hello", None)
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def _rows(env, sql):
    engine = create_engine(env["KONTOR_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        rows = connection.execute(text(sql)).all()
    engine.dispose()
    return rows


def test_init_migrates_and_creates_the_owner_from_flags(instance):
    result = invoke(instance, "init", "--email", "Chefin@Example.com", "--name", "Clara Chefin",
                    "--password", "a-long-password", "--language", "de")
    assert result.exit_code == 0, result.output
    assert "Owner account chefin@example.com created." in result.output
    assert _rows(instance, "SELECT email, role, language FROM core_user") == [("chefin@example.com", "owner", "de")]
    again = invoke(instance, "init", "--email", "x@example.com", "--name", "X", "--password", "a-long-password")
    assert "An owner account exists already." in again.output


def test_init_prompts_and_refuses_a_short_password(instance):
    result = invoke(instance, "init", input="boss@example.com\nBoss\nshort\nshort\n")
    assert result.exit_code == 2
    assert "password" in result.output
    assert _rows(instance, "SELECT count(*) FROM core_user") == [(0,)]


def test_db_upgrade_and_demo(instance):
    assert "Database is up to date" in invoke(instance, "db", "upgrade").output
    result = invoke(instance, "demo")
    assert "Demo data loaded: memo" in result.output
    assert _rows(instance, "SELECT title FROM memo_note") == [("Demo memo",)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(env, *args):
    process = subprocess.Popen(KONTOR + list(args), env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parents[2])
    return process


def _wait_http(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_run_migrates_a_fresh_instance_and_prints_the_setup_link(instance):
    port = _free_port()
    process = _start(instance, "run", "--port", str(port))
    try:
        lines = []
        while True:
            line = process.stdout.readline()
            assert line, "kontor run ended early:\n" + "".join(lines)
            lines.append(line)
            match = re.search(r"(http://\S+/setup\?token=\S+)", line)
            if match:
                break
        status, body = _wait_http(match.group(1))
        assert status == 200
        assert 'name="password_repeat"' in body
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_worker_runs_jobs_enqueued_by_the_web_process(instance):
    from core import create_app, db, jobs
    from core.models import JobRun

    assert invoke(instance, "db", "upgrade").exit_code == 0
    app = create_app({"INSTANCE_PATH": instance["KONTOR_INSTANCE_PATH"], "DATABASE_URL": instance["KONTOR_DATABASE_URL"],
                      "PLUGINS": ["tests.support.memo"], "LOAD_ENTRY_POINTS": False})
    with app.test_request_context():
        run = jobs.enqueue("memo.count", 4)
        db.session.commit()
        run_id = run.id
    worker = _start(instance, "worker", "--workers", "1")
    try:
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            with app.app_context():
                state = db.session.get(JobRun, run_id).state
                db.session.remove()
            if state == "done":
                break
            time.sleep(0.2)
        assert state == "done"
        with app.app_context():
            assert db.session.get(JobRun, run_id).result == {"counted": 4}
            db.engine.dispose()
    finally:
        worker.terminate()
        worker.wait(timeout=15)
