"""Audits: random selection on submission, staff selection, entry decisions, clear and fail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from backoffice import audits as staff_audits
from backoffice import review
from core.models import AuditLog
from recertification import audits
from recertification.models import AuditDecision, ProgramSettings, Report
from tests.factories import EntryFileFactory, report_for
from tests.staff.conftest import credential_in, fill, pay, submit, submitted_report

pytestmark = pytest.mark.django_db

S = Report.Status
ACCEPTED, REJECTED = AuditDecision.Decision.ACCEPTED, AuditDecision.Decision.REJECTED


def open_report(program="ipma-hr", entries=1):
    report = report_for(credential_in(program))
    fill(report, entries)
    return report


def under_audit(reviewer, entries=3) -> Report:
    report = submitted_report(entries=entries)
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    report.refresh_from_db()
    return report


# --- selection ---------------------------------------------------------------------------------


def test_the_default_share_selected_on_submission_is_ten_percent():
    report = open_report()
    assert audits.audit_rate("ipma-hr") == Decimal("0.100")
    assert audits.audit_select_on_submit(report, draw="0.099") is True
    report.refresh_from_db()
    assert report.selected_for_audit
    assert audits.audit_select_on_submit(open_report(), draw="0.100") is False


def test_the_share_is_a_program_setting():
    ProgramSettings.objects.create(
        program="namss", recertification_fee=Decimal("175"), audit_rate=Decimal("0.5")
    )
    assert audits.audit_select_on_submit(open_report("namss"), draw="0.45") is True
    assert audits.audit_select_on_submit(open_report("ipma-hr"), draw="0.45") is False


@pytest.mark.random_audits
def test_random_selection_picks_roughly_the_configured_share():
    ProgramSettings.objects.create(
        program="ipma-hr", recertification_fee=Decimal("150"), audit_rate=Decimal("0.25")
    )
    report = open_report()
    picked = 0
    for _ in range(400):
        report.selected_for_audit = False
        picked += audits.audit_select_on_submit(report)
    assert 60 <= picked <= 140  # 100 expected; far outside this is a broken draw


def test_random_selection_is_logged_and_the_member_is_told(django_capture_on_commit_callbacks):
    report = open_report()
    with django_capture_on_commit_callbacks(execute=True):
        audits.audit_select_on_submit(report, draw="0")
    log = AuditLog.objects.get(action="selected for audit")
    assert log.actor is None
    assert "Random selection" in log.reason
    [email] = mail.outbox
    assert "selected for audit" in email.subject


def test_a_selected_report_asks_for_documents_once_it_is_paid():
    report = open_report()
    audits.audit_select_on_submit(report, draw="0")
    submit(report)
    report.refresh_from_db()
    assert report.status == S.PAYMENT_DUE
    pay(report)
    assert report.status == S.AUDIT
    assert report.get_status_display() == "Audit: documents needed"


def test_staff_select_a_paid_report_for_audit_with_a_reason(reviewer_client):
    report = submitted_report()
    response = reviewer_client.post(
        f"/admin/recertification/report/{report.pk}/act/select_audit/", {"reason": "Spot check"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.selected_for_audit
    assert report.status == S.AUDIT


def test_staff_selection_of_an_unpaid_report_waits_for_the_payment(reviewer):
    report = submitted_report(paid=False)
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    report.refresh_from_db()
    assert (report.status, report.selected_for_audit) == (S.PAYMENT_DUE, True)
    pay(report)
    assert report.status == S.AUDIT


def test_a_report_under_audit_cannot_be_approved(reviewer):
    report = under_audit(reviewer)
    with pytest.raises(ValidationError, match="audit"):
        review.report_approve(report=report, actor=reviewer)


# --- decisions, clear, fail ----------------------------------------------------------------------


def test_the_member_can_upload_documents_while_the_report_is_under_audit(reviewer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recertification import services

    report = under_audit(reviewer)
    entry = report.entries.first()
    [saved] = services.entry_files_add(
        entry=entry,
        files=[SimpleUploadedFile("cert.pdf", b"%PDF-1.4 certificate", "application/pdf")],
    )
    assert saved.entry == entry


def test_staff_accept_every_entry_and_clear_the_audit(reviewer_client, reviewer):
    report = under_audit(reviewer)
    entries = list(report.entries.order_by("created_at", "id"))
    data = {"audit-TOTAL_FORMS": str(len(entries)), "audit-INITIAL_FORMS": str(len(entries))}
    for i, entry in enumerate(entries):
        EntryFileFactory(entry=entry)
        data |= {f"audit-{i}-entry": str(entry.pk), f"audit-{i}-decision": ACCEPTED}
    response = reviewer_client.post(f"/admin/recertification/report/{report.pk}/audit/", data)
    assert response.status_code == 302
    response = reviewer_client.post(
        f"/admin/recertification/report/{report.pk}/act/clear_audit/", {"reason": ""}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.audit_outcome) == (S.IN_REVIEW, "cleared")
    review.report_approve(report=report, actor=reviewer)
    report.refresh_from_db()
    assert report.status == S.APPROVED


def test_an_audit_cannot_be_cleared_while_entries_are_undecided(reviewer):
    report = under_audit(reviewer, entries=3)
    first = report.entries.first()
    staff_audits.audit_entry_decide(report=report, entry=first, decision=ACCEPTED, actor=reviewer)
    with pytest.raises(ValidationError, match="2 of 3 still undecided"):
        staff_audits.audit_clear(report=report, actor=reviewer)


def test_rejecting_an_entry_needs_a_reason(reviewer_client, reviewer):
    report = under_audit(reviewer)
    entry = report.entries.first()
    response = reviewer_client.post(
        f"/admin/recertification/report/{report.pk}/audit/",
        {"audit-TOTAL_FORMS": "1", "audit-INITIAL_FORMS": "1", "audit-0-entry": str(entry.pk),
         "audit-0-decision": REJECTED, "audit-0-reason": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert not AuditDecision.objects.exists()
    with pytest.raises(ValidationError):
        staff_audits.audit_entry_decide(
            report=report, entry=entry, decision=REJECTED, actor=reviewer
        )


def test_a_rejection_that_leaves_too_few_points_cannot_be_cleared(reviewer):
    report = under_audit(reviewer, entries=3)
    big, *small = report.entries.order_by("pk")
    staff_audits.audit_entry_decide(
        report=report, entry=big, decision=REJECTED, actor=reviewer, reason="No certificate"
    )
    for entry in small:
        staff_audits.audit_entry_decide(
            report=report, entry=entry, decision=ACCEPTED, actor=reviewer
        )
    with pytest.raises(ValidationError, match="fail the audit instead"):
        staff_audits.audit_clear(report=report, actor=reviewer)


def test_a_rejection_that_keeps_enough_points_can_be_cleared(reviewer):
    report = under_audit(reviewer, entries=3)
    big, small, other = report.entries.order_by("pk")
    staff_audits.audit_entry_decide(report=report, entry=big, decision=ACCEPTED, actor=reviewer)
    staff_audits.audit_entry_decide(
        report=report, entry=small, decision=REJECTED, actor=reviewer, reason="Not HR"
    )
    staff_audits.audit_entry_decide(report=report, entry=other, decision=ACCEPTED, actor=reviewer)
    staff_audits.audit_clear(report=report, actor=reviewer)
    report.refresh_from_db()
    assert report.status == S.IN_REVIEW


def test_deciding_the_same_way_twice_changes_nothing(reviewer):
    report = under_audit(reviewer)
    entry = report.entries.first()
    staff_audits.audit_entry_decide(report=report, entry=entry, decision=ACCEPTED, actor=reviewer)
    staff_audits.audit_entry_decide(report=report, entry=entry, decision=ACCEPTED, actor=reviewer)
    assert AuditLog.objects.filter(action="audit accepted").count() == 1
    staff_audits.audit_entry_decide(
        report=report, entry=entry, decision=REJECTED, actor=reviewer, reason="Wrong year"
    )
    log = AuditLog.objects.get(action="audit rejected")
    assert (log.before, log.reason) == ({"decision": "accepted", "reason": ""}, "Wrong year")


def test_a_failed_audit_returns_the_report_with_the_reason(
    reviewer_client, reviewer, django_capture_on_commit_callbacks
):
    report = under_audit(reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            f"/admin/recertification/report/{report.pk}/act/fail_audit/",
            {"reason": "No certificate for the HR Academy."},
        )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.audit_outcome) == (S.RETURNED, "failed")
    assert report.is_editable
    [email] = mail.outbox
    assert "No certificate for the HR Academy." in email.body
    log = AuditLog.objects.get(action="audit failed")
    assert (log.actor, log.reason) == (reviewer, "No certificate for the HR Academy.")


def test_failing_an_audit_needs_a_reason(reviewer):
    report = under_audit(reviewer)
    with pytest.raises(ValidationError):
        staff_audits.audit_fail(report=report, actor=reviewer, reason=" ")


def test_the_report_page_offers_a_decision_for_each_entry_under_audit(reviewer_client, reviewer):
    report = under_audit(reviewer, entries=2)
    page = reviewer_client.get(
        f"/admin/recertification/report/{report.pk}/change/"
    ).content.decode()
    assert f"/admin/recertification/report/{report.pk}/audit/" in page
    assert "Clear audit" in page
    assert "Fail audit" in page
    assert "2 entries still to accept or reject" in page
