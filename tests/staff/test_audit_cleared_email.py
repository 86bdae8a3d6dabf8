"""Clearing an audit tells the member: documents accepted, what happens next, and any entry whose
documents were not accepted with staff's note and the audited total."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase

from backoffice import audits as staff_audits
from members.models import Notification
from recertification.models import AuditDecision, Report
from tests.staff.conftest import submitted_report

pytestmark = pytest.mark.django_db

ACCEPTED, REJECTED = AuditDecision.Decision.ACCEPTED, AuditDecision.Decision.REJECTED
KIND = "audit_cleared"


def decided(reviewer, *, reject_note: str = "") -> Report:
    """A report under audit with every entry decided; the big entry alone meets the requirement,
    so rejecting the small one still clears."""
    report = submitted_report(entries=2)
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    report.refresh_from_db()
    big, small = report.entries.order_by("created_at", "id")
    staff_audits.audit_entries_decide(
        report=report,
        decisions=[
            (big, ACCEPTED, ""),
            (small, REJECTED, reject_note) if reject_note else (small, ACCEPTED, ""),
        ],
        actor=reviewer,
    )
    mail.outbox.clear()
    return report


def cleared_emails() -> list[Notification]:
    return list(Notification.objects.filter(kind=KIND))


def test_clearing_emails_the_member_once_with_rejected_notes_and_the_total(reviewer):
    report = decided(reviewer, reject_note="The agenda does not show the hours.")
    with TestCase.captureOnCommitCallbacks(execute=True):
        staff_audits.audit_clear(report=report, actor=reviewer)

    [notification] = cleared_emails()
    assert notification.member == report.member
    assert notification.to_email == report.member.email
    [sent] = mail.outbox
    assert sent.to == [report.member.email]
    assert not sent.cc and not sent.bcc
    assert "audit is complete" in sent.subject.lower()
    body = sent.body
    assert "accepted" in body
    assert "The agenda does not show the hours." in body
    # The accepted full day alone: 51 of the 50 points required.
    assert "51 of 50 points" in body
    assert "review" in body
    html = sent.alternatives[0][0]
    assert "The agenda does not show the hours." in html
    assert "51 of 50 points" in html

    # Clearing again is a no-op: no second email.
    with TestCase.captureOnCommitCallbacks(execute=True):
        staff_audits.audit_clear(report=report, actor=reviewer)
    assert len(cleared_emails()) == 1
    assert len(mail.outbox) == 1


def test_with_every_document_accepted_the_email_lists_no_rejection(reviewer):
    report = decided(reviewer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        staff_audits.audit_clear(report=report, actor=reviewer)
    [sent] = mail.outbox
    assert "not accepted" not in sent.body.lower()
    assert "52 of 50 points" in sent.body


def test_a_clear_rolled_back_sends_nothing(reviewer):
    report = decided(reviewer, reject_note="No certificate.")
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        staff_audits.audit_clear(report=report, actor=reviewer)
        raise RuntimeError("the request failed after the clear")
    assert cleared_emails() == []
    assert mail.outbox == []
    report.refresh_from_db()
    assert report.status == Report.Status.AUDIT


def test_the_member_portal_shows_the_audit_is_complete(reviewer, client):
    report = decided(reviewer)
    staff_audits.audit_clear(report=report, actor=reviewer)
    client.force_login(report.member)
    page = client.get("/recertification/").content.decode()
    assert "Audit complete" in page
