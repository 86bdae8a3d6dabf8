"""Query budgets of the member pages not pinned elsewhere: the same count with 1 entry or 300.

tests/recertification/test_query_budget.py pins the portal, summary, uploads and submission pages,
tests/payments/test_transactions_page.py the Transactions page; staff pages are pinned with the
admin. Here: every other page a member reaches, and saving an entry (POST).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import CommitteeRecord, MembershipRecord
from payments.models import Invoice
from recertification import rules
from tests.factories import (
    CredentialFactory,
    EntryFactory,
    EntryFileFactory,
    UserFactory,
    report_for,
)
from tests.payments.factories import InvoiceFactory, ReportFactory
from tests.recertification.helpers import group_of, valid_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pages_rendered_afresh")]

# Page (with {report}, {entry} and {invoice} filled in) -> the most queries it may run.
# Pages with the profile menu count 1 for it (members.context_processors: the programs of the
# member's credentials, to show Extension and Reinstatement only where a program offers them).
BUDGETS = {
    # 3, plus 10 for "Where you stand" (lifecycle.standing_summary): the current reports scored
    # (reports, their credentials, audit decisions, entry rows, membership and committee records),
    # invoices, extensions, approved reports, program fees; and 1 for the member's records
    # the portal cannot read (base.html: "needs attention from staff").
    "/": 14,
    "/profile/": 3,
    "/profile/username/": 3,
    "/profile/password/": 3,
    "/profile/membership/": 4,
    "/profile/activities/": 5,
    "/profile/certificates/": 4,
    "/profile/extension/": 13,
    "/profile/reinstatement/": 4,
    "/recertification/entries/{entry}/edit/": 6,
    "/recertification/entries/{entry}/delete/": 6,
    "/recertification/reports/{report}/entries.csv": 11,
    "/recertification/reports/{report}/transcript.pdf": 11,
    "/transactions/invoices/{invoice}/": 7,
    "/transactions/invoices/{invoice}/invoice.pdf": 6,
    "/transactions/invoices/{invoice}/pay/": 4,
}
SAVE_BUDGET = 23  # was 39 before scoring once per save (docs/performance.md, Profiles)


def member_with(entries: int):
    """An IPMA-HR member mid-cycle with `entries` entries (a tenth with a file), staff records,
    and an open invoice from the previous cycle."""
    member = UserFactory()
    today = timezone.localdate()
    start = today - dt.timedelta(days=500)
    credential = CredentialFactory(
        holder=member,
        certified_since=start.replace(year=start.year - 3),
        cycle_start=start,
        cycle_end=rules.get_program("ipma-hr").cycle_end(start),
    )
    report = report_for(credential)
    for i in range(entries):
        innovation = i % 10 == 0
        entry = EntryFactory(
            member=member,
            reports=[report],
            kind="ipma.innovation" if innovation else "ipma.pd.partial_day",
            category="innovation" if innovation else "pd",
            date=start + dt.timedelta(days=i % 400),
        )
        if innovation:
            EntryFileFactory(entry=entry)
    for year in (start.year, start.year + 1):
        MembershipRecord.objects.create(member=member, kind="national", year=year)
    CommitteeRecord.objects.create(member=member, committee="Exams", role="member", year=start.year)
    previous = start.replace(year=start.year - 3)
    invoice = InvoiceFactory(
        report=ReportFactory(
            member=member,
            cycle_start=previous,
            cycle_end=rules.get_program("ipma-hr").cycle_end(previous),
            credentials=[credential],
        )
    )
    assert invoice.status == Invoice.Status.OPEN
    return member, report, invoice


def queries(client, url: str, expect: int = 200) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == expect, (url, response.status_code)
    return len(captured)


@pytest.fixture
def members(client):
    return {size: member_with(size) for size in (1, 300)}


@pytest.mark.parametrize("page", BUDGETS)
def test_member_pages_run_a_constant_number_of_queries(client, members, page):
    counts = {}
    for size, (member, report, invoice) in members.items():
        entry = report.entries.order_by("pk").first()
        url = page.format(report=report.pk, entry=entry.pk, invoice=invoice.number)
        client.force_login(member)
        queries(client, url)  # a first visit may open reports; measure the steady state
        counts[size] = queries(client, url)
    assert counts[300] == counts[1], (
        f"{page}: {counts[1]} queries with 1 entry, {counts[300]} with 300"
    )
    assert counts[1] <= BUDGETS[page], f"{page}: {counts[1]} queries, budget {BUDGETS[page]}"


def test_saving_an_entry_runs_a_constant_number_of_queries(client):
    counts = {}
    for size in (1, 30):  # 30 entries: 47 of the 50 points, so the portal still takes entries
        member, report, _ = member_with(size)
        client.force_login(member)
        client.get("/recertification/")
        day = timezone.localdate() - dt.timedelta(days=1)
        data = valid_post(group_of("ipma.pd.partial_day"), day, kind="ipma.pd.partial_day")
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/recertification/", data)
        assert response.status_code == 302, response.content.decode()[:3000]
        assert report.entries.count() == size + 1
        counts[size] = len(captured)
    assert counts[30] == counts[1], f"save: {counts[1]} queries with 1 entry, {counts[30]} with 30"
    assert counts[1] <= SAVE_BUDGET, f"save: {counts[1]} queries, budget {SAVE_BUDGET}"


def test_the_review_queue_index_covers_exactly_the_queue():
    """The partial index behind the queue's first page must name the statuses the queue shows."""
    from backoffice.review import QUEUE_STATUSES
    from recertification.models import Report

    index = next(i for i in Report._meta.indexes if i.name == "report_review_queue")
    ((_, statuses),) = index.condition.children
    assert sorted(statuses) == sorted(str(s) for s in QUEUE_STATUSES)
    assert index.contains_expressions
    assert [(e.expression.name, e.descending) for e in index.expressions] == [
        ("submitted_at", True),
        ("id", True),
    ]  # the admin's ordering: ["-submitted_at", "-id"]


def test_the_queue_row_checkbox_is_djangos_own_html(rf):
    """ReportAdmin renders the row checkbox without the widget; the HTML must not change."""
    from django.contrib import admin as django_admin

    from backoffice.admin.reports import ReportAdmin
    from recertification.models import Report

    report = ReportFactory()
    ours = ReportAdmin(Report, django_admin.site).action_checkbox(report)
    djangos = django_admin.ModelAdmin(Report, django_admin.site).action_checkbox(report)
    assert ours == djangos
    assert f'value="{report.pk}"' in ours
