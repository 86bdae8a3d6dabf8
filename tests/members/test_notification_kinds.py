"""Every email queued through members.emails.queue is of a Notification.Kind: the sent-email log in
the admin names, filters and validates rows by kind."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from backoffice import audits, review
from members import emails
from members.models import Notification
from tests.factories import StaffFactory
from tests.staff.conftest import submitted_report

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))


def test_staff_decisions_and_receipts_queue_emails_of_a_known_kind(
    django_capture_on_commit_callbacks,
):
    office = StaffFactory(is_superuser=True)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        review.report_approve(report=submitted_report(), actor=office)  # paid by check: a receipt
        review.report_return(report=submitted_report(), actor=office, reason="Dates are missing.")
        audits.report_select_for_audit(
            report=submitted_report(), actor=office, reason="Spot check."
        )

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"report_approved", "report_returned", "audit_selected", "payment_receipt"} <= kinds
    assert kinds <= set(Notification.Kind.values)
    for notification in Notification.objects.all():
        notification.full_clean()  # the kind is one of the field's choices
        assert notification.status == Notification.Status.SENT
    receipt = Notification.objects.filter(kind="payment_receipt").first()
    assert str(receipt) == f"Payment receipt to {receipt.to_email}"


def test_every_kind_has_a_member_facing_label():
    for value, label in Notification.Kind.choices:
        assert label and label != value and "_" not in label


def test_queue_refuses_a_kind_that_is_not_declared(member):
    with pytest.raises(ValueError, match="not a Notification.Kind"):
        emails.queue(
            key="unknown:1", kind="report_misplaced", member=member, context={},
            message=("Subject", "Body", ""),
        )  # fmt: skip
    assert not Notification.objects.exists()


def test_a_row_of_an_undeclared_kind_does_not_validate(member):
    notification = Notification(
        key="k", kind="report_misplaced", member=member, to_email=member.email, subject="s",
        body_text="b",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="kind"):
        notification.full_clean()
