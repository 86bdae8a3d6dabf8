"""Approve, return for correction, waive fee: each through its service and its admin form."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from backoffice import review
from core.models import AuditLog
from members.models import Credential
from recertification import services
from recertification.models import Entry, Report
from tests.staff.conftest import TODAY, credential_in, fill, submit, submitted_report

pytestmark = pytest.mark.django_db

S = Report.Status


def act(client, report, action, reason=""):
    return client.post(
        f"/admin/recertification/report/{report.pk}/act/{action}/", {"reason": reason}
    )


# --- approval renews the credential ---------------------------------------------------------


def test_approving_a_paid_report_renews_the_credential_from_the_day_after_the_cycle_ends(
    reviewer, django_capture_on_commit_callbacks
):
    report = submitted_report("ipma-hr")
    credential = report.credentials.get()
    with (
        time_machine.travel(dt.datetime(2027, 1, 15, 12, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        review.report_approve(report=report, actor=reviewer, reason="All in order")

    credential.refresh_from_db()
    report.refresh_from_db()
    assert report.status == S.APPROVED
    assert report.decided_by == reviewer
    assert credential.status == Credential.Status.RENEW
    assert credential.renewed_on == dt.date(2027, 1, 15)
    assert (credential.cycle_start, credential.cycle_end) == (
        dt.date(2027, 1, 1),
        dt.date(2029, 12, 31),
    )
    [email] = [m for m in mail.outbox if "approved" in m.subject]
    assert email.to == [report.member.email]
    assert report.member.member_number in email.body
    assert "01/01/2027 to 12/31/2029" in email.body
    # Approval issues the certificate of the new cycle, and tells the member.
    certificate = credential.certificates.get()
    assert certificate.valid_through == dt.date(2029, 12, 31)
    assert len(mail.outbox) == 2


def test_the_member_can_enter_points_for_the_new_cycle_at_once(reviewer):
    report = submitted_report("ipma-hr")
    member = report.member
    with time_machine.travel(dt.datetime(2027, 2, 1, 12, 0), tick=False):
        review.report_approve(report=report, actor=reviewer)
        credential = Credential.objects.get(holder=member)
        new_report = Report.objects.get(member=member, cycle_start=dt.date(2027, 1, 1))
        assert new_report.status == S.OPEN
        entry = services.entry_create(
            member=member,
            program_code="ipma-hr",
            values={"kind": "ipma.pd.partial_day", "date": dt.date(2027, 1, 20), "quantity": 1},
            details={"title": "Workshop"},
            credentials=[credential],
        )
    assert list(entry.reports.all()) == [new_report]


def test_approving_a_namss_report_gives_the_next_cycle_from_2_december_to_1_december(reviewer):
    report = submitted_report("namss")
    review.report_approve(report=report, actor=reviewer)
    credential = report.credentials.get()
    assert (credential.cycle_start, credential.cycle_end) == (
        dt.date(2026, 12, 2),
        dt.date(2029, 12, 1),
    )
    assert credential.renewed_on == TODAY


def test_approving_a_dual_namss_report_renews_both_credentials_and_ends_the_first_dual_cycle(
    reviewer,
):
    cpcs = credential_in("namss", first_dual_cycle=True)
    cpmsm = credential_in("namss", holder=cpcs.holder, designation="CPMSM", first_dual_cycle=True)
    from tests.factories import ReportFactory

    report = ReportFactory(
        member=cpcs.holder,
        program="namss",
        cycle_start=cpcs.cycle_start,
        cycle_end=cpcs.cycle_end,
        credentials=[cpcs, cpmsm],
    )
    fill(report)
    review.report_waive_fee(report=submit(report), actor=reviewer, reason="Board member")
    review.report_approve(report=report, actor=reviewer)
    for credential in (cpcs, cpmsm):
        credential.refresh_from_db()
        assert credential.cycle_start == dt.date(2026, 12, 2)
        assert credential.first_dual_cycle is False


def test_approving_twice_renews_once(reviewer):
    report = submitted_report()
    review.report_approve(report=report, actor=reviewer)
    review.report_approve(report=report, actor=reviewer)
    credential = report.credentials.get()
    assert credential.cycle_start == dt.date(2027, 1, 1)
    assert AuditLog.objects.filter(object_type="members.credential", action="renewed").count() == 1


def test_approval_leaves_a_history_entry_with_who_and_why(reviewer):
    report = submitted_report()
    review.report_approve(report=report, actor=reviewer, reason="Checked certificates")
    log = AuditLog.objects.get(object_type="recertification.report", action="approved")
    assert log.actor == reviewer
    assert log.reason == "Checked certificates"
    assert log.before["status"] == "in_review"
    assert log.after["status"] == "approved"


def test_an_unpaid_report_cannot_be_approved(reviewer):
    report = submitted_report(paid=False)
    assert report.status == S.PAYMENT_DUE
    with pytest.raises(ValidationError, match="not paid"):
        review.report_approve(report=report, actor=reviewer)


def test_the_approve_form_refuses_an_unpaid_report_and_says_why(reviewer_client):
    report = submitted_report(paid=False)
    page = reviewer_client.get(f"/admin/recertification/report/{report.pk}/change/")
    assert "Cannot approve yet" in page.content.decode()
    response = act(reviewer_client, report, "approve")
    assert response.status_code == 200
    assert "The fee is not paid" in response.content.decode()
    report.refresh_from_db()
    assert report.status == S.PAYMENT_DUE


def test_a_reviewer_approves_from_the_report_page(reviewer_client, reviewer):
    report = submitted_report()
    response = act(reviewer_client, report, "approve", "Looks right")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == S.APPROVED


# --- return for correction -------------------------------------------------------------------


def test_returning_a_report_reopens_it_and_emails_the_member_the_reason(
    reviewer_client, django_capture_on_commit_callbacks
):
    report = submitted_report()
    with django_capture_on_commit_callbacks(execute=True):
        response = act(reviewer_client, report, "return", "The 17-day academy needs dates.")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == S.RETURNED
    assert report.is_editable
    assert report.return_reason == "The 17-day academy needs dates."
    [email] = mail.outbox
    assert "The 17-day academy needs dates." in email.body
    assert report.member.member_number in email.body
    assert "needs correction" in email.subject


def test_the_member_can_change_entries_of_a_returned_report(reviewer):
    report = submitted_report()
    review.report_return(report=report, actor=reviewer, reason="Fix the title")
    entry = Entry.objects.filter(reports=report).first()
    services.entry_update(
        entry=entry,
        values={"kind": entry.kind, "date": entry.date, "quantity": entry.quantity},
        details={"title": "Corrected"},
    )
    entry.refresh_from_db()
    assert entry.details == {"title": "Corrected"}


def test_returning_needs_a_reason(reviewer_client):
    report = submitted_report()
    response = act(reviewer_client, report, "return", "   ")
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.status == S.IN_REVIEW
    with pytest.raises(ValidationError):
        review.report_return(report=report, actor=None, reason="")


def test_returning_twice_is_a_no_op(reviewer, django_capture_on_commit_callbacks):
    report = submitted_report()
    with django_capture_on_commit_callbacks(execute=True):
        review.report_return(report=report, actor=reviewer, reason="Once")
        review.report_return(report=report, actor=reviewer, reason="Twice")
    assert len(mail.outbox) == 1
    assert AuditLog.objects.filter(action="returned").count() == 1


def test_an_approved_report_cannot_be_returned(reviewer):
    report = submitted_report()
    review.report_approve(report=report, actor=reviewer)
    with pytest.raises(ValidationError, match="cannot be returned"):
        review.report_return(report=report, actor=reviewer, reason="Too late")


# --- waive fee --------------------------------------------------------------------------------


def test_waiving_the_fee_cancels_the_invoice_and_lets_the_report_be_approved(finance, reviewer):
    from payments.models import Invoice

    report = submitted_report(paid=False)
    review.report_waive_fee(report=report, actor=finance, reason="Hardship")
    report.refresh_from_db()
    assert report.fee_waived
    assert report.status == S.IN_REVIEW
    original = Invoice.objects.get(report=report, kind="recertification")
    assert original.status == Invoice.Status.CANCELLED
    assert Invoice.objects.filter(cancels=original, kind="correction").exists()
    log = AuditLog.objects.get(object_type="recertification.report", action="fee waived")
    assert (log.actor, log.reason) == (finance, "Hardship")
    review.report_approve(report=report, actor=reviewer)
    report.refresh_from_db()
    assert report.status == S.APPROVED


def test_a_paid_fee_cannot_be_waived(finance):
    report = submitted_report(paid=True)
    with pytest.raises(ValidationError, match="already paid"):
        review.report_waive_fee(report=report, actor=finance, reason="Oops")


def test_waiving_needs_a_reason(finance_client):
    report = submitted_report(paid=False)
    response = act(finance_client, report, "waive_fee", "")
    assert response.status_code == 200
    report.refresh_from_db()
    assert not report.fee_waived


def test_finance_waives_the_fee_from_the_report_page(finance_client):
    report = submitted_report(paid=False)
    assert act(finance_client, report, "waive_fee", "Volunteer of the year").status_code == 302
    report.refresh_from_db()
    assert report.fee_waived
