"""Concurrent runs on PostgreSQL, where row locks mean something: one change, one email.

Each thread uses its own connection; the test database is transactional so that the threads see
each other's commits, and the emails go out after commit for real.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from core.models import AuditLog
from lifecycle import certificates, jobs
from members.models import Credential, Notification
from tests.concurrency import postgres_only
from tests.concurrency import run_together as _run_together
from tests.factories import CredentialFactory, report_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgres_only,
]


def run_together(target):
    return _run_together(target, count=4)


def test_simultaneous_lapse_runs_lapse_once_and_email_once():
    credentials = [CredentialFactory(designation=d) for d in ("IPMA-SCP", "IPMA-CP", "IPMA-CS")]
    results = run_together(lambda: jobs.run_lapse(today=dt.date(2027, 1, 1)))
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 3
    assert Credential.objects.filter(status="lapsed").count() == 3
    assert AuditLog.objects.filter(action="lapsed").count() == 3
    assert len(mail.outbox) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.holder.email for c in credentials)


def test_simultaneous_reminder_runs_send_one_reminder():
    credential = CredentialFactory()
    report_for(credential)
    results = run_together(lambda: jobs.run_cycle_reminders(today=dt.date(2026, 7, 4)))
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 1
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_simultaneous_certificate_issues_give_one_certificate():
    credential = CredentialFactory()
    results = run_together(
        lambda: certificates.certificate_issue(credential=credential, today=dt.date(2026, 1, 1))
    )
    assert len({r.pk for r in results}) == 1, results
    assert len(mail.outbox) == 1


def test_simultaneous_retries_send_an_abandoned_email_once():
    from django.utils import timezone

    from members import emails
    from tests.lifecycle.factories import NotificationFactory

    long_ago = timezone.now() - emails.STALE_SENDING - dt.timedelta(minutes=1)
    notification = NotificationFactory(status="sending", attempts=1, claimed_at=long_ago)
    results = run_together(emails.retry_unsent)
    assert sorted(results) == [0, 0, 0, 1], results
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 2
    assert len(mail.outbox) == 1
