"""Emails on the task queue: one task per email, queued in the transaction of the change; sent on a
kept SMTP connection at the deployment's rate; retried over hours through an SMTP outage and
delivered exactly once; a hanging mail server costs one email one timeout, not every email.

Real parts: the database queue (django-tasks-db) run by its own worker loop, Django's SMTP backend,
and an SMTP server on a local port (bench/smtp_sink.py); an outage is a port nobody listens on.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from bench.smtp_sink import SmtpSink
from members import emails
from members.models import Notification
from tests.concurrency import postgres_only
from tests.factories import UserFactory
from tests.queue import queued, run_worker, use_smtp, worker_thread
from tests.servers import free_port

pytestmark = pytest.mark.django_db

SEND = "members.emails.send_email"
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def lapsed_context() -> dict:
    return {
        "designations": "IPMA-SCP",
        "designation_names": "Senior Certified Professional",
        "reason": "No report.",
    }


def queue_emails(count: int) -> list[Notification]:
    members = UserFactory.create_batch(count)
    with transaction.atomic():
        return [
            emails.queue(key=f"q:{m.pk}", kind="lapsed", member=m, context=lapsed_context())
            for m in members
        ]


# --- The task is written by the change's transaction ----------------------------------------


def test_an_email_queued_by_a_change_that_rolls_back_leaves_no_task(database_queue):
    member = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        emails.queue(key="rolled-back", kind="lapsed", member=member, context=lapsed_context())
        assert queued(SEND)  # written in the transaction...
        raise RuntimeError("the change fails after the email was recorded")
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()  # ...and gone with it


def test_an_email_queued_by_a_change_that_commits_has_exactly_one_task(database_queue):
    (notification,) = queue_emails(1)
    assert queued(SEND) == [{"notification_id": notification.pk}]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING  # nothing is sent by the change


def test_in_process_a_rolled_back_change_sends_nothing(
    mailoutbox, django_capture_on_commit_callbacks
):
    member = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        emails.queue(key="gone", kind="lapsed", member=member, context=lapsed_context())
        raise RuntimeError
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emails.queue(key="kept", kind="lapsed", member=member, context=lapsed_context())
        assert mailoutbox == []  # not before the commit
    assert len(mailoutbox) == 1


# --- Sending -------------------------------------------------------------------------------


def test_a_worker_sends_every_email_once_on_one_kept_connection(database_queue, smtp):
    notifications = queue_emails(30)
    assert run_worker("email") == 30
    assert sorted(smtp.recipients()) == sorted(n.to_email for n in notifications)
    assert smtp.connections == 1
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    # A task run again (a worker restarted mid-run) finds its email sent: nothing more goes out.
    for n in notifications[:5]:
        assert emails.deliver(notification_id=n.pk) is False
    assert len(smtp.messages) == 30


def test_a_connection_the_server_dropped_is_opened_again_without_a_failed_attempt(
    database_queue, settings
):
    first = SmtpSink().start()
    use_smtp(settings, first.port)
    queue_emails(2)
    assert run_worker("email") == 2
    port = first.port
    first.stop()  # the server closes its side while the worker keeps the connection
    second = SmtpSink(port=port).start()
    try:
        (later,) = queue_emails(1)
        run_worker("email")
        later.refresh_from_db()
        assert later.status == "sent" and later.attempts == 1
        assert len(second.messages) == 1
    finally:
        second.stop()
        emails._smtp_drop()


def test_sending_keeps_to_the_rate_the_deployment_sets(database_queue, smtp, settings, monkeypatch):
    """With EMAIL_RATE_PER_SECOND 4, no second of the (simulated) clock sends more than 4."""
    settings.EMAIL_RATE_PER_SECOND = 4
    clock = [1_000_000.0]
    monkeypatch.setattr(emails.time, "time", lambda: clock[0])
    monkeypatch.setattr(
        emails.time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds)
    )
    sent_at = []
    real_send_on = emails._send_on

    def send_on(connection, message):
        sent_at.append(int(clock[0]))
        real_send_on(connection, message)

    monkeypatch.setattr(emails, "_send_on", send_on)
    queue_emails(10)
    run_worker("email")
    per_second = Counter(sent_at)
    assert sum(per_second.values()) == 10
    assert max(per_second.values()) == 4 and len(per_second) == 3


# --- An SMTP outage longer than a run ------------------------------------------------------


def test_smtp_down_for_longer_than_a_run_then_up_delivers_every_email_exactly_once(
    database_queue, settings
):
    port = free_port()  # nobody listens: the mail server is down
    use_smtp(settings, port, timeout=2)
    with at(T0):
        notifications = queue_emails(12)
        run_worker("email")
    rows = Notification.objects.all()
    assert {(n.status, n.attempts) for n in rows} == {("failed", 1)}
    assert {n.next_attempt_at for n in rows} == {T0 + dt.timedelta(minutes=1)}
    # Each email's next attempt is a task that waits for its time: a worker now runs nothing.
    with at(T0 + dt.timedelta(seconds=30)):
        assert run_worker("email") == 0

    # The outage lasts hours: hourly lifecycle runs come and go, attempts keep their waits.
    moment = T0
    for minutes in (2, 10, 30, 62, 125):
        moment = T0 + dt.timedelta(minutes=minutes)
        with at(moment):
            call_command("run_lifecycle", verbosity=0)
            run_worker()
    attempts = set(Notification.objects.values_list("attempts", flat=True))
    assert attempts == {6}, "one attempt per wait (1, 5, 15, 30, 60 minutes), no more"
    assert set(Notification.objects.values_list("status", flat=True)) == {"failed"}

    sink = SmtpSink(port=port).start()  # the mail server is back
    try:
        with at(moment + dt.timedelta(hours=3)):
            call_command("run_lifecycle", verbosity=0)
            run_worker()
        with at(moment + dt.timedelta(hours=30)):
            call_command("run_lifecycle", verbosity=0)
            run_worker()
        assert sorted(sink.recipients()) == sorted(n.to_email for n in notifications)
        assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        sink.stop()
        emails._smtp_drop()


def test_an_email_that_never_goes_through_stops_after_its_attempts_and_staff_can_send_it_again(
    database_queue, settings, admin_client
):
    use_smtp(settings, free_port(), timeout=2)
    settings.EMAIL_RETRY_MINUTES = "1,5"
    with at(T0):
        (notification,) = queue_emails(1)
        run_worker("email")
    for minutes in (2, 10, 60):
        with at(T0 + dt.timedelta(minutes=minutes)):
            run_worker("email")
    notification.refresh_from_db()
    assert notification.status == "failed" and notification.attempts == 3
    assert notification.next_attempt_at is None  # no attempt left: it waits for staff
    assert not queued(SEND)

    # Staff find it among the failed emails and send it again once the server is back.
    page = admin_client.get("/admin/members/notification/", {"status__exact": "failed"})
    assert notification.subject in page.content.decode()
    sink = SmtpSink().start()
    try:
        use_smtp(settings, sink.port)
        response = admin_client.post(
            "/admin/members/notification/",
            {"action": "send_again", "_selected_action": [notification.pk]},
            follow=True,
        )
        assert "1 failed email(s) queued to send again." in response.content.decode()
        run_worker("email")
        notification.refresh_from_db()
        assert notification.status == "sent"
        assert sink.recipients() == [notification.to_email]
    finally:
        sink.stop()
        emails._smtp_drop()


# --- A mail server that accepts and hangs --------------------------------------------------


def test_a_hanging_mail_server_costs_one_email_one_timeout_then_the_rest_go_on(
    database_queue, settings
):
    """The first connection is accepted and never answered: that email fails after EMAIL_TIMEOUT,
    the worker opens a new connection for the next, and the failed one goes on its next attempt."""
    sink = SmtpSink(hang_connections=1).start()
    use_smtp(settings, sink.port, timeout=2)
    try:
        with at(T0):
            notifications = queue_emails(15)
            run_worker("email")
        statuses = Counter(Notification.objects.values_list("status", flat=True))
        assert statuses == {"sent": 14, "failed": 1}
        assert sink.connections == 2  # the hung one, then one for the other 14
        with at(T0 + dt.timedelta(hours=1)):
            run_worker("email")
        assert sorted(sink.recipients()) == sorted(n.to_email for n in notifications)
    finally:
        sink.stop()
        emails._smtp_drop()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_hanging_mail_server_does_not_stall_the_other_workers(database_queue, settings):
    """Two workers: while one waits on a connection the server never answers, the other sends
    every other email."""
    sink = SmtpSink(hang_connections=1).start()
    use_smtp(settings, sink.port, timeout=10)
    try:
        notifications = queue_emails(20)
        workers = [worker_thread("email", f"worker-{i}") for i in (1, 2)]
        deadline = time.monotonic() + 9
        while len(sink.messages) < 19 and time.monotonic() < deadline:
            time.sleep(0.05)
        # 19 sent while the hung email is still being sent: nobody waited for it.
        assert len(sink.messages) == 19
        assert Notification.objects.filter(status="sending").count() == 1
        for worker in workers:
            worker.join(30)
        hung = Notification.objects.get(status="failed")
        assert "timed out" in hung.error
        assert hung.next_attempt_at is not None
        sent = {n.to_email for n in notifications} - {hung.to_email}
        assert sorted(sink.recipients()) == sorted(sent)
    finally:
        sink.stop()
        emails._smtp_drop()


# --- Emails no task holds ------------------------------------------------------------------


def test_the_hourly_run_queues_emails_whose_task_was_lost_and_only_those(database_queue):
    with at(T0):
        waiting, lost = queue_emails(2)
    DBTaskResult.objects.all().delete()  # e.g. a worker died between taking a task and the row
    with at(T0 + dt.timedelta(hours=1)):
        assert emails.retry_unsent() == 0  # not yet: their tasks may only be behind
    Notification.objects.filter(pk=waiting.pk).update(created_at=T0 + dt.timedelta(hours=5))
    with at(T0 + emails.TASK_LOST_AFTER + dt.timedelta(minutes=1)):
        assert emails.retry_unsent() == 1
    assert queued(SEND) == [{"notification_id": lost.pk}]
