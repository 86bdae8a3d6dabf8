"""NAMSS extensions: requested until 1 December with half the credits documented; active once paid."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from lifecycle import extensions
from lifecycle.models import ExtensionRequest
from members.models import Credential, Notification
from payments.models import Invoice
from tests.factories import report_for

from .conftest import namss_credits, on

pytestmark = pytest.mark.django_db

PAGE = "/profile/extension/"


@pytest.fixture
def namss(credential_in):
    return credential_in("namss")


@pytest.fixture
def report(namss):
    report = report_for(namss)
    namss_credits(report, credits="10")
    namss_credits(report, credits="5", approved=False)
    namss_credits(report, credits="6", files=False)  # counted, but no certificate uploaded
    return report


def pay(invoice_pk: int) -> None:
    invoice = Invoice.objects.get(pk=invoice_pk)
    Invoice.objects.filter(pk=invoice_pk).update(status="paid", paid_at=invoice.created_at)


def test_half_the_required_credits_with_certificates_allow_a_request(at, report):
    terms = at(
        dt.date(2026, 11, 1), extensions.extension_terms, report=report, today=dt.date(2026, 11, 1)
    )
    assert terms.needed == Decimal(15)
    assert terms.documented == Decimal(15)
    assert terms.allowed


def test_fewer_documented_credits_are_refused_with_the_numbers(at, namss, report):
    entry = report.entries.get(quantity=5)
    entry.quantity = Decimal("4.75")
    entry.save()
    with pytest.raises(ValidationError) as refused:
        at(
            dt.date(2026, 11, 1),
            extensions.extension_request,
            report=report,
            member=namss.holder,
            today=dt.date(2026, 11, 1),
        )
    assert "at least 15 credits" in str(refused.value)
    assert "add up to 14.75" in str(refused.value)
    assert not ExtensionRequest.objects.exists()


@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (dt.date(2026, 7, 31), False),  # the application opens on 1 August
        (dt.date(2026, 8, 1), True),
        (dt.date(2026, 12, 1), True),  # the last day
        (dt.date(2026, 12, 2), False),
    ],
)
def test_an_extension_can_be_requested_from_1_august_until_1_december(at, report, day, allowed):
    terms = at(day, extensions.extension_terms, report=report, today=day)
    assert terms.allowed is allowed


def test_requesting_bills_the_fifty_dollar_fee_and_emails_the_member(at, namss, report):
    day = dt.date(2026, 12, 1)
    extension = at(day, extensions.extension_request, report=report, member=namss.holder, today=day)
    assert extension.status == ExtensionRequest.Status.REQUESTED
    assert extension.new_deadline == dt.date(2027, 6, 1)
    invoice = Invoice.objects.get(pk=extension.invoice_ref)
    assert invoice.kind == "extension"
    assert invoice.total == Decimal("50.00")
    assert invoice.report == report
    notification = Notification.objects.get(kind="extension_requested")
    assert invoice.number in notification.body_text
    assert "06/01/2027" in notification.body_text
    assert AuditLog.objects.filter(action="extension_requested", actor=namss.holder).exists()
    # A second request (double click) returns the first and bills nothing more.
    again = at(day, extensions.extension_request, report=report, member=namss.holder, today=day)
    assert again == extension
    assert Invoice.objects.filter(kind="extension").count() == 1


def test_the_deadline_moves_to_1_june_only_once_the_fee_is_paid(run, at, namss, report):
    day = dt.date(2026, 11, 20)
    extension = at(day, extensions.extension_request, report=report, member=namss.holder, today=day)
    assert not extensions.extension_active(report)
    assert run("activate_extensions", dt.date(2026, 11, 21)) == []
    pay(extension.invoice_ref)
    sent = run("activate_extensions", dt.date(2026, 11, 22))
    assert run("activate_extensions", dt.date(2026, 11, 22)) == []
    assert len(sent) == 1 and "06/01/2027" in sent[0].subject
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.ACTIVE
    # No lapse on 1 January, nor on 1 June; on 2 June it lapses.
    for day in (dt.date(2027, 1, 1), dt.date(2027, 6, 1)):
        run("lapse_credentials", day)
        namss.refresh_from_db()
        assert namss.status == Credential.Status.RENEW
    run("lapse_credentials", dt.date(2027, 6, 2))
    namss.refresh_from_db()
    assert namss.status == Credential.Status.LAPSED


def test_a_paid_extension_holds_even_before_the_sync_job_runs(run, at, namss, report):
    day = dt.date(2026, 11, 20)
    extension = at(day, extensions.extension_request, report=report, member=namss.holder, today=day)
    pay(extension.invoice_ref)
    run("lapse_credentials", dt.date(2027, 1, 1))
    namss.refresh_from_db()
    assert namss.status == Credential.Status.RENEW


def test_an_unpaid_extension_does_not_hold_and_is_cancelled_at_the_lapse(run, at, namss, report):
    day = dt.date(2026, 11, 20)
    extension = at(day, extensions.extension_request, report=report, member=namss.holder, today=day)
    run("lapse_credentials", dt.date(2027, 1, 1))
    namss.refresh_from_db()
    extension.refresh_from_db()
    assert namss.status == Credential.Status.LAPSED
    assert extension.status == ExtensionRequest.Status.CANCELLED
    # Paying afterwards does not reopen a lapsed credential.
    pay(extension.invoice_ref)
    assert run("activate_extensions", dt.date(2027, 1, 5)) == []
    namss.refresh_from_db()
    assert namss.status == Credential.Status.LAPSED


def test_a_report_submitted_under_an_extension_by_1_june_holds_the_credential(
    run, at, namss, report
):
    from recertification.models import Report

    day = dt.date(2026, 11, 20)
    extension = at(day, extensions.extension_request, report=report, member=namss.holder, today=day)
    pay(extension.invoice_ref)
    with on(dt.date(2027, 5, 30)):
        from django.utils import timezone

        Report.objects.filter(pk=report.pk).update(status="in_review", submitted_at=timezone.now())
    run("lapse_credentials", dt.date(2027, 6, 2))
    namss.refresh_from_db()
    assert namss.status == Credential.Status.RENEW


def test_ipma_hr_reports_have_no_extension(credential_in):
    report = report_for(credential_in("ipma-hr"))
    assert extensions.extension_terms(report, today=dt.date(2026, 11, 1)) is None


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_the_numbers_and_requests_the_extension(member_client, namss, report):
    with on(dt.date(2026, 11, 2)):
        page = member_client.get(PAGE)
        html = page.content.decode()
        assert page.status_code == 200
        assert "Needed for an extension" in html and "15" in html
        assert "12/01/2026" in html and "06/01/2027" in html
        done = member_client.post(PAGE, {"report": report.pk}, follow=True)
    assert "Your extension is requested" in done.content.decode()
    assert ExtensionRequest.objects.filter(report=report).count() == 1
    assert "You requested an extension on 11/02/2026" in done.content.decode()


def test_the_page_shows_why_a_request_is_refused(member_client, namss):
    report = report_for(namss)
    namss_credits(report, credits="3")
    with on(dt.date(2026, 12, 2)):
        html = member_client.get(PAGE).content.decode()
        refused = member_client.post(PAGE, {"report": report.pk}, follow=True).content.decode()
    assert "The last day to request an extension was 12/01/2026" in html
    assert "at least 15 credits" in refused
    assert not ExtensionRequest.objects.exists()


def test_another_members_report_is_a_404(client, second_member, report):
    client.force_login(second_member)
    with on(dt.date(2026, 11, 2)):
        response = client.post(PAGE, {"report": report.pk})
    assert response.status_code == 404
    assert not ExtensionRequest.objects.exists()
