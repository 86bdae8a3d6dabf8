"""The lifecycle on the task queue: the scan queues one task per credential due and nothing for the
rest; the tasks, however often they run, change and email once; a second scheduler started while
a scan runs does nothing; a change that rolls back queues no email.

Real parts: the database queue (django-tasks-db) run by its worker loop; PostgreSQL's advisory lock
and a second database connection for the two schedulers (PostgreSQL only).
"""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from core import tasks
from core.models import AuditLog
from lifecycle import jobs, lapse
from lifecycle import tasks as lifecycle_tasks
from members.models import Credential, Notification
from tests.concurrency import postgres_only
from tests.queue import queued, run_worker

from .conftest import on, status_of

pytestmark = pytest.mark.django_db

LAPSE = "lifecycle.tasks.lapse_credential"
SEND = "members.emails.send_email"
DAY = dt.date(2027, 1, 1)  # the day after the IPMA-HR test cycle ends


def scan(day: dt.date = DAY) -> str:
    out = StringIO()
    with on(day):
        call_command("run_lifecycle", stdout=out)
    return out.getvalue()


def test_the_scan_queues_one_task_per_credential_due_and_none_for_the_rest(
    database_queue, credential_in, member
):
    from tests.factories import UserFactory

    due = [credential_in("ipma-hr", holder=UserFactory()) for _ in range(3)]
    not_due = credential_in("ihmm")  # its cycle ends in 2027
    output = scan()
    assert "lapse 3" in output and "(tasks queued)" in output
    assert sorted(kw["credential_id"] for kw in queued(LAPSE)) == sorted(c.pk for c in due)
    # Nothing changed yet: the scan only finds; workers do.
    assert {status_of(c) for c in due} | {status_of(not_due)} == {Credential.Status.RENEW}

    with on(DAY):
        run_worker()
    assert {status_of(c) for c in due} == {"lapsed"}
    assert Notification.objects.filter(kind="lapsed").count() == 3
    assert Notification.objects.filter(kind="lapsed", status="sent").count() == 3


def test_tasks_queued_twice_change_and_email_once(database_queue, credential_in):
    credential = credential_in("ipma-hr")
    scan()
    # The same task again (a scan of another day, a task a worker took twice).
    tasks.enqueue_many(lifecycle_tasks.lapse_credential, queued(LAPSE))
    assert len(queued(LAPSE)) == 2
    with on(DAY):
        run_worker()
    assert status_of(credential) == "lapsed"
    assert AuditLog.objects.filter(action="lapsed").count() == 1
    assert Notification.objects.filter(kind="lapsed").count() == 1
    # And the day's next scan finds nothing left to do.
    assert "lapse 0" in scan()


def test_while_the_workers_are_behind_the_next_scan_queues_nothing_again(
    database_queue, credential_in
):
    from tests.factories import UserFactory

    credentials = [credential_in("ipma-hr", holder=UserFactory()) for _ in range(2)]
    assert "lapse 2" in scan()
    assert "lapse 0" in scan()  # the next hour's: the first scan's tasks still wait
    assert len(queued(LAPSE)) == 2
    with on(DAY):
        run_worker()
    assert {status_of(c) for c in credentials} == {"lapsed"}
    assert "lapse 0" in scan()  # done: nothing left to find


def test_an_idle_day_queues_nothing(database_queue, credential_in):
    credential_in("ihmm")
    output = scan(dt.date(2026, 6, 15))
    assert not DBTaskResult.objects.exists(), output


def test_a_lapse_that_rolls_back_queues_no_email(database_queue, credential_in):
    credential = credential_in("ipma-hr")
    with on(DAY), pytest.raises(RuntimeError), transaction.atomic():
        assert lapse.credential_lapse_if_due(credential_id=credential.pk, today=DAY)
        assert queued(SEND)
        raise RuntimeError("a later step of the same change fails")
    assert status_of(credential) == Credential.Status.RENEW
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the lock file is SQLite's lock")
def test_on_sqlite_a_second_scan_while_one_holds_the_lock_does_nothing(
    credential_in, django_capture_on_commit_callbacks
):
    credential = credential_in("ipma-hr")
    with jobs.scan_lock(), django_capture_on_commit_callbacks(execute=True):
        output = scan()
    assert "another lifecycle run is running" in output
    assert status_of(credential) == Credential.Status.RENEW
    with django_capture_on_commit_callbacks(execute=True):
        assert "lapse 1" in scan()
    assert status_of(credential) == "lapsed"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_do_the_work_once(database_queue, credential_in, monkeypatch):
    """The first scan holds PostgreSQL's advisory lock while it runs; a second scheduler started
    meanwhile (another machine's cron) sees it and exits; the work is queued once and done once."""
    from tests.factories import UserFactory

    credentials = [credential_in("ipma-hr", holder=UserFactory()) for _ in range(4)]
    inside, release = threading.Event(), threading.Event()

    def overrunning(*, today):
        inside.set()
        assert release.wait(30)
        return 0

    monkeypatch.setattr(jobs, "JOBS", [("overrunning", overrunning), *jobs.JOBS])
    outputs: list[str] = []

    def first() -> None:
        try:
            outputs.append(scan())
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(30)
    second = scan()  # this thread's own connection: another session
    release.set()
    thread.join(60)

    assert "another lifecycle run is running" in second
    assert "lapse 4" in outputs[0]
    assert len(queued(LAPSE)) == 4
    with on(DAY):
        run_worker()
    assert {status_of(c) for c in credentials} == {"lapsed"}
    assert AuditLog.objects.filter(action="lapsed").count() == 4
    assert Notification.objects.filter(kind="lapsed", status="sent").count() == 4
    # The lock was let go: the next hour's scan runs (and finds nothing more to lapse).
    assert "lapse 0" in scan()
