"""Record lists in the admin whose rows name a report: constant queries however many rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifecycle.models import ExtensionRequest
from recertification.models import AuditDecision
from tests.factories import CredentialFactory, EntryFactory, UserFactory, report_for

pytestmark = pytest.mark.django_db


def report_with_entry():
    credential = CredentialFactory(holder=UserFactory())
    report = report_for(credential)
    entry = EntryFactory(
        member=credential.holder,
        reports=[report],
        kind="ipma.pd.partial_day",
        category="pd",
        date=credential.cycle_start + dt.timedelta(days=3),
    )
    return report, entry


def add_decision():
    report, entry = report_with_entry()
    AuditDecision.objects.create(
        report=report, entry=entry, decision="accepted", decided_at=timezone.now()
    )


def add_extension():
    report, _ = report_with_entry()
    ExtensionRequest.objects.create(
        member=report.member,
        report=report,
        requested_at=timezone.now(),
        new_deadline=dt.date(2027, 3, 1),
        credits_documented=Decimal("10"),
        credits_needed=Decimal("15"),
    )


@pytest.mark.parametrize(
    ("url", "add"),
    [
        ("/admin/recertification/auditdecision/", add_decision),
        ("/admin/lifecycle/extensionrequest/", add_extension),
    ],
)
def test_rows_naming_a_report_do_not_query_per_row(administrator_client, url, add):
    counts = []
    for rows in (1, 6):
        while _count_rows(url) < rows:
            add()
        with CaptureQueriesContext(connection) as captured:
            response = administrator_client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries for 1 row, {counts[1]} for 6"


def _count_rows(url: str) -> int:
    model = AuditDecision if "auditdecision" in url else ExtensionRequest
    return model.objects.count()
