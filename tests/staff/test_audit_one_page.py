"""Deciding an audit: every entry of the report on one page, one submit, one transaction."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from backoffice import audits as staff_audits
from core.models import AuditLog
from recertification.models import AuditDecision, Report
from tests.factories import EntryFileFactory
from tests.staff.conftest import submitted_report

pytestmark = pytest.mark.django_db

S = Report.Status
ACCEPTED, REJECTED = AuditDecision.Decision.ACCEPTED, AuditDecision.Decision.REJECTED


def under_audit(reviewer, entries=3, program="ipma-hr") -> Report:
    report = submitted_report(program, entries=entries)
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    report.refresh_from_db()
    return report


def url(report) -> str:
    return f"/admin/recertification/report/{report.pk}/audit/"


def rows(report, choices: dict) -> dict:
    """The form's fields: one row per entry, in the page's order."""
    entries = list(report.entries.order_by("created_at", "id"))
    data = {
        "audit-TOTAL_FORMS": str(len(entries)),
        "audit-INITIAL_FORMS": str(len(entries)),
        "audit-MIN_NUM_FORMS": "0",
        "audit-MAX_NUM_FORMS": "1000",
    }
    for i, entry in enumerate(entries):
        decision, note = choices.get(i, ("", ""))
        data[f"audit-{i}-entry"] = str(entry.pk)
        data[f"audit-{i}-decision"] = decision
        data[f"audit-{i}-reason"] = note
    return data


def test_the_page_has_a_row_per_entry_and_one_submit(reviewer_client, reviewer):
    report = under_audit(reviewer)
    page = reviewer_client.get(url(report)).content.decode()
    for entry in report.entries.all():
        assert f'value="{entry.pk}"' in page
    form = page.split('id="audit-form"', 1)[1].split("</form>", 1)[0]
    assert form.count('type="submit"') == 1


def test_the_report_page_links_to_the_audit_page_not_a_page_per_entry(reviewer_client, reviewer):
    report = under_audit(reviewer, entries=2)
    page = reviewer_client.get(
        f"/admin/recertification/report/{report.pk}/change/"
    ).content.decode()
    assert url(report) in page
    for entry in report.entries.all():
        assert f"/entries/{entry.pk}/audit/" not in page


def test_deciding_every_entry_at_once(reviewer_client, reviewer):
    report = under_audit(reviewer)
    data = rows(
        report,
        {
            0: (ACCEPTED, ""),
            1: (REJECTED, "The certificate is for another person."),
            2: (ACCEPTED, ""),
        },
    )
    response = reviewer_client.post(url(report), data)
    assert response.status_code == 302
    decisions = {d.entry_id: d for d in AuditDecision.objects.filter(report=report)}
    assert len(decisions) == 3
    assert sorted(d.decision for d in decisions.values()) == [ACCEPTED, ACCEPTED, REJECTED]
    assert AuditLog.objects.filter(action__startswith="audit ").count() >= 3


def test_a_rejection_without_a_note_saves_nothing(reviewer_client, reviewer):
    report = under_audit(reviewer)
    data = rows(report, {0: (ACCEPTED, ""), 1: (REJECTED, ""), 2: (ACCEPTED, "")})
    response = reviewer_client.post(url(report), data)
    assert response.status_code == 200
    assert "Give the reason for rejecting" in response.content.decode()
    assert not AuditDecision.objects.filter(report=report).exists()


def test_the_service_is_one_transaction(reviewer):
    report = under_audit(reviewer, entries=2)
    first, second = report.entries.order_by("created_at", "id")
    with pytest.raises(Exception):
        staff_audits.audit_entries_decide(
            report=report,
            decisions=[(first, ACCEPTED, ""), (second, REJECTED, "")],
            actor=reviewer,
        )
    assert not AuditDecision.objects.filter(report=report).exists()


def test_an_entry_of_another_report_is_refused(reviewer_client, reviewer):
    report = under_audit(reviewer, entries=1)
    other = under_audit(reviewer, entries=1)
    data = rows(report, {0: (ACCEPTED, "")})
    data["audit-0-entry"] = str(other.entries.first().pk)
    response = reviewer_client.post(url(report), data)
    assert response.status_code == 200
    assert not AuditDecision.objects.exists()


def test_finance_cannot_decide(finance_client, reviewer):
    report = under_audit(reviewer, entries=1)
    assert finance_client.get(url(report)).status_code == 403


def test_the_failed_audit_email_names_each_rejected_entry_and_its_note(reviewer):
    report = under_audit(reviewer, entries=2)
    first, second = report.entries.order_by("created_at", "id")
    staff_audits.audit_entries_decide(
        report=report,
        decisions=[(first, ACCEPTED, ""), (second, REJECTED, "No certificate for this day.")],
        actor=reviewer,
    )
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        staff_audits.audit_fail(report=report, actor=reviewer, reason="Documents missing.")
    body = mail.outbox[-1].body
    assert "No certificate for this day." in body
    assert "Professional Development Program (less than 6 hours)" in body


def test_documents_received_after_selection(reviewer):
    report = under_audit(reviewer, entries=1)
    assert staff_audits.audit_documents_received(report) is False
    EntryFileFactory(entry=report.entries.first())
    assert staff_audits.audit_documents_received(report) is True


def test_the_audit_page_reads_the_same_queries_whatever_the_entries(reviewer_client, reviewer):
    """Each entry's documents come with the entries, not one query per entry."""
    counts = []
    for entries in (1, 6):
        report = under_audit(reviewer, entries=entries)
        for entry in report.entries.all():
            EntryFileFactory(entry=entry)
        with CaptureQueriesContext(connection) as queries:
            page = reviewer_client.get(url(report))
        assert page.status_code == 200
        assert page.content.decode().count("/documents/") >= entries
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
