"""Background jobs: queued in Huey on SQLite by default or on Redis with REDIS_URL, run by a worker
inside an app context."""
import threading
import uuid
from pathlib import Path

import pytest
from flask import current_app
from huey import RedisHuey, SqliteHuey

from portal import create_app
from portal.common.jobs import enqueue, job, run_worker, worker_alive

REDIS = "redis://127.0.0.1:6379/15"


@job
def note_instance(path: str, text: str) -> None:
    """Writes which app ran it: proves the job ran, in an app context, with its arguments."""
    Path(path).write_text(f"{text} {current_app.config['SECRET_KEY']}")


def app_with(tmp_path, **config):
    return create_app({"SECRET_KEY": "jobs-test", "ID_KEY": "5e" * 32, "JOBS_IN_PROCESS": False,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'jobs.sqlite3'}", **config})


def run_queue_until(huey, done: Path) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(huey, 0.05, stop))
    worker.start()
    try:
        for _ in range(200):
            if done.exists():
                break
            stop.wait(0.05)
    finally:
        stop.set()
        worker.join(timeout=5)


@pytest.mark.parametrize("config, backend", [({}, SqliteHuey), ({"REDIS_URL": REDIS}, RedisHuey)],
                         ids=["sqlite", "redis"])
def test_a_queued_job_waits_for_the_worker_and_runs_in_an_app_context(tmp_path, monkeypatch, config, backend):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = app_with(tmp_path, **config)
    huey = app.extensions["jobs"]["huey"]
    assert isinstance(huey, backend)
    huey.flush()
    done = tmp_path / f"done-{uuid.uuid4().hex}"

    with app.app_context():
        enqueue(note_instance, str(done), "导入完成")
    assert not done.exists()  # queued, not run in the request
    assert huey.pending_count() == 1

    run_queue_until(huey, done)
    assert done.read_text() == "导入完成 jobs-test"
    assert huey.pending_count() == 0


def test_the_sqlite_queue_lives_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = app_with(tmp_path)
    with app.app_context():
        enqueue(note_instance, str(tmp_path / "never"), "x")
    assert (tmp_path / "instance" / "jobs.sqlite3").exists()


@pytest.mark.parametrize("config", [{}, {"REDIS_URL": REDIS}], ids=["sqlite", "redis"])
def test_a_running_worker_says_it_is_alive_whatever_it_is_running(tmp_path, monkeypatch, config):
    """So a job queued behind a long one is not taken for stopped (see jobs.stalled)."""
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = app_with(tmp_path, **config)
    huey = app.extensions["jobs"]["huey"]
    huey.flush()
    with app.app_context():
        assert not worker_alive()
        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(huey, 0.05, stop))
        worker.start()
        try:
            for _ in range(100):
                if worker_alive():
                    break
                stop.wait(0.05)
            assert worker_alive()
        finally:
            stop.set()
            worker.join(timeout=5)
