"""Background jobs on huey: SQLite storage in the instance folder by default, Redis when
``KONTOR_REDIS_URL`` is set; in tests (``JOBS_IMMEDIATE``) jobs run at once.

Plugins declare jobs with ``register_jobs`` and enqueue them with ``enqueue(name, ...)``.
A job is handed to the queue only when the enqueuing transaction commits, so it never runs
against data that was rolled back. Every run has a ``JobRun`` row with its state, progress
and result, which the user who started it can watch.
"""
from __future__ import annotations

import contextvars
import logging
import traceback
from typing import Any

from flask import Flask
from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.declarations import Job
from core.models import JobRun
from core.runtime import kontor

log = logging.getLogger(__name__)

_current_run: contextvars.ContextVar[int | None] = contextvars.ContextVar("kontor_job_run", default=None)
_PENDING = "kontor_pending_jobs"


class JobError(LookupError):
    pass


def build_queue(app: Flask, jobs: list[Job]):
    """The huey instance of ``app`` with every declared job registered on it."""
    redis_url = app.config.get("REDIS_URL")
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    if redis_url:
        huey = RedisHuey("kontor", url=redis_url, immediate=immediate)
    else:
        huey = SqliteHuey("kontor", filename=app.config["JOBS_DATABASE"], immediate=immediate)
    tasks = {}
    for job in jobs:
        runner = _make_runner(app, job)
        if job.schedule is not None:
            tasks[job.name] = huey.periodic_task(job.schedule, name=job.name, retries=job.retries)(runner)
        else:
            tasks[job.name] = huey.task(name=job.name, retries=job.retries)(runner)
    return huey, tasks


def _make_runner(app: Flask, job: Job):
    def run(run_id: int | None = None, args=(), kwargs=None):
        with app.app_context():
            kontor.refresh()
            if run_id is None:  # periodic: nobody enqueued it, so it gets its row here
                run_row = JobRun(name=job.name, state="queued")
                db.session.add(run_row)
                db.session.commit()
                run_id = run_row.id
            _update(run_id, state="running", started_at=utcnow())
            token = _current_run.set(run_id)
            try:
                result = job.function(*args, **(kwargs or {}))
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                log.exception("Job %s (run %s) failed", job.name, run_id)
                _update(run_id, state="failed", finished_at=utcnow(),
                        error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
                raise
            finally:
                _current_run.reset(token)
            _update(run_id, state="done", finished_at=utcnow(), result=_jsonable(result))
            return None

    run.__name__ = job.name.replace(".", "_")
    return run


def _jsonable(value: Any):
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def _update(run_id: int, **values) -> None:
    """Write a run's state at once, outside the job's own transaction, so the user sees
    progress while the job is still working."""
    with db.engine.begin() as connection:
        connection.execute(update(JobRun).where(JobRun.id == run_id).values(**values))


def enqueue(name: str, *args, user=None, **kwargs) -> JobRun:
    """Enqueue job ``name``; it is handed to the queue when the current transaction
    commits. Returns its ``JobRun`` (already flushed, so ``run.id`` is set)."""
    if name not in kontor.jobs:
        raise JobError(f"no job named {name!r} is declared")
    run = JobRun(name=name, user_id=getattr(user, "id", None))
    db.session.add(run)
    db.session.flush()
    session = db.session()
    session.info.setdefault(_PENDING, []).append((kontor.jobs[name], run.id, args, kwargs))
    return run


def progress(done: int, total: int | None = None, message: str | None = None) -> None:
    """Report the progress of the job that is running now (no-op outside a job)."""
    run_id = _current_run.get()
    if run_id is None:
        return
    values: dict[str, Any] = {"progress": done}
    if total is not None:
        values["total"] = total
    if message is not None:
        values["message"] = message
    _update(run_id, **values)


@event.listens_for(Session, "after_commit")
def _push_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint was released: the enclosing transaction is still open
    pending = session.info.pop(_PENDING, [])
    for task, run_id, args, kwargs in pending:
        task(run_id, args, kwargs)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was rolled back; the jobs of the enclosing transaction stand
    session.info.pop(_PENDING, None)


class EmbeddedConsumer(Consumer):
    """A huey consumer that runs beside the web server in one process (``kontor run``):
    threads only, and the web server keeps the signal handlers."""

    def _set_signal_handlers(self):
        pass


def consumer(huey, workers: int = 2, embedded: bool = False) -> Consumer:
    cls = EmbeddedConsumer if embedded else Consumer
    return cls(huey, workers=workers, worker_type="thread", periodic=True,
               check_worker_health=not embedded, scheduler_interval=1)
