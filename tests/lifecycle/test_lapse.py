"""Lapses: IPMA-HR and IHMM the day after the cycle ends, NAMSS on 1 January after the renewal year."""

import datetime as dt

import pytest

from core.models import AuditLog
from lifecycle import lapse
from members.models import Credential, Notification
from recertification.models import Report
from tests.factories import report_for

from .conftest import status_of, submitted

pytestmark = pytest.mark.django_db

LAPSE = "lapse_credentials"


@pytest.mark.parametrize(
    ("program", "last_open_day", "lapse_day"),
    [
        ("ipma-hr", dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
        ("namss", dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
        ("ihmm", dt.date(2027, 2, 28), dt.date(2027, 3, 1)),
    ],
)
def test_a_credential_without_a_report_lapses_the_day_after_its_last_day(
    run, credential_in, program, last_open_day, lapse_day
):
    credential = credential_in(program)
    assert run(LAPSE, last_open_day) == []
    assert status_of(credential) == Credential.Status.RENEW
    sent = run(LAPSE, lapse_day)
    assert status_of(credential) == Credential.Status.LAPSED
    assert len(sent) == 1
    assert sent[0].to == [credential.holder.email]
    assert "has lapsed" in sent[0].subject


def test_namss_stays_open_through_the_late_period_in_december(run, credential_in):
    credential = credential_in("namss")
    for day in (dt.date(2026, 12, 2), dt.date(2026, 12, 15), dt.date(2026, 12, 31)):
        assert run(LAPSE, day) == []
    assert status_of(credential) == Credential.Status.RENEW


def test_running_twice_lapses_once_and_sends_one_email(run, credential_in):
    credential = credential_in("ipma-hr")
    first = run(LAPSE, dt.date(2027, 1, 1))
    second = run(LAPSE, dt.date(2027, 1, 1))
    third = run(LAPSE, dt.date(2027, 1, 2))
    assert (len(first), len(second), len(third)) == (1, 0, 0)
    assert AuditLog.objects.filter(object_id=str(credential.pk), action="lapsed").count() == 1
    assert Notification.objects.filter(kind="lapsed").count() == 1


def test_the_lapse_is_audited_as_a_system_action_with_the_reason(run, credential_in):
    credential = credential_in("ipma-hr")
    run(LAPSE, dt.date(2027, 1, 1))
    log = AuditLog.objects.get(object_id=str(credential.pk), action="lapsed")
    assert log.actor is None
    assert log.member == credential.holder
    assert log.object_type == "members.credential"
    assert log.before == {"status": "renew"}
    assert log.after["status"] == "lapsed"
    assert "No Recertification Report was submitted by 12/31/2026" in log.reason


def test_an_approved_report_or_a_renewed_credential_does_not_lapse(run, credential_in):
    credential = credential_in("ipma-hr")
    submitted(credential, dt.date(2026, 6, 1), status=Report.Status.APPROVED)
    run(LAPSE, dt.date(2027, 1, 1))
    assert status_of(credential) == Credential.Status.RENEW
    # Approval renews: the next cycle has not ended.
    renewed = credential_in(
        "ipma-hr",
        designation="IPMA-CP",
        cycle_start=dt.date(2027, 1, 1),
        cycle_end=dt.date(2029, 12, 31),
    )
    run(LAPSE, dt.date(2027, 1, 1))
    assert status_of(renewed) == Credential.Status.RENEW


@pytest.mark.parametrize(
    "status",
    [Report.Status.IN_REVIEW, Report.Status.AUDIT, Report.Status.RETURNED, Report.Status.SUBMITTED],
)
def test_a_report_submitted_on_time_and_waiting_for_staff_holds_the_credential_open(
    run, credential_in, status
):
    credential = credential_in("ipma-hr")
    submitted(credential, dt.date(2026, 12, 30), status=status)
    assert run(LAPSE, dt.date(2027, 1, 1)) == []
    assert status_of(credential) == Credential.Status.RENEW


def test_a_namss_report_submitted_late_in_december_holds_the_credential(run, credential_in):
    credential = credential_in("namss")
    submitted(credential, dt.date(2026, 12, 31))
    run(LAPSE, dt.date(2027, 1, 1))
    assert status_of(credential) == Credential.Status.RENEW


def test_a_report_submitted_after_the_last_day_does_not_hold_the_credential(run, credential_in):
    credential = credential_in("ihmm")
    submitted(credential, dt.date(2027, 3, 1))
    run(LAPSE, dt.date(2027, 3, 1))
    assert status_of(credential) == Credential.Status.LAPSED


def test_an_open_report_with_points_does_not_hold_the_credential(run, credential_in):
    credential = credential_in("ipma-hr")
    report_for(credential)
    sent = run(LAPSE, dt.date(2027, 1, 1))
    assert status_of(credential) == Credential.Status.LAPSED
    assert "0 of 50 required" in sent[0].body


def test_an_unpaid_invoice_lapses_the_credential_once_it_is_overdue(run, at, credential_in):
    from payments.invoices import invoice_issue

    credential = credential_in("ipma-hr")
    report = submitted(credential, dt.date(2026, 12, 20), status=Report.Status.SUBMITTED)
    invoice = at(dt.date(2026, 12, 20), invoice_issue, report=report)
    assert invoice.due_on == dt.date(2027, 1, 19)
    run(LAPSE, dt.date(2027, 1, 1))
    run(LAPSE, dt.date(2027, 1, 19))
    assert status_of(credential) == Credential.Status.RENEW
    sent = run(LAPSE, dt.date(2027, 1, 20))
    assert status_of(credential) == Credential.Status.LAPSED
    assert invoice.number in sent[0].body
    assert f"/transactions/invoices/{invoice.number}/pay/" in sent[0].body
    assert "paper Recertification Report" not in sent[0].body


def test_a_paid_invoice_keeps_the_credential_open_for_review(run, at, credential_in):
    from payments.invoices import invoice_issue
    from payments.models import Invoice

    credential = credential_in("ipma-hr")
    report = submitted(credential, dt.date(2026, 6, 1), status=Report.Status.SUBMITTED)
    invoice = at(dt.date(2026, 6, 1), invoice_issue, report=report)
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", paid_at=invoice.created_at)
    run(LAPSE, dt.date(2027, 2, 1))
    assert status_of(credential) == Credential.Status.RENEW


def test_the_lapse_email_names_the_numbers_and_the_way_back(run, credential_in):
    credential_in("namss")
    sent = run(LAPSE, dt.date(2027, 1, 1))[0]
    assert "CPCS" in sent.subject
    assert "0 of 30 required" in sent.body
    assert "12/31/2026" in sent.body  # the last day
    assert "reinstate your certification until 06/30/2027" in sent.body
    assert "100.00" in sent.body  # the reinstatement fee
    html = sent.alternatives[0][0]
    assert "06/30/2027" in html and "/profile/reinstatement/" in html


def test_an_inactive_or_terminated_credential_is_left_alone(run, credential_in):
    inactive = credential_in("ipma-hr", status=Credential.Status.INACTIVE)
    assert run(LAPSE, dt.date(2027, 6, 1)) == []
    assert status_of(inactive) == Credential.Status.INACTIVE


def test_lapse_reason_is_none_before_the_lapse_day(credential_in):
    credential = credential_in("namss")
    assert lapse.lapse_reason(credential, dt.date(2026, 12, 31)) is None
    assert lapse.lapse_reason(credential, dt.date(2027, 1, 1))
