"""Saving an entry from the portal reads what it needs once: the posted form from the member's
credentials and open reports (no audit decisions), then, under the reports' locks, their
credentials and entries' scoring fields, without reading the locked reports a second time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recertification.models import Report
from tests.factories import EntryFactory

from .helpers import group_of, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"

# session, user; the reports that take changes with their credentials (the posted form);
# savepoint; the lock (the reports through their credentials' links, one query); the locked
# reports' credentials, entries' scoring fields, membership and committee records; the entry,
# its reports, the audit log row; release.
SAVE_BUDGET = 14


def save_queries(client, day: dt.date) -> tuple[int, list[str]]:
    data = valid_post(group_of("ipma.pd.full_day"), day, title=f"Workshop {day}")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(PORTAL, data)
    assert response.status_code == 302, "the entry was not saved"
    return len(captured), [q["sql"] for q in captured.captured_queries]


def test_a_save_reads_each_thing_once_whatever_the_entries(client, credential_for):
    credential = credential_for("ipma-hr")
    client.force_login(credential.holder)
    client.get(PORTAL)  # opens the report
    few, sql = save_queries(client, dt.date(2024, 3, 1))
    assert not any("auditdecision" in q for q in sql), "a save needs no audit decisions"
    report_selects = [
        q for q in sql if q.startswith("SELECT") and 'FROM "recertification_report"' in q
    ]
    assert len(report_selects) == 2, "the form's read and the lock: the locked rows are scored"

    report = Report.objects.get(member=credential.holder)
    for i in range(10):
        EntryFactory(
            member=credential.holder,
            reports=[report],
            kind="ipma.pd.partial_day",
            category="pd",
            date=dt.date(2024, 1, 1) + dt.timedelta(days=40 + i),
        )
    many, _sql = save_queries(client, dt.date(2024, 3, 2))
    assert many == few, f"{few} queries with 1 entry, {many} with 11"
    assert few <= SAVE_BUDGET, f"{few} queries, budget {SAVE_BUDGET}"
