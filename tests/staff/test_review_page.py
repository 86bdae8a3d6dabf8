"""A report's page: everything staff need to decide, in a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice import audits
from tests.factories import EntryFactory, EntryFileFactory, MembershipRecordFactory
from tests.staff.conftest import invoice_of, submitted_report

pytestmark = pytest.mark.django_db


def page_for(client, report) -> str:
    response = client.get(f"/admin/recertification/report/{report.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_member_credential_cycle_entries_files_agreement_invoice_and_history(
    reviewer_client, reviewer
):
    report = submitted_report(entries=1, paid=False)
    member = report.member
    entry = report.entries.get()
    EntryFileFactory(entry=entry, original_name="academy-certificate.pdf")
    MembershipRecordFactory(member=member, year=2024)
    audits.report_select_for_audit(report=report, actor=reviewer, reason="Spot check of academies")
    page = page_for(reviewer_client, report)

    assert member.member_number in page
    assert member.email in page
    assert "IPMA-SCP" in page
    assert "01/01/2024 to 12/31/2026" in page
    assert "HR Academy" in page  # the entry's name
    assert "Entries: 53 of 50 counted" in page  # 51 entered + 2 automatic, of 50
    assert "academy-certificate.pdf" in page
    assert "(added automatically)" in page
    assert "Applicant's Declaration agreed on <strong>11/20/2026</strong>" in page
    assert invoice_of(report).number in page
    assert "150.00 USD" in page
    assert "Spot check of academies" in page  # history with the reason
    assert "rita.reviewer" in page or str(reviewer) in page


def test_the_page_shows_claimed_and_counted_points_with_the_reason_for_a_cap(reviewer_client):
    report = submitted_report(entries=1)
    for year in (2024, 2025, 2026):
        EntryFactory(member=report.member, kind="ipma.experiential.employment",
                     category="experiential", date=None, year=year, reports=[report])  # fmt: skip
    EntryFactory(member=report.member, kind="ipma.experiential.employment",
                 category="experiential", date=None, year=2026, organization="Second employer",
                 reports=[report])  # fmt: skip
    page = page_for(reviewer_client, report)
    assert "cap" in page.lower()


def test_the_page_shows_payments_against_the_invoice(reviewer_client):
    report = submitted_report(paid=True)
    page = page_for(reviewer_client, report)
    assert "Check 150.00 USD (confirmed, check 1001 dated 11/20/2026)" in page


def page_queries(client, report) -> int:
    with CaptureQueriesContext(connection) as captured:
        page_for(client, report)
    return len(captured)


def add_entries(report, count: int) -> None:
    for i in range(count):
        entry = EntryFactory(member=report.member, date=dt.date(2024, 8, 1) + dt.timedelta(days=i),
                             reports=[report])  # fmt: skip
        if i % 5 == 0:
            EntryFileFactory(entry=entry)


def test_the_page_runs_a_constant_number_of_queries(reviewer_client, django_assert_max_num_queries):
    small = submitted_report()
    add_entries(small, 4)
    large = submitted_report()
    add_entries(large, 49)
    few, many = page_queries(reviewer_client, small), page_queries(reviewer_client, large)
    assert few == many, f"{few} queries for 5 entries, {many} for 50"
    # session, user, user and group permissions; the report with its member; the report again
    # with credentials, entries and their files (scored_report: 4); membership and committee
    # records; audit decisions; invoices, their payments and lines; the history
    with django_assert_max_num_queries(17):
        page_for(reviewer_client, large)


def test_an_unknown_report_is_a_404(reviewer_client):
    assert reviewer_client.get("/admin/recertification/report/999999/change/").status_code == 404
    assert reviewer_client.get("/admin/recertification/report/abc/change/").status_code == 404
