"""The credential lifecycle's scheduled jobs, in the order `manage.py run_lifecycle` runs them
(`JOBS`, `run_all`). See docs/lifecycle.md and docs/deployment.md ("Workers").

Each job is a scan that finds only what is due on `today` (indexed queries, a batch at a time, so
that neither its time nor its memory grows with the members who have nothing due) and queues one
task per credential (or report, invoice, extension) in `lifecycle.tasks`. A task locks its row,
checks again and does nothing when the work is done, and every email is recorded under a unique
key in the transaction of the change (members/emails.py): a second scan, or a task run twice,
changes and emails once. `run_all` takes a lock first (`scan_lock`), so an overrunning scan is
never joined by a second one.

Each `run_<job>(*, today) -> int` returns how many tasks it queued or, with tasks run in process
(settings.TASK_QUEUE), how many changes or emails they made. Every transition leaves an AuditLog
row (actor None: the system).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone

from core import tasks
from members import emails
from recertification import opening

from . import certificates, extensions, lapse, reminders
from . import tasks as lifecycle_tasks

logger = logging.getLogger(__name__)

# The PostgreSQL advisory lock a scan holds (any number of the portal's; this one names the scan).
SCAN_LOCK_KEY = 7_311_202_601


def _queue(task: Any, calls: Iterable[dict[str, Any]]) -> int:
    """Queue `task` once per call; nothing while tasks of it an earlier scan queued still wait (the
    workers are behind): they do that work, and queuing it again every hour would only grow the
    queue. The next scan after they ran finds what is left."""
    waiting = tasks.waiting(task)
    if waiting:
        logger.warning(
            "%s: %s tasks of an earlier run still waiting; none queued", task.name, waiting
        )
        return 0
    queued = sum(tasks.enqueue_many(task, chunk) for chunk in tasks.chunked(calls))
    tasks.analyze_queue(queued)
    return queued


def run_extensions(*, today: dt.date) -> int:
    """Extensions whose fee was paid become active; fees no longer needed (report submitted,
    request cancelled) are cancelled."""
    day = today.isoformat()
    synced = _queue(
        lifecycle_tasks.sync_extension,
        ({"extension_id": pk, "today": day} for pk in extensions.extensions_to_sync()),
    )
    released = _queue(
        lifecycle_tasks.release_extension_fee,
        ({"extension_id": pk} for pk in extensions.fees_no_longer_needed()),
    )
    return synced + released


def run_lapse(*, today: dt.date) -> int:
    """Lapse every open credential whose cycle ended without an approved (or pending) report."""
    day = today.isoformat()
    return _queue(
        lifecycle_tasks.lapse_credential,
        ({"credential_id": pk, "today": day} for pk in lapse.lapses_due(today=today)),
    )


def run_terminate(*, today: dt.date) -> int:
    """Terminate lapsed credentials whose grace period is over."""
    day = today.isoformat()
    return _queue(
        lifecycle_tasks.terminate_credential,
        ({"credential_id": pk, "today": day} for pk in lapse.terminations_due(today=today)),
    )


def run_reports(*, today: dt.date) -> int:
    """Open the reports of open credentials written without one (a bulk write or raw SQL sends no
    signal); returns how many members were given reports."""
    return opening.reports_open_missing()


def run_certificates(*, today: dt.date) -> int:
    """A certificate for every credential renewed by a recent approval that has none."""
    day = today.isoformat()
    return _queue(
        lifecycle_tasks.issue_certificate,
        ({"credential_id": pk, "today": day} for pk in certificates.certificates_due(today=today)),
    )


def run_cycle_reminders(*, today: dt.date) -> int:
    """Remind members whose report is not submitted, on the configured days before the deadline."""
    day = today.isoformat()
    return _queue(
        lifecycle_tasks.send_cycle_reminder,
        (
            {"credential_ids": ids, "today": day}
            for ids in reminders.cycle_reminders_due(today=today)
        ),
    )


def run_invoice_reminders(*, today: dt.date) -> int:
    """Remind members of unpaid invoices before they fall due."""
    day = today.isoformat()
    return _queue(
        lifecycle_tasks.send_invoice_reminder,
        ({"invoice_id": pk, "today": day} for pk in reminders.invoice_reminders_due(today=today)),
    )


def run_email_retry(*, today: dt.date, without_waiting: bool = False) -> int:
    """Send (or queue) emails no task holds: failed, left unsent by a stopped process; with
    `without_waiting`, failed emails also before the wait after their last attempt is over."""
    return emails.retry_unsent(without_waiting=without_waiting)


def run_tasks_prune(*, today: dt.date) -> int:
    """Delete the finished tasks staff no longer need to see (core.tasks.prune_finished)."""
    return tasks.prune_finished(now=timezone.now())


JOBS: list[tuple[str, Callable[..., int]]] = [
    ("extensions", run_extensions),
    ("lapse", run_lapse),
    ("terminate", run_terminate),
    # After lapse and termination (a credential lapsing today gets no report), before the reminders.
    ("reports", run_reports),
    ("certificates", run_certificates),
    ("cycle_reminders", run_cycle_reminders),
    ("invoice_reminders", run_invoice_reminders),
    ("email_retry", run_email_retry),
    ("tasks_prune", run_tasks_prune),
]


_MEMORY_LOCK = threading.Lock()


class ScanRunning(Exception):
    """Another scan holds the lock: this one does nothing."""


@contextmanager
def scan_lock() -> Iterator[None]:
    """Hold the scan's lock for the block, or raise ScanRunning at once when another process holds
    it: on PostgreSQL a session advisory lock (released by the database if the process dies), on
    SQLite an exclusive lock on a file beside the database (one machine), or, for a database in
    memory, a lock of this process."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [SCAN_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise ScanRunning
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SCAN_LOCK_KEY])
        return
    name = str(connection.settings_dict["NAME"])
    if "memory" in name:
        # A database in memory belongs to this process alone: so does its lock.
        if not _MEMORY_LOCK.acquire(blocking=False):
            raise ScanRunning
        try:
            yield
        finally:
            _MEMORY_LOCK.release()
        return
    path = Path(name)
    with open(path.with_name(path.name + ".lifecycle-lock"), "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ScanRunning from None
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def run_all(*, today: dt.date) -> dict[str, int]:
    """Every job, in order, under the scan's lock; a failing job is logged and the others still
    run. Raises ScanRunning when another scan is running."""
    results: dict[str, int] = {}
    with scan_lock():
        for name, job in JOBS:
            try:
                results[name] = job(today=today)
            except Exception:
                logger.exception("lifecycle job %s failed", name)
                results[name] = -1
    return results
