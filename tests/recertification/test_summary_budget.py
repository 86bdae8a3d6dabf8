"""The Detailed Summary lists every entry, yet runs the same queries with 300 entries as with 5.

Its queries, with the session in the database (as in these tests): session, user, the profile
menu's programs, credentials, reports, their credentials, audit decisions, entries, files,
membership and committee records.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recertification import selectors
from tests.factories import (
    EntryFactory,
    EntryFileFactory,
    MembershipRecordFactory,
    UserFactory,
    report_for,
)

pytestmark = pytest.mark.django_db

SUMMARY = "/recertification/summary/"


@pytest.fixture(autouse=True)
def rendered_each_time(settings):
    """Every request renders the page (no member page cache): its own queries and rows."""
    settings.MEMBER_PAGE_CACHE_SECONDS = 0


SUMMARY_QUERIES = 10


def fill(report, count: int) -> None:
    """``count`` entries of two kinds, a file on every tenth, and a membership record (an
    automatic line)."""
    member = report.member
    MembershipRecordFactory(member=member, year=2024)
    for i in range(count):
        innovation = i % 10 == 0
        entry = EntryFactory(
            member=member,
            reports=[report],
            kind="ipma.innovation" if innovation else "ipma.pd.partial_day",
            category="innovation" if innovation else "pd",
            date=dt.date(2024, 1, 1) + dt.timedelta(days=i % 700),
            details={"title": f"Workshop {i}", "sponsor": "IPMA-HR"},
        )
        if innovation:
            EntryFileFactory(entry=entry, original_name=f"proof-{i}.pdf")


def summary_queries(client, member) -> tuple[int, str]:
    client.force_login(member)
    client.get(SUMMARY)  # the first visit may open reports; measure the steady state
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SUMMARY)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("entries", [5, 300])
def test_the_summary_runs_its_budget_of_queries_with_5_and_with_300_entries(
    client, credential_for, entries
):
    credential = credential_for("ipma-hr", holder=UserFactory())
    fill(report_for(credential), entries)
    count, page = summary_queries(client, credential.holder)
    assert count == SUMMARY_QUERIES, f"{entries} entries: {count} queries"
    assert page.count('aria-label="Edit Workshop ') == entries


def test_the_query_count_does_not_grow_with_the_entries(client, credential_for):
    few = credential_for("ipma-hr", holder=UserFactory())
    fill(report_for(few), 5)
    many = credential_for("ipma-hr", holder=UserFactory())
    fill(report_for(many), 300)
    small, _ = summary_queries(client, few.holder)
    large, _ = summary_queries(client, many.holder)
    assert small == large == SUMMARY_QUERIES


def test_the_totals_count_every_entry_and_the_last_save(client, credential_for):
    """The page lists all 300 entries and its total is the rules engine's over all of them; an
    entry saved since the last visit is in both at once."""
    credential = credential_for("ipma-hr", holder=UserFactory())
    report = report_for(credential)
    fill(report, 300)
    member = credential.holder
    _, page = summary_queries(client, member)
    (scored,) = selectors.current_reports(member)
    assert len(scored.lines) == 301  # 300 entries and the membership line
    assert f'data-testid="current-points">{scored.total.normalize():f}<' in page

    EntryFactory(
        member=member,
        reports=[report],
        kind="ipma.pd.partial_day",
        category="pd",
        date=dt.date(2025, 6, 1),
        details={"title": "Saved just now"},
        quantity=Decimal("1"),
    )
    _, page = summary_queries(client, member)
    (now,) = selectors.current_reports(member)
    assert "Saved just now" in page
    assert f'data-testid="current-points">{now.total.normalize():f}<' in page
    assert [line.counted for line in selectors.summary_reports(member)[0].lines] == [
        line.counted for line in now.lines
    ]
