"""The task queue in tests: the database queue switched on, workers run in the test's process, and
the SMTP sink (bench/smtp_sink.py) as the mail server.

The suite runs tasks in process (tests/settings.py, as `make run` does); the tests of the queue
itself ask for `database_queue` and run `run_worker` where production runs `manage.py db_worker`.
"""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from bench.smtp_sink import SmtpSink
from members import emails

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
}


@pytest.fixture
def database_queue(settings):
    """Tasks are rows of the database queue, run only by a worker (settings.TASK_QUEUE "database")."""
    settings.TASK_QUEUE = "database"
    settings.TASKS = DATABASE_TASKS
    return settings


def run_worker(queue: str = "*", *, worker_id: str = "test-worker") -> int:
    """What `manage.py db_worker --batch` does: run every ready task of `queue`, then return how
    many ran."""
    worker = Worker(
        queue_names=queue.split(","),
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    if connection.in_atomic_block:
        # Inside a test's transaction: the worker's check of its connection between tasks would
        # close it (a production worker runs outside any transaction, where the check is right).
        with mock.patch.object(db_worker, "close_old_connections", lambda: None):
            worker.run()
    else:
        worker.run()
    return worker._run_tasks


def worker_thread(queue: str, worker_id: str) -> threading.Thread:
    """A worker on its own thread and database connection (PostgreSQL tests)."""

    def run() -> None:
        try:
            run_worker(queue, worker_id=worker_id)
        finally:
            emails._smtp_drop()
            connection.close()

    thread = threading.Thread(target=run, name=worker_id, daemon=True)
    thread.start()
    return thread


def queued(task_path: str) -> list[dict]:
    """The keyword arguments of the ready tasks of `task_path` (e.g. "members.emails.send_email")."""
    rows = DBTaskResult.objects.filter(task_path=task_path, status="READY").order_by("enqueued_at")
    return [row.args_kwargs["kwargs"] for row in rows]


@pytest.fixture
def smtp(settings):
    """The SMTP sink, and the portal's SMTP settings pointing at it."""
    sink = SmtpSink().start()
    use_smtp(settings, sink.port)
    yield sink
    sink.stop()
    emails._smtp_drop()


def use_smtp(settings, port: int, *, timeout: int = 5) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = timeout
