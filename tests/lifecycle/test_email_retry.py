"""retry_emails takes up emails whose sending process died mid-send, and only those: a row is
"sending" while a process sends it, and abandoned once it has been so for STALE_SENDING."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from members import emails
from members.models import Notification

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


class ProcessKilled(BaseException):
    """What a process that dies mid-send looks like from the row: nothing after the claim runs
    (deliver handles Exception, not this)."""


def die_while_sending(monkeypatch, notification: Notification) -> None:
    """A process claims the row and dies before the email is handed to the mail server."""

    def killed(_notification):
        raise ProcessKilled

    with monkeypatch.context() as patch:
        patch.setattr(emails, "content", killed)
        with pytest.raises(ProcessKilled):
            emails.deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENDING


def retry(moment: dt.datetime) -> int:
    before = len(mail.outbox)
    with at(moment):
        call_command("retry_emails", verbosity=0)
    return len(mail.outbox) - before


def test_an_email_left_sending_by_a_dead_process_is_sent_after_the_window(monkeypatch):
    with at(T0):
        notification = NotificationFactory()
        die_while_sending(monkeypatch, notification)
    assert notification.claimed_at == T0 and notification.attempts == 1

    # Within the window the sending process may still be at it: left alone.
    assert retry(T0 + dt.timedelta(minutes=14)) == 0
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENDING and notification.attempts == 1

    assert retry(T0 + dt.timedelta(minutes=16)) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT and notification.attempts == 2
    assert mail.outbox[-1].subject == notification.subject

    assert retry(T0 + dt.timedelta(hours=2)) == 0


def test_a_row_being_sent_now_is_not_sent_again(monkeypatch):
    """The window runs from the claim, not from the row's creation: an old failed email taken up
    by a retry is not claimed a second time while that retry sends it."""
    with at(T0):
        notification = NotificationFactory(status=Notification.Status.FAILED, attempts=1)
    later = T0 + dt.timedelta(hours=3)
    with at(later):
        die_while_sending(monkeypatch, notification)
    assert notification.claimed_at == later

    with at(later + dt.timedelta(minutes=5)):
        assert not emails.deliver(notification_id=notification.pk)
    assert retry(later + dt.timedelta(minutes=5)) == 0
    assert retry(later + dt.timedelta(minutes=15, seconds=1)) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT and notification.attempts == 3


def test_of_two_claims_at_once_one_sends():
    with at(T0):
        notification = NotificationFactory(
            status=Notification.Status.SENDING, attempts=1, claimed_at=T0
        )
    with at(T0 + dt.timedelta(minutes=20)):
        assert emails.deliver(notification_id=notification.pk)
        assert not emails.deliver(notification_id=notification.pk)
    assert len(mail.outbox) == 1


def test_an_abandoned_email_without_attempts_left_is_shown_as_failed():
    with at(T0):
        notification = NotificationFactory(
            status=Notification.Status.SENDING, attempts=emails.max_attempts(), claimed_at=T0
        )
    assert retry(T0 + dt.timedelta(minutes=10)) == 0
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENDING

    assert retry(T0 + dt.timedelta(minutes=16)) == 0
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "Sending stopped" in notification.error


def test_a_row_sending_since_before_claims_were_timed_is_taken_up_by_its_age():
    with at(T0):
        notification = NotificationFactory(status=Notification.Status.SENDING, attempts=1)
    assert notification.claimed_at is None
    assert retry(T0 + dt.timedelta(minutes=10)) == 0
    assert retry(T0 + dt.timedelta(minutes=16)) == 1
