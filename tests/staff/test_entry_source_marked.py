"""Entries a CE provider reported (or carried over) are marked for reviewers and auditors: they
need no uploaded certificate."""

from __future__ import annotations

import pytest

from backoffice import audits
from tests.staff.conftest import submitted_report

pytestmark = pytest.mark.django_db


def test_review_and_audit_pages_say_a_reported_entry_needs_no_certificate(
    reviewer_client, reviewer
):
    report = submitted_report(entries=2)
    reported, typed = report.entries.order_by("pk")
    reported.source = reported.Source.PROVIDER
    reported.source_note = "Reported by Midwest Professional Learning"
    reported.save(update_fields=["source", "source_note"])
    page = reviewer_client.get(f"/admin/recertification/report/{report.pk}/change/")
    text = page.content.decode()
    assert "Reported by Midwest Professional Learning: no certificate needed" in text
    assert text.count("no certificate needed") == 1  # the typed entry has none uploaded
    audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    audit = reviewer_client.get(f"/admin/recertification/report/{report.pk}/audit/")
    assert audit.status_code == 200
    text = audit.content.decode()
    assert "Reported by Midwest Professional Learning: no certificate needed" in text
    assert "none uploaded" in text
