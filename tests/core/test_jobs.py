"""Background jobs: enqueued on commit, run, progress visible to the user who started them,
periodic jobs fire."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from core import db, jobs
from core.jobs import JobError
from core.models import JobRun
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in
from tests.support import memo


def _status(client, run_id):
    response = client.get(f"/jobs/{run_id}?format=json")
    assert response.status_code == 200, response.status_code
    return response.get_json()


def test_job_runs_and_its_result_and_progress_are_visible(app, owner_client):
    run_id = owner_client.post("/memo/count").get_json()["run"]
    status = _status(owner_client, run_id)
    assert status["state"] == "done"
    assert (status["progress"], status["total"], status["percent"]) == (3, 3, 100)
    assert status["message"] == "step 3"
    assert status["result"] == {"counted": 3}
    page = owner_client.get(f"/jobs/{run_id}").get_data(as_text=True)
    assert "memo.count" in page and 'data-percent="100"' in page


def test_enqueue_is_dropped_with_a_rollback(app):
    with app.test_request_context():
        jobs.enqueue("memo.count", 2)
        db.session.rollback()
        db.session.commit()
        assert db.session.execute(select(JobRun)).scalars().all() == []


def test_a_savepoint_neither_starts_nor_drops_the_jobs_of_its_transaction(app):
    """Code inside a transaction may use savepoints (creating a tag does); the jobs enqueued
    before one run when the whole transaction commits, not when the savepoint ends."""
    with app.test_request_context():
        run = jobs.enqueue("memo.count", 2)
        with db.session.begin_nested():
            pass
        try:
            with db.session.begin_nested():
                raise ValueError("a savepoint rolled back")
        except ValueError:
            pass
        assert db.session.get(JobRun, run.id).state == "queued"  # not run yet
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(JobRun, run.id).state == "done"


def test_unknown_job_is_an_error(app):
    with app.test_request_context(), pytest.raises(JobError, match="memo.nothing"):
        jobs.enqueue("memo.nothing")


def test_failed_job_is_reported_and_its_writes_are_rolled_back(app, owner_client):
    with app.test_request_context():
        owner = db.session.execute(select(memo.Memo)).first()
        run = jobs.enqueue("memo.fail")
        db.session.commit()
        run_id = run.id
        assert owner is None
    status = _status(owner_client, run_id)
    assert status["state"] == "failed"
    assert status["error"]
    with app.app_context():
        assert db.session.execute(select(memo.Memo)).first() is None  # nothing half-written
        assert "the memo service is down" in db.session.get(JobRun, run_id).error


def test_only_the_starter_and_admins_see_a_job(app):
    with app.app_context():
        create_user()
        starter_id = create_user(email="anna@example.com", name="Anna", role="user", password=USER_PASSWORD).id
        create_user(email="bernd@example.com", name="Bernd", role="user", password=USER_PASSWORD)
    with app.test_request_context():
        from core.auth.models import User

        run = jobs.enqueue("memo.count", 1, user=db.session.get(User, starter_id))
        db.session.commit()
        run_id = run.id
    anna = sign_in(app.test_client(), "anna@example.com", USER_PASSWORD)
    bernd = sign_in(app.test_client(), "bernd@example.com", USER_PASSWORD)
    owner = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    assert _status(anna, run_id)["state"] == "done"
    assert bernd.get(f"/jobs/{run_id}?format=json").status_code == 404
    assert _status(owner, run_id)["state"] == "done"


def _wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def consumer_app(make_app):
    """An app whose jobs go through a real huey queue (SQLite file) and a consumer."""
    app = make_app(PLUGINS=[memo], JOBS_IMMEDIATE=False)
    consumer = jobs.consumer(app.extensions["kontor"].queue, workers=2, embedded=True)
    consumer.start()
    yield app
    memo.RELEASE.set()
    consumer.stop(graceful=True)
    memo.RELEASE.clear()


def test_progress_is_visible_while_the_job_runs_in_the_consumer(consumer_app):
    with consumer_app.app_context():
        create_user()
    client = sign_in(consumer_app.test_client(), "owner@example.com", OWNER_PASSWORD)
    with consumer_app.test_request_context():
        run = jobs.enqueue("memo.wait")
        db.session.commit()
        run_id = run.id
    half = _wait_for(lambda: (s := _status(client, run_id))["state"] == "running" and s["progress"] == 1 and s)
    assert half["percent"] == 50 and half["message"] == "waiting for release"
    memo.RELEASE.set()
    done = _wait_for(lambda: (s := _status(client, run_id))["state"] == "done" and s)
    assert done["percent"] == 100 and done["result"] == "finished"


def test_periodic_job_fires_in_the_consumer(consumer_app):
    memo.CALLS.clear()
    _wait_for(lambda: ("tick", {}) in memo.CALLS)

    def tick_recorded():
        with consumer_app.app_context():
            return db.session.execute(select(JobRun).where(JobRun.name == "memo.tick", JobRun.state == "done")).first()

    assert _wait_for(tick_recorded)


def test_jobs_go_through_redis_when_configured(make_app):
    """KONTOR_REDIS_URL switches the queue to Redis; set KONTOR_TEST_REDIS_URL to test it."""
    import os

    redis_url = os.environ.get("KONTOR_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set KONTOR_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to test the Redis queue")
    app = make_app(PLUGINS=[memo], JOBS_IMMEDIATE=False, REDIS_URL=redis_url)
    queue = app.extensions["kontor"].queue
    assert type(queue).__name__ == "RedisHuey"
    queue.flush()
    consumer = jobs.consumer(queue, workers=1, embedded=True)
    consumer.start()
    try:
        with app.test_request_context():
            run = jobs.enqueue("memo.count", 2)
            db.session.commit()
            run_id = run.id

        def finished():
            with app.app_context():
                state = db.session.get(JobRun, run_id).state
                db.session.remove()
                return state == "done"

        assert _wait_for(finished)
    finally:
        consumer.stop(graceful=True)
        queue.flush()
