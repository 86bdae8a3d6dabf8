"""Posting the Submission form: checked against the member's reports that take changes, the
report scored once under its lock (no files, no audit decisions), and the whole page built only
when the report was not submitted, with what it still needs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import Invoice, InvoiceCounter
from recertification.models import ProgramSettings, Report
from tests.factories import EntryFactory, UserFactory

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"
SUBMIT = "/recertification/submit/"


@pytest.fixture(autouse=True)
def site_in_use():
    # The random draw would add its own rows now and then, and the site's first invoice creates
    # the number counter: this file counts queries.
    ProgramSettings.objects.create(
        program="ipma-hr", recertification_fee=Decimal("150"), audit_rate=Decimal("0")
    )
    InvoiceCounter.objects.create(prefix=settings.INVOICE_NUMBER_PREFIX)


def submission(report: Report) -> dict:
    return {
        "agreement": "agree",
        "report": str(report.pk),
        "date_agreed": timezone.localdate().isoformat(),
    }


def signed_in(client, credential_for, member=None):
    credential = credential_for("ipma-hr", holder=member or UserFactory())
    client.force_login(credential.holder)
    client.get(PORTAL)  # the first visit opens the report
    return Report.objects.get(member=credential.holder)


def add_days(report: Report, days: list[int]) -> None:
    """Full days (3 points each), one entry per item of `days` with that many days."""
    for i, quantity in enumerate(days):
        EntryFactory(
            member=report.member,
            reports=[report],
            kind="ipma.pd.full_day",
            category="pd",
            quantity=quantity,
            date=dt.date(2024, 2, 1) + dt.timedelta(days=i),
        )


def test_a_report_short_of_the_requirement_says_what_it_still_needs(client, credential_for):
    report = signed_in(client, credential_for)
    add_days(report, [3])  # 9 of 50 points

    response = client.post(SUBMIT, submission(report))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Your report cannot be submitted yet" in html
    assert "41 more points are needed" in html
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN and report.agreed_on is None
    assert not Invoice.objects.exists()


def test_another_members_report_is_not_a_choice(client, credential_for):
    theirs = signed_in(client, credential_for)
    add_days(theirs, [17])
    signed_in(client, credential_for)  # now signed in as a second member

    response = client.post(SUBMIT, submission(theirs))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == Report.Status.OPEN
    assert not Invoice.objects.exists()


def test_a_submitted_report_is_not_submitted_again_from_a_second_tab(client, credential_for):
    report = signed_in(client, credential_for)
    add_days(report, [17])
    assert client.post(SUBMIT, submission(report)).status_code == 302

    again = client.post(SUBMIT, submission(report))

    assert again.status_code == 200
    assert "Select a valid choice" in again.content.decode()
    assert Invoice.objects.filter(report=report).count() == 1


def submit_queries(client, report: Report) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(SUBMIT, submission(report))
    assert response.status_code == 302, "the report was not submitted"
    report.refresh_from_db()
    assert report.status == Report.Status.PAYMENT_DUE
    return [q["sql"] for q in captured.captured_queries]


def test_a_submission_reads_the_same_whatever_the_entries(client, credential_for):
    first = signed_in(client, credential_for)
    add_days(first, [17])
    submit_queries(client, first)  # the site's first submission reads its check address once

    few = signed_in(client, credential_for)
    add_days(few, [17])
    few_sql = submit_queries(client, few)

    many = signed_in(client, credential_for)
    add_days(many, [1] * 17)
    many_sql = submit_queries(client, many)

    assert len(many_sql) == len(few_sql), (
        f"{len(few_sql)} queries with 1 entry, {len(many_sql)} with 17"
    )
    assert not any("recertification_entryfile" in q for q in few_sql), "scoring needs no files"
    assert not any("auditdecision" in q for q in few_sql), "scoring needs no audit decisions"
    reads = [q for q in few_sql if q.startswith("SELECT") and 'FROM "recertification_report"' in q]
    # The form's read of the open reports, the lock, and payments' lock and its re-read for the email.
    assert len(reads) <= 5, reads
