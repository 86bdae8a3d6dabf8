"""The review queue's columns and the member overview read a constant number of queries, with
reports under audit, documents received and reviewers assigned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.assignment import report_assign
from backoffice.audits import report_select_for_audit
from tests.factories import EntryFileFactory, UserFactory, report_for
from tests.staff.conftest import credential_in, submitted_report

pytestmark = pytest.mark.django_db

QUEUE = "/admin/recertification/report/"


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def busy_report(reviewer, assignee, _today):
    report = submitted_report()
    _today.shift(dt.timedelta(minutes=5))
    report_select_for_audit(report=report, actor=reviewer, reason="Spot check")
    _today.shift(dt.timedelta(minutes=5))
    EntryFileFactory(entry=report.entries.first())
    report_assign(report=report, assignee=assignee, actor=reviewer)
    return report


def test_the_queue_columns_do_not_grow_with_the_rows(reviewer_client, reviewer, _today):
    assignees = [UserFactory(is_staff=True, username=f"staff{i}") for i in range(4)]
    busy_report(reviewer, assignees[0], _today)
    few = count_queries(reviewer_client, QUEUE, {"status": "all"})
    for i in range(8):
        busy_report(reviewer, assignees[i % 4], _today)
    page = reviewer_client.get(QUEUE, {"status": "all"}).content.decode()
    assert page.count("documents received") >= 9
    many = count_queries(reviewer_client, QUEUE, {"status": "all"})
    assert few == many, f"{few} queries for one report, {many} for nine"


def test_the_member_overview_does_not_grow_with_assigned_reports(
    administrator_client, reviewer, _today
):
    first = busy_report(reviewer, reviewer, _today)
    member = first.member
    url = f"/admin/members/user/{member.pk}/change/"
    count_queries(administrator_client, url)
    few = count_queries(administrator_client, url)
    reports = [
        submitted_report("namss", paid=False, holder=member),
        report_for(credential_in("ihmm", holder=member)),
    ]
    for i, report in enumerate(reports):
        other = UserFactory(is_staff=True, username=f"other{i}")
        report_assign(report=report, assignee=other, actor=reviewer)
    many = count_queries(administrator_client, url)
    assert few == many, f"{few} queries with one report, {many} with three"


def test_the_member_page_reads_the_member_once(administrator_client):
    member = submitted_report().member
    url = f"/admin/members/user/{member.pk}/change/"
    administrator_client.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = administrator_client.get(url)
    assert "member-overview" in page.content.decode()
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "members_user"')
        and f'WHERE "members_user"."id" = {member.pk}' in q["sql"]
    ]
    assert len(reads) == 1, reads
