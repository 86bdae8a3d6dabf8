"""The member sees staff's note on each rejected entry next to that entry."""

from __future__ import annotations

import pytest

from backoffice import audits as staff_audits
from recertification.models import AuditDecision
from tests.factories import EntryFileFactory
from tests.staff.conftest import submitted_report
from tests.staff_personas import staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return staff_in("Reviewer", username="rita.reviewer")


REJECTED, ACCEPTED = AuditDecision.Decision.REJECTED, AuditDecision.Decision.ACCEPTED
NOTE = "The certificate shows another date."


def decided(reviewer, *, fail: bool):
    report = submitted_report("namss")
    staff_audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    first, second = report.entries.order_by("date")
    EntryFileFactory(entry=first)
    staff_audits.audit_entries_decide(
        report=report, decisions=[(first, ACCEPTED, ""), (second, REJECTED, NOTE)], actor=reviewer
    )
    if fail:
        staff_audits.audit_fail(report=report, actor=reviewer, reason="Not enough credits.")
    return report


def test_the_detailed_summary_shows_the_rejection_note_beside_the_entry(client, reviewer):
    report = decided(reviewer, fail=True)
    client.force_login(report.member)
    page = client.get("/recertification/summary/").content.decode()
    assert NOTE in page
    row = page.split("Webinar series", 1)[1].split("</tr>", 1)[0]
    assert NOTE in row
    assert "Rejected" in row


def test_the_uploads_page_shows_the_note_while_under_audit(client, reviewer):
    report = decided(reviewer, fail=False)
    client.force_login(report.member)
    page = client.get("/recertification/uploads/").content.decode()
    assert NOTE in page
