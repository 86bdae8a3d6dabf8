"""Where you stand, on Home and on the Recertification Portal: the next deadline with a countdown,
what follows it (late fee, last day, lapse, grace period, reinstatement fee) and the one next step,
per credential (a NAMSS dual certificant's two on one line)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.models import ExtensionRequest
from lifecycle.standing_summary import where_you_stand
from members.models import Credential
from recertification.fees import program_fees
from recertification.models import ProgramSettings, Report, ReportCredential
from tests.factories import CredentialFactory, UserFactory, report_for

from .conftest import NAMSS, namss_credits, noon, on, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pages_rendered_afresh")]

NOV_30 = dt.date(2026, 11, 30)


def page(client, member, url: str, day: dt.date) -> str:
    with on(day):
        client.force_login(member)
        response = client.get(url)
    assert response.status_code == 200
    return " ".join(html.unescape(response.content.decode()).split())


@pytest.fixture
def namss_dual(member):
    """A CPCS and CPMSM sharing a cycle (not the first dual cycle: 45 credits, 25 approved)."""
    cpcs = CredentialFactory(holder=member, certified_since=dt.date(2017, 6, 1), **NAMSS)
    cpmsm = CredentialFactory(
        holder=member,
        certified_since=dt.date(2017, 6, 1),
        **(NAMSS | {"designation": "CPMSM"}),
    )
    report = report_for(cpcs)
    ReportCredential.objects.create(report=report, credential=cpmsm, cycle_start=cpmsm.cycle_start)
    namss_credits(report, credits="15", approved=True)
    namss_credits(report, credits="12.5", approved=False)
    return report


@pytest.mark.parametrize("url", ["/", "/recertification/"])
def test_namss_on_30_november_shows_the_deadline_the_late_fee_lapse_and_reinstatement(
    client, member, namss_dual, url
):
    text = page(client, member, url, NOV_30)

    assert text.count('data-testid="where-you-stand"') == 1  # one line for the two credentials
    assert "CPCS and CPMSM" in text
    assert "Submit by 12/01/2026 — 1 day left" in text
    assert "late fee of 50.00 USD" in text
    assert "the last day to submit is 12/31/2026" in text
    assert "lapses on 01/01/2027" in text
    assert "reinstated until 06/30/2027 with the reinstatement fee of 100.00 USD" in text
    assert "Enter 17.5 more credits, 10 NAMSS-approved, by 12/01/2026" in text


def test_the_late_fee_is_the_amount_staff_set(client, member, namss_dual):
    program_fees("namss")
    ProgramSettings.objects.filter(program="namss").update(late_fee=Decimal("75.00"))
    text = page(client, member, "/", NOV_30)
    assert "late fee of 75.00 USD" in text


def test_after_the_deadline_the_last_day_counts_down(client, member, namss_dual):
    text = page(client, member, "/", dt.date(2026, 12, 2))
    assert "Submit by 12/31/2026 — 29 days left" in text


def test_a_met_requirement_asks_for_the_submission(client, member, namss_dual):
    namss_credits(namss_dual, credits="20", approved=True)
    text = page(client, member, "/", NOV_30)
    assert "Next step: Submit your report by 12/01/2026" in text


def test_an_unpaid_extension_fee_is_the_next_step(client, member, namss_dual):
    ExtensionRequest.objects.create(
        member=member,
        report=namss_dual,
        requested_at=noon(dt.date(2026, 11, 20)),
        new_deadline=dt.date(2027, 6, 1),
        credits_documented=Decimal("25"),
        credits_needed=Decimal("22.5"),
    )
    text = page(client, member, "/", NOV_30)
    assert "Extension fee unpaid: pay it to move your deadline to 06/01/2027" in text


def test_an_ipma_hr_invoice_is_payable_from_15_february(client, member, credential_in):
    from payments.invoices import invoice_issue

    credential = credential_in("ipma-hr")
    report = submitted(credential, dt.date(2026, 1, 10), status=Report.Status.SUBMITTED)
    with on(dt.date(2026, 1, 10)):
        invoice = invoice_issue(report=report, today=dt.date(2026, 1, 10))
    report.refresh_from_db()
    assert report.status == Report.Status.PAYMENT_DUE
    amount = f"{invoice.total:.2f} {invoice.currency}"

    text = page(client, member, "/", dt.date(2026, 1, 20))
    assert f"Pay invoice {invoice.number} ({amount}) from 02/15/2026" in text
    text = page(client, member, "/", dt.date(2026, 3, 1))
    assert f"Pay invoice {invoice.number} ({amount}) due {invoice.due_on:%m/%d/%Y}" in text


def test_ihmm_shows_the_lapse_and_the_six_month_grace_period(client, member, credential_in):
    credential = credential_in("ihmm")
    report_for(credential)
    text = page(client, member, "/recertification/", dt.date(2027, 2, 1))
    assert "Submit by 02/28/2027 — 27 days left" in text
    assert "lapses on 03/01/2027" in text
    assert "Grace period: 6 months after the lapse, until 08/31/2027" in text
    assert "Enter 100 more CMPs, by 02/28/2027" in text


def test_a_lapsed_member_is_told_until_when_to_reinstate(client, member, credential_in):
    credential_in("namss", status=Credential.Status.LAPSED)
    text = page(client, member, "/", dt.date(2027, 1, 15))
    assert "Lapsed on 01/01/2027: reinstate by 06/30/2027" in text
    assert "reinstatement fee of 100.00 USD" in text


def test_a_lapsed_ipma_hr_member_is_led_to_the_paper_report_route(client, member, credential_in):
    credential_in("ipma-hr", status=Credential.Status.LAPSED)
    text = page(client, member, "/", dt.date(2027, 1, 15))
    assert "Lapsed on 01/01/2027: send a paper Recertification Report with its fee" in text
    assert "please contact us" not in text
    assert 'href="/profile/reinstatement/"' in text


def test_a_submitted_report_is_in_review(client, member, credential_in):
    credential = credential_in("ihmm")
    submitted(credential, dt.date(2027, 1, 10))
    text = page(client, member, "/", dt.date(2027, 1, 20))
    assert "Next step: In review" in text
    assert "days left" not in text


def test_an_approved_member_is_certified_through_the_new_cycle_end(client, member, credential_in):
    credential = credential_in("ihmm")
    submitted(credential, dt.date(2027, 1, 10), status=Report.Status.APPROVED)
    Credential.objects.filter(pk=credential.pk).update(
        cycle_start=dt.date(2027, 3, 1), cycle_end=dt.date(2032, 2, 29)
    )
    text = page(client, member, "/", dt.date(2027, 1, 20))
    assert "Approved: certified through 02/29/2032" in text


def test_a_credential_whose_program_is_unknown_shows_a_plain_message(client, member, namss_dual):
    odd = CredentialFactory(holder=UserFactory(), program="ihmm", designation="CHMM")
    Credential.objects.filter(pk=odd.pk).update(holder=member, program="retired")
    text = page(client, member, "/", NOV_30)
    # Left out of Where you stand (members.models.readable_credentials); the page says why.
    assert "(CHMM) needs attention from staff" in text
    assert "Submit by 12/01/2026 — 1 day left" in text  # the other line still shows


@pytest.mark.parametrize("url", ["/", "/recertification/"])
def test_dates_that_do_not_compute_show_a_plain_message(
    client, member, namss_dual, url, monkeypatch
):
    def broken(credential, **kwargs):
        raise ValueError("day is out of range for month")

    monkeypatch.setattr("lifecycle.standing_summary.credential_deadlines", broken)
    text = page(client, member, url, NOV_30)
    assert "We cannot work out the dates of this certification" in text


def test_one_query_budget_whatever_the_number_of_entries(member, namss_dual):
    def count() -> int:
        with on(NOV_30), CaptureQueriesContext(connection) as captured:
            where_you_stand(member)
        return len(captured)

    count()  # the first read creates the program's fee settings
    few = count()
    for _ in range(30):
        namss_credits(namss_dual, credits="0.25", files=False)
    assert count() == few


@pytest.mark.parametrize("url", ["/", "/recertification/"])
def test_the_dashboard_shows_the_total_and_the_approved_minimum_still_needed(
    client, member, namss_dual, url
):
    text = " ".join(re.sub(r"<[^>]+>", " ", page(client, member, url, NOV_30)).split())
    assert "Total 27.5 of 45 credits, 17.5 more needed" in text
    assert "15 of at least 25, 10 more needed" in text


def test_a_submitted_report_shows_no_category_rows(client, member, namss_dual):
    Report.objects.filter(pk=namss_dual.pk).update(
        status=Report.Status.IN_REVIEW, submitted_at=noon(NOV_30)
    )
    text = page(client, member, "/", NOV_30)
    assert "what counts so far" not in text


def test_the_dashboard_total_and_what_is_still_needed_include_staff_adjustment(
    client, member, namss_dual
):
    Report.objects.filter(pk=namss_dual.pk).update(points_adjustment=Decimal("5"))
    text = " ".join(re.sub(r"<[^>]+>", " ", page(client, member, "/", NOV_30)).split())
    assert "Total 32.5 of 45 credits, 12.5 more needed" in text
