"""The staff dashboard: each figure is right, links to the admin list that shows it, and the page
reads a few aggregate queries whatever the number of programs, reports and invoices."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice import review
from core.audit import log_action
from recertification.models import ProgramSettings, Report
from tests.factories import report_for
from tests.staff.conftest import credential_in, submitted_report

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
DASHBOARD_URL = "/admin/recertification/report/dashboard/"


def figure(page: str, key: str) -> tuple[str, str]:
    """The text and link of one figure of the dashboard (`data-figure="key"`)."""
    found = re.search(
        r'<a href="([^"]*)" data-figure="' + re.escape(key) + r'"[^>]*>\s*([^<]*?)\s*</a>', page
    )
    assert found, f"no figure {key}"
    return found.group(2), html.unescape(found.group(1))


def listed(client, href: str) -> list[int]:
    response = client.get(href)
    assert response.status_code == 200, href
    return sorted(r.pk for r in response.context["cl"].result_list)


def test_the_admin_index_links_to_the_dashboard_first(administrator_client):
    page = administrator_client.get(ADMIN).content.decode()
    assert f'href="{DASHBOARD_URL}"' in page
    assert page.index(DASHBOARD_URL) < page.index('href="/admin/recertification/report/"')


def test_reports_by_status_and_program_link_to_the_filtered_queue(administrator_client):
    waiting = [submitted_report(), submitted_report()]
    unpaid = submitted_report("namss", paid=False)
    report_for(credential_in("ihmm"))  # open
    page = administrator_client.get(DASHBOARD_URL).content.decode()
    count, href = figure(page, "status:ipma-hr:in_review")
    assert count == "2"
    assert listed(administrator_client, href) == sorted(r.pk for r in waiting)
    count, href = figure(page, "status:namss:payment_due")
    assert count == "1"
    assert listed(administrator_client, href) == [unpaid.pk]
    assert figure(page, "status:ihmm:open")[0] == "1"


def test_days_waiting_against_the_turnaround_staff_set(administrator_client, _today):
    _today.shift(dt.timedelta(days=-20))
    old = submitted_report()
    _today.shift(dt.timedelta(days=20))
    new = submitted_report()
    ProgramSettings.objects.update_or_create(
        program="ipma-hr",
        defaults={"recertification_fee": Decimal("150"), "review_turnaround_days": 14},
    )
    page = administrator_client.get(DASHBOARD_URL).content.decode()
    assert "14 days" in page
    count, href = figure(page, "waiting:ipma-hr")
    assert count == "2"
    assert listed(administrator_client, href) == sorted([old.pk, new.pk])
    count, href = figure(page, "overdue:ipma-hr")
    assert count == "1"
    assert listed(administrator_client, href) == [old.pk]
    assert "20 days" in page  # the oldest waits 20 days


def test_audit_rate_achieved_this_year_against_the_target(administrator_client, reviewer):
    from backoffice.audits import report_select_for_audit

    audited = submitted_report()
    submitted_report()
    report_select_for_audit(report=audited, actor=reviewer, reason="Spot check")
    page = administrator_client.get(DASHBOARD_URL).content.decode()
    count, href = figure(page, "audit:ipma-hr")
    assert count == "1 of 2 (50.0%)"
    assert "target 10.0%" in page
    assert listed(administrator_client, href) == [audited.pk]


def test_renewals_and_lapses_by_month_from_the_audit_log(administrator_client, _today):
    credential = credential_in("ipma-hr")
    _today.move_to(dt.datetime(2026, 3, 10, 12, 0))
    log_action(credential, "renewed", member=credential.holder)
    log_action(credential, "reinstated", member=credential.holder)
    _today.move_to(dt.datetime(2026, 7, 1, 12, 0))
    log_action(credential, "lapsed", member=credential.holder)
    _today.move_to(dt.datetime(2025, 6, 1, 12, 0))
    log_action(credential, "lapsed", member=credential.holder)  # older than 12 months
    _today.move_to(dt.datetime(2026, 11, 20, 15, 0))
    page = administrator_client.get(DASHBOARD_URL).content.decode()
    count, href = figure(page, "renewed:2026-03")
    assert count == "2"
    response = administrator_client.get(href)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    assert figure(page, "lapsed:2026-07")[0] == "1"
    assert figure(page, "renewed:2026-07")[0] == "0"
    assert "lapsed:2025-06" not in page
    assert "renewed:2025-12" in page and "renewed:2025-11" not in page


def test_revenue_and_unpaid_invoices_by_age(administrator_client, _today):
    paid = submitted_report()
    _today.shift(dt.timedelta(days=-45))
    late = submitted_report(paid=False)
    _today.shift(dt.timedelta(days=45))
    fresh = submitted_report(paid=False)
    page = administrator_client.get(DASHBOARD_URL).content.decode()
    total, href = figure(page, "paid:USD")
    assert Decimal(total.replace(",", "")) == paid.invoices.get().total
    count, href = figure(page, "unpaid:31-60:USD")
    assert count.startswith("1 ·")
    response = administrator_client.get(href)
    assert [i.report_id for i in response.context["cl"].result_list] == [late.pk]
    count, href = figure(page, "unpaid:0-30:USD")
    assert count.startswith("1 ·")
    assert [i.report_id for i in administrator_client.get(href).context["cl"].result_list] == [
        fresh.pk
    ]
    assert figure(page, "unpaid:90+:USD")[0].startswith("0")


def test_the_good_standing_list_is_counted_and_linked(administrator_client):
    good = [credential_in("ipma-hr"), credential_in("namss", status="new")]
    credential_in("ihmm", status="lapsed")
    page = administrator_client.get(DASHBOARD_URL).content.decode()
    count, href = figure(page, "good-standing")
    assert count == "2"
    assert listed(administrator_client, href) == sorted(c.pk for c in good)


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD_URL).status_code == 200
    return len(captured)


def test_the_dashboard_reads_a_few_aggregate_queries(administrator_client, reviewer):
    submitted_report()
    few = dashboard_queries(administrator_client)
    for program in ("ipma-hr", "namss"):
        for _ in range(3):
            report = submitted_report(program, paid=program != "namss")
        if program == "ipma-hr":
            review.report_approve(report=report, actor=reviewer)
    report_for(credential_in("ihmm"))
    many = dashboard_queries(administrator_client)
    assert few == many, f"{few} queries with one report, {many} with ten"
    # session, user, user permissions, group permissions, the admin's finance-settings check;
    # program settings, reports by program and status, audit log by month, invoices, credentials
    # in good standing
    assert many <= 10


def test_staff_without_report_permission_cannot_open_it(client):
    from tests.staff_personas import staff_in

    client.force_login(staff_in(None, username="nobody"))
    assert client.get(DASHBOARD_URL).status_code == 403


def test_finance_sees_the_figures_it_may_follow(finance_client):
    submitted_report()
    page = finance_client.get(DASHBOARD_URL).content.decode()
    figure(page, "paid:USD")
    figure(page, "status:ipma-hr:in_review")


def test_a_reviewer_sees_no_revenue(reviewer_client):
    submitted_report()
    assert Report.objects.count() == 1
    page = reviewer_client.get(DASHBOARD_URL).content.decode()
    assert 'data-figure="paid:' not in page
