"""NAMSS extensions: requested until 1 December with half the credits documented; active once paid."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from backoffice.review import report_approve
from core.models import AuditLog
from lifecycle import extensions
from lifecycle.models import ExtensionRequest
from members.models import Credential, Notification
from payments import checks
from payments.models import Invoice
from recertification import services
from recertification.models import Report
from tests.factories import StaffFactory, UserFactory, report_for
from tests.payments.conftest import collect_card
from tests.stripe_peer import _stripe_off, localstripe, stripe_on  # noqa: F401

from .conftest import namss_credits, noon, on

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


def test_credits_a_provider_reported_count_as_documented(at, report):
    entry = report.entries.get(quantity=6)  # no certificate uploaded
    entry.source = entry.Source.PROVIDER
    entry.source_note = "Reported by Midwest Professional Learning"
    entry.save(update_fields=["source", "source_note"])
    terms = at(
        dt.date(2026, 11, 1), extensions.extension_terms, report=report, today=dt.date(2026, 11, 1)
    )
    assert terms.documented == Decimal(21)


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


# --- the extension fee is cancelled once it is no longer needed ---------------------------------

SUBMIT = "/recertification/submit/"
VISA = "4242424242424242"


def withdraw_url(extension) -> str:
    return reverse("lifecycle:extension_withdraw", args=[extension.report_id])


def submit_through_the_page(client, report, day: dt.date):
    with on(day):
        return client.post(
            SUBMIT,
            {"agreement": "agree", "report": report.pk, "date_agreed": day.isoformat()},
            follow=True,
        )


def invoice_row(page: str, number: str) -> str:
    """The Transactions table row of one invoice."""
    row = re.search(rf"<tr>\s*<th scope=\"row\"[^>]*><a [^>]*>{number}</a>.*?</tr>", page, re.S)
    assert row, f"no row for {number}"
    return row.group(0)


def test_an_extension_fee_unpaid_at_an_on_time_submission_is_cancelled_end_to_end(
    client,
    namss,
    report,
    stripe_on,  # noqa: F811 - the imported fixture
    django_capture_on_commit_callbacks,
):
    """The member's year: request an extension, then finish on time, pay and be approved.

    Before the fix the extension invoice stayed "Unpaid" with a Pay button for good."""
    member = namss.holder
    client.force_login(member)
    with on(dt.date(2026, 11, 2)):
        client.post(PAGE, {"report": report.pk})
    extension = ExtensionRequest.objects.get(report=report)
    fee = Invoice.objects.get(pk=extension.invoice_ref)
    assert fee.status == Invoice.Status.OPEN
    namss_credits(report, credits="9", files=False)  # the credits are complete after all

    done = submit_through_the_page(client, report, dt.date(2026, 11, 20))

    assert "Recertification Report was submitted" in done.content.decode()
    recertification = Invoice.objects.get(report=report, kind="recertification")
    assert "late" not in {line.fee_code for line in recertification.lines.all()}
    fee.refresh_from_db()
    assert fee.status == Invoice.Status.CANCELLED
    correction = fee.cancelled_by.get()
    assert correction.kind == Invoice.Kind.CORRECTION and correction.total == Decimal("-50.00")
    assert "submitted" in correction.reason
    extension.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.CANCELLED

    # Pay the recertification invoice by card (localstripe), then staff approve.
    with time_machine.travel(noon(dt.date(2026, 11, 21)), tick=True):
        url = reverse("payments:pay", args=[recertification.number])
        secret = re.search(r'data-client-secret="([^"]+)"', client.get(url).content.decode())
        setup = collect_card(stripe_on, secret.group(1), VISA)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"setup_intent": setup["id"]})
    recertification.refresh_from_db()
    assert recertification.status == Invoice.Status.PAID
    with on(dt.date(2026, 11, 25)):
        report_approve(report=report, actor=StaffFactory(username="rita.reviewer"))
    report.refresh_from_db()
    assert report.status == "approved"

    # Nothing is left to pay, and Transactions says what happened to the fee.
    assert not Invoice.objects.filter(member=member, status="open").exists()
    with on(dt.date(2026, 11, 26)):
        page = client.get(reverse("payments:transactions")).content.decode()
        unpaid = client.get(reverse("payments:transactions"), {"unpaid": "1"}).content.decode()
        detail = client.get(fee.get_absolute_url()).content.decode()
    assert "Cancelled" in invoice_row(page, fee.number)
    assert "Unpaid" not in invoice_row(page, fee.number)
    assert "Correction" in invoice_row(page, correction.number)
    assert reverse("payments:pay", args=[fee.number]) not in page
    assert "You have no unpaid invoices." in unpaid
    assert f'cancelled by correction invoice <a href="{correction.get_absolute_url()}">' in detail
    assert AuditLog.objects.filter(
        action="cancelled", object_type="payments.invoice", object_id=str(fee.pk)
    ).exists()


def test_a_late_submission_pays_the_late_fee_and_the_unpaid_extension_fee_is_cancelled(
    at, namss, report
):
    extension = at(
        dt.date(2026, 11, 30),
        extensions.extension_request,
        report=report,
        member=namss.holder,
        today=dt.date(2026, 11, 30),
    )
    namss_credits(report, credits="9", files=False)
    day = dt.date(2026, 12, 10)

    at(day, services.report_submit, report=report, member=namss.holder, agreed_on=day)

    fee = Invoice.objects.get(pk=extension.invoice_ref)
    assert fee.status == Invoice.Status.CANCELLED
    recertification = Invoice.objects.get(report=report, kind="recertification")
    assert "late" in {line.fee_code for line in recertification.lines.all()}
    assert recertification.status == Invoice.Status.OPEN


def test_a_paid_extension_is_never_cancelled(at, run, namss, report, staff):
    day = dt.date(2026, 11, 20)
    extension = at(day, extensions.extension_request, report=report, member=namss.holder, today=day)
    fee = Invoice.objects.get(pk=extension.invoice_ref)
    # Paid by check; the hourly job has not activated the extension yet.
    at(
        dt.date(2026, 11, 21),
        checks.payment_record_check,
        invoice=fee,
        number="314",
        check_date=dt.date(2026, 11, 20),
        amount=fee.total,
        actor=staff,
    )
    namss_credits(report, credits="9", files=False)

    at(
        dt.date(2026, 11, 22),
        services.report_submit,
        report=report,
        member=namss.holder,
        agreed_on=dt.date(2026, 11, 22),
    )
    run("activate_extensions", dt.date(2026, 11, 23))
    with pytest.raises(ValidationError, match="is paid"):
        at(
            dt.date(2026, 11, 23),
            extensions.extension_withdraw,
            extension_id=extension.pk,
            member=namss.holder,
        )

    fee.refresh_from_db()
    extension.refresh_from_db()
    assert fee.status == Invoice.Status.PAID
    assert not fee.cancelled_by.exists()
    assert extension.status == ExtensionRequest.Status.ACTIVE
    assert not AuditLog.objects.filter(action="extension_withdrawn").exists()


def test_the_hourly_job_cancels_fees_left_open_by_an_earlier_submission_or_a_lapse(
    run, at, credential_in, namss, report
):
    """Extension invoices left unpaid before this release: the report was submitted, or the
    credential lapsed and cancelled the extension but not its invoice."""
    day = dt.date(2026, 11, 20)
    submitted_early = at(
        day, extensions.extension_request, report=report, member=namss.holder, today=day
    )
    with on(dt.date(2026, 11, 21)):
        Report.objects.filter(pk=report.pk).update(status="payment_due", submitted_at=noon(day))
    other = credential_in("namss", holder=UserFactory(username="lee.lapsed"))
    other_report = report_for(other)
    namss_credits(other_report, credits="15")
    lapsed = at(
        day, extensions.extension_request, report=other_report, member=other.holder, today=day
    )
    run("lapse_credentials", dt.date(2027, 1, 1))
    assert Invoice.objects.get(pk=lapsed.invoice_ref).status == Invoice.Status.OPEN  # as before

    run("activate_extensions", dt.date(2027, 1, 1))
    run("activate_extensions", dt.date(2027, 1, 1))  # a second run changes nothing

    for extension in (submitted_early, lapsed):
        extension.refresh_from_db()
        fee = Invoice.objects.get(pk=extension.invoice_ref)
        assert fee.status == Invoice.Status.CANCELLED
        assert fee.cancelled_by.count() == 1
        assert extension.status == ExtensionRequest.Status.CANCELLED


# --- withdrawing a request before paying -----------------------------------------------------


@pytest.fixture
def requested(member_client, namss, report):
    with on(dt.date(2026, 11, 2)):
        member_client.post(PAGE, {"report": report.pk})
    return ExtensionRequest.objects.get(report=report)


def test_the_member_withdraws_an_unpaid_request_from_the_extension_page(
    member_client, member, requested
):
    fee = Invoice.objects.get(pk=requested.invoice_ref)
    with on(dt.date(2026, 11, 3)):
        page = member_client.get(PAGE).content.decode()
        assert f'action="{withdraw_url(requested)}"' in page
        assert "Withdraw the extension request" in page
        done = member_client.post(withdraw_url(requested), follow=True)

    html = done.content.decode()
    assert done.redirect_chain[-1][0] == PAGE
    assert "Your extension request is withdrawn" in html
    assert fee.number in html
    requested.refresh_from_db()
    fee.refresh_from_db()
    assert requested.status == ExtensionRequest.Status.CANCELLED
    assert fee.status == Invoice.Status.CANCELLED
    correction = fee.cancelled_by.get()
    assert correction.total == Decimal("-50.00")
    assert correction.reason == "The member withdrew the extension request."
    withdrawn = AuditLog.objects.get(action="extension_withdrawn")
    assert withdrawn.actor == member and withdrawn.member == member
    assert AuditLog.objects.filter(
        action="cancelled", object_id=str(fee.pk), object_type="payments.invoice", actor=member
    ).exists()
    # The request can be made again until 1 December: the page offers it.
    assert "Request an extension (50.00 USD)" in html


def test_withdrawing_twice_says_so_and_changes_nothing(member_client, requested):
    with on(dt.date(2026, 11, 3)):
        member_client.post(withdraw_url(requested), {"extension": requested.pk})
        again = member_client.post(withdraw_url(requested), follow=True)
    assert "already withdrawn" in again.content.decode()
    assert Invoice.objects.filter(kind="correction").count() == 1
    assert AuditLog.objects.filter(action="extension_withdrawn").count() == 1


def test_a_page_left_open_cannot_withdraw_a_newer_request(member_client, report, requested):
    with on(dt.date(2026, 11, 3)):
        member_client.post(withdraw_url(requested), {"extension": requested.pk})
        member_client.post(PAGE, {"report": report.pk})  # requested again
        stale = member_client.post(
            withdraw_url(requested), {"extension": requested.pk}, follow=True
        )
    assert "already withdrawn" in stale.content.decode()
    newer = ExtensionRequest.objects.get(report=report, status=ExtensionRequest.Status.REQUESTED)
    assert newer.pk != requested.pk
    assert Invoice.objects.get(pk=newer.invoice_ref).status == Invoice.Status.OPEN


def test_another_member_cannot_withdraw_it(client, second_member, requested):
    client.force_login(second_member)
    with on(dt.date(2026, 11, 3)):
        response = client.post(withdraw_url(requested))
    assert response.status_code == 404
    requested.refresh_from_db()
    assert requested.status == ExtensionRequest.Status.REQUESTED
    assert Invoice.objects.get(pk=requested.invoice_ref).status == Invoice.Status.OPEN


def test_a_paid_request_cannot_be_withdrawn(member_client, requested, staff):
    fee = Invoice.objects.get(pk=requested.invoice_ref)
    checks.payment_record_check(
        invoice=fee, number="9", check_date=dt.date(2026, 11, 2), amount=fee.total, actor=staff
    )
    with on(dt.date(2026, 11, 3)):
        page = member_client.get(PAGE).content.decode()
        refused = member_client.post(withdraw_url(requested), follow=True).content.decode()
    assert "Withdraw the extension request" not in page
    assert "is paid" in refused
    requested.refresh_from_db()
    fee.refresh_from_db()
    assert requested.status != ExtensionRequest.Status.CANCELLED
    assert fee.status == Invoice.Status.PAID


def test_withdrawing_takes_a_post(member_client, requested):
    with on(dt.date(2026, 11, 3)):
        assert member_client.get(withdraw_url(requested)).status_code == 405
    requested.refresh_from_db()
    assert requested.status == ExtensionRequest.Status.REQUESTED
