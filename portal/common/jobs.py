"""Background jobs on Huey: SQLite-backed under instance/ by default, Redis-backed with REDIS_URL.

Domain modules mark a function with `@job`; `enqueue(fn, *args)` queues it and a worker runs it
inside an app context. By default (JOBS_IN_PROCESS) each app server runs queued jobs on a thread
of its own, so `make run` needs nothing else; production sets PORTAL_JOBS_IN_PROCESS=false and
runs `flask portal worker`. Tests set JOBS_IMMEDIATE, which runs a job at once, in the caller.
"""
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Callable

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.constants import EmptyData
from sqlalchemy import and_, func

from portal.db import db

log = logging.getLogger(__name__)
_jobs: dict[str, Callable] = {}


def job(fn: Callable) -> Callable:
    """Register `fn` (taking plain, serialisable arguments) as a background job."""
    _jobs[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def init_app(app: Flask) -> None:
    if app.config["JOBS_IMMEDIATE"]:
        huey = MemoryHuey("portal", immediate=True)
    elif url := app.config.get("REDIS_URL"):
        huey = RedisHuey("portal", url=url)
    else:
        huey = SqliteHuey("portal", filename=str(Path(app.instance_path) / "jobs.sqlite3"))

    tasks = {}
    for name, fn in _jobs.items():
        def in_app_context(*args, _fn=fn):
            with app.app_context():
                return _fn(*args)
        tasks[name] = huey.task(name=name)(in_app_context)
    app.extensions["jobs"] = {"huey": huey, "tasks": tasks, "worker": None}
    app.jinja_env.globals["job_stalled"] = stalled


WAITING = ("queued", "running")  # the statuses of a job not yet finished


def stalled(row) -> bool:
    """Whether a job's row (status, created_at and progress_at, as a registry import or an audit export
    keeps them) has said nothing for JOB_STALL_MINUTES and will not finish: running, when the process
    running it was stopped (a restart, a crash); queued, when no worker is alive to run it (one busy
    with a long job still beats, see run_worker). Its page says so instead of waiting."""
    if row.status not in WAITING or (row.progress_at or row.created_at) >= _stall_cutoff():
        return False
    return row.status != "queued" or not worker_alive()


def stalled_where(model, silent_for: timedelta | None = None):
    """The silence `stalled` asks for, as a condition on `model`'s rows, for a write that must hold only
    while its job is stopped; with `silent_for`, silent that long."""
    return and_(model.status.in_(WAITING),
                func.coalesce(model.progress_at, model.created_at) < _stall_cutoff(silent_for))


def _stall_cutoff(silent_for: timedelta | None = None) -> datetime:
    return datetime.now(UTC) - (silent_for or timedelta(minutes=current_app.config["JOB_STALL_MINUTES"]))


def enqueue(fn: Callable, *args) -> None:
    """Queue `fn(*args)`; the caller has committed what the job reads."""
    jobs = current_app.extensions["jobs"]
    if current_app.config["JOBS_IMMEDIATE"]:
        # Run at once, in the caller: end the caller's transaction first (one reopened since its commit by
        # reading), for on SQLite a request that changes things holds the write lock while its transaction
        # is open (see portal.db._sqlite_begin), and the job's own connection would wait on it in vain. One
        # queued as a commit ends (an e-mail) has nothing left open.
        transaction = db.session().get_transaction()
        if transaction is not None and transaction.is_active:
            db.session.commit()
    jobs["tasks"][f"{fn.__module__}.{fn.__qualname__}"](*args)
    if current_app.config["JOBS_IN_PROCESS"] and not current_app.config["JOBS_IMMEDIATE"]:
        _start_in_process_worker(jobs)


_worker_lock = threading.Lock()


def _start_in_process_worker(jobs: dict) -> None:
    with _worker_lock:
        if jobs["worker"] is None or not jobs["worker"].is_alive():
            jobs["worker"] = threading.Thread(target=run_worker, args=(jobs["huey"],), daemon=True,
                                              name="portal-jobs")
            jobs["worker"].start()


HEARTBEAT_KEY = "portal:worker-alive"
HEARTBEAT_SECONDS = 30


def worker_alive() -> bool:
    """Whether a worker has beaten in the last few HEARTBEAT_SECONDS, whatever job it is running."""
    beat = current_app.extensions["jobs"]["huey"].storage.peek_data(HEARTBEAT_KEY)
    return beat is not EmptyData and time.time() - float(bytes(beat)) < 4 * HEARTBEAT_SECONDS


def _beat(huey, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            huey.storage.put_data(HEARTBEAT_KEY, str(time.time()).encode())
        except Exception:  # the queue's store is away for a moment: queued jobs read as stopped meanwhile
            log.exception("background job worker could not record its heartbeat")
        stop.wait(HEARTBEAT_SECONDS)


def run_worker(huey, idle_seconds: float = 0.5, stop: threading.Event | None = None) -> None:
    """Run queued jobs one at a time until `stop` is set (or forever), beating every HEARTBEAT_SECONDS
    on a thread of its own meanwhile, so a job queued behind a long one is not taken for stopped."""
    stop = stop or threading.Event()
    threading.Thread(target=_beat, args=(huey, stop), daemon=True, name="portal-jobs-heartbeat").start()
    while not stop.is_set():
        task = huey.dequeue()
        if task is None:
            time.sleep(idle_seconds)
            continue
        try:
            huey.execute(task)
        except Exception:  # the job has recorded its own failure; keep serving the queue
            log.exception("background job %s failed", task.name)
