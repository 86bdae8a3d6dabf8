"""The scheduled commands: each idempotent (run twice, one email), run_lifecycle runs them all."""

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command

from lifecycle import jobs
from members import emails
from members.models import Credential, Notification
from tests.factories import report_for

from .conftest import on
from .factories import ExtensionRequestFactory, NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("command", "program", "day", "status"),
    [
        ("lapse_credentials", "ipma-hr", dt.date(2027, 1, 1), "renew"),
        ("lapse_credentials", "namss", dt.date(2027, 1, 1), "renew"),
        ("lapse_credentials", "ihmm", dt.date(2027, 3, 1), "renew"),
        ("terminate_credentials", "namss", dt.date(2027, 7, 1), "lapsed"),
        ("terminate_credentials", "ihmm", dt.date(2027, 9, 1), "lapsed"),
        ("send_cycle_reminders", "ipma-hr", dt.date(2026, 7, 4), "renew"),
        ("send_cycle_reminders", "namss", dt.date(2026, 6, 4), "renew"),
        ("send_cycle_reminders", "ihmm", dt.date(2026, 9, 1), "renew"),
        ("run_lifecycle", "namss", dt.date(2027, 1, 1), "renew"),
    ],
)
def test_every_command_run_twice_sends_one_email(run, credential_in, command, program, day, status):
    credential_in(program, status=status)
    assert len(run(command, day)) == 1
    assert run(command, day) == []
    # An hour later, the same day: still nothing.
    assert run(command, day) == []


def test_run_lifecycle_reports_each_job_and_takes_a_day(
    credential_in, django_capture_on_commit_callbacks
):
    credential = credential_in("ipma-hr")
    out = StringIO()
    with on(dt.date(2026, 12, 1)), django_capture_on_commit_callbacks(execute=True):
        call_command("run_lifecycle", "--today", "2027-01-01", stdout=out)
    assert out.getvalue().startswith("2027-01-01: extensions 0, lapse 1, terminate 0")
    credential.refresh_from_db()
    assert credential.status == Credential.Status.LAPSED


def test_a_bad_day_is_refused():
    with pytest.raises(CommandError, match="--today must be a date"):
        call_command("lapse_credentials", "--today", "01/01/2027")


def test_a_failing_job_does_not_stop_the_others_and_fails_the_command(
    monkeypatch, credential_in, django_capture_on_commit_callbacks
):
    def broken(*, today):
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "JOBS", [("broken", broken), *jobs.JOBS])
    credential = credential_in("ipma-hr")
    with (
        on(dt.date(2027, 1, 1)),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError, match="broken"),
    ):
        call_command("run_lifecycle", verbosity=0)
    credential.refresh_from_db()
    assert credential.status == Credential.Status.LAPSED


def test_an_email_recorded_by_a_concurrent_run_is_not_sent_again(run, credential_in):
    credential = credential_in("ipma-hr")
    report_for(credential)
    # Another process recorded this reminder first (the unique key is what makes it safe).
    key = f"cycle-reminder:{credential.pk}:{credential.cycle_start}:{credential.cycle_end}:180"
    NotificationFactory(key=key, member=credential.holder)
    assert run("send_cycle_reminders", dt.date(2026, 7, 4)) == []


def test_queue_is_a_no_op_for_a_recorded_key(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = emails.queue(key="k1", kind="lapsed", member=member, context=lapsed_context())
        second = emails.queue(key="k1", kind="lapsed", member=member, context=lapsed_context())
    assert first is not None and second is None
    assert len(mail.outbox) == 1


def test_a_failed_email_is_kept_and_sent_again_later(monkeypatch, run, credential_in, settings):
    credential_in("ipma-hr")
    settings.EMAIL_BACKEND = "tests.lifecycle.test_commands.FailingBackend"
    assert run("lapse_credentials", dt.date(2027, 1, 1)) == []
    notification = Notification.objects.get(kind="lapsed")
    assert notification.status == "failed" and "server down" in notification.error
    assert notification.next_attempt_at is not None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Not before the wait after the failed attempt is over.
    assert run("retry_emails", dt.date(2027, 1, 1)) == []
    sent = run("retry_emails", dt.date(2027, 1, 2))
    assert len(sent) == 1
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 2
    assert notification.next_attempt_at is None
    assert run("retry_emails", dt.date(2027, 1, 3)) == []


def test_retry_emails_now_sends_failed_emails_before_their_wait_is_over(
    run, credential_in, settings
):
    credential_in("ipma-hr")
    settings.EMAIL_BACKEND = "tests.lifecycle.test_commands.FailingBackend"
    run("lapse_credentials", dt.date(2027, 1, 1))
    notification = Notification.objects.get(kind="lapsed")
    assert notification.status == "failed" and notification.next_attempt_at is not None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = StringIO()
    call_command("retry_emails", "--now", "--today", "2027-01-01", stdout=out)
    assert out.getvalue().strip() == "2027-01-01: 1 emails sent"
    assert [m.to for m in mail.outbox] == [[notification.to_email]]
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 2


def test_a_notification_is_delivered_by_one_process_only(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notification = emails.queue(
            key="k2", kind="lapsed", member=member, context=lapsed_context()
        )
    assert emails.deliver(notification_id=notification.pk)
    assert not emails.deliver(notification_id=notification.pk)
    assert len(mail.outbox) == 1


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionError("server down")


def lapsed_context() -> dict:
    return {
        "designations": "IPMA-SCP",
        "designation_names": "Senior Certified Professional",
        "reason": "No report.",
        "cycle_start": dt.date(2024, 1, 1),
        "cycle_end": dt.date(2026, 12, 31),
        "deadline": dt.date(2026, 12, 31),
        "points_counted": "0",
        "points_required": "50",
        "point_name": "points",
    }


def test_an_extension_without_an_invoice_is_left_for_staff(run):
    extension = ExtensionRequestFactory()
    assert run("activate_extensions", dt.date(2026, 11, 1)) == []
    extension.refresh_from_db()
    assert extension.status == "requested"
