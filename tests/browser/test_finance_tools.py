"""Finance and reviewer tools in the admin, one journey per role, checked with axe-core: a partial
refund of an approved report's card payment, a second approver for a large refund, an invoice
raised by hand that the member then sees, a deposit of two checks; a reviewer correcting a
member's address and adding an entry on their behalf."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice import review
from core.models import AuditLog
from members.models import Notification
from payments import card, settlement
from payments import stripe_gateway as gateway
from payments.models import Deposit, FinanceSettings, Invoice, Refund
from recertification.models import Entry
from tests.browser.conftest import staff_in
from tests.browser.support import (
    admin_sign_in,
    check_accessible,
    noon,
    sign_in,
    submitted_with_points,
)
from tests.factories import CredentialFactory, UserFactory, report_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def member(username: str, **kwargs):
    person = UserFactory(username=username, email=f"{username}@example.org", **kwargs)
    return CredentialFactory(holder=person)


def paid_by_card(report) -> Invoice:
    invoice = Invoice.objects.get(report=report, status=Invoice.Status.OPEN)
    payment = card.payment_intent_for(
        invoice=invoice, member=report.member, payment_method="pm_card_visa"
    )
    gateway.payment_intent_confirm(payment.stripe_payment_intent_id, idempotency_key="journey")
    settlement.payment_confirm_from_stripe(payment_intent_id=payment.stripe_payment_intent_id)
    return invoice


def test_finance_refunds_part_of_an_approved_reports_card_payment_and_a_second_user_approves(
    page, live_server, clock, card_payments, axe_source
):
    clock(noon(2026, 9, 15))
    reviewer = staff_in("Reviewer", username="rita.reviewer")
    staff_in("Finance", username="fran.finance", email="fran@example.org")
    staff_in("Finance", username="fred.finance", email="fred@example.org")
    credential = member("pat.member", first_name="Pat", last_name="Member")
    report = submitted_with_points(credential)
    invoice = paid_by_card(report)
    review.report_approve(report=report, actor=reviewer)
    FinanceSettings.objects.create(refund_approval_above=Decimal("100.00"))
    problems: list[str] = []

    admin_sign_in(page, live_server, "fran.finance")
    page.goto(f"{live_server.url}/admin/payments/invoice/{invoice.pk}/refund/")
    expect(page.get_by_test_id("approved-warning")).to_contain_text("is approved")
    check_accessible(page, axe_source, problems)
    page.get_by_label("Amount to refund").fill("20.00")
    page.get_by_label("Reason:", exact=True).fill("Early renewal discount")
    page.get_by_role("radio", name="The renewal stands").check()
    page.get_by_label("Why the renewal stands").fill("The member's renewal was complete and paid")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".messagelist")).to_contain_text("Refunded 20.00 USD")
    check_accessible(page, axe_source, problems)
    first = Refund.objects.get()
    assert first.stripe_refund_id.startswith("re_")
    receipt = Notification.objects.get(key=f"refund_receipt:{first.pk}")
    assert "stays renewed" in receipt.body_text

    # Above the threshold: only requested, until another finance user approves it.
    page.goto(f"{live_server.url}/admin/payments/invoice/{invoice.pk}/refund/")
    page.get_by_label("Amount to refund").fill("110.00")
    page.get_by_label("Reason:", exact=True).fill("Fee reduced by the board")
    page.get_by_role("radio", name="The renewal stands").check()
    page.get_by_label("Why the renewal stands").fill("Board decision; the renewal stands")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator(".messagelist")).to_contain_text("another finance user must approve")
    large = Refund.objects.get(status=Refund.Status.REQUESTED)

    page.context.clear_cookies()
    admin_sign_in(page, live_server, "fred.finance")
    page.goto(f"{live_server.url}/admin/payments/refund/")
    check_accessible(page, axe_source, problems)
    page.goto(f"{live_server.url}/admin/payments/refund/{large.pk}/approve/")
    expect(page.get_by_test_id("refund-amount")).to_contain_text("110.00")
    check_accessible(page, axe_source, problems)
    page.get_by_label("Approve and refund now").check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".messagelist")).to_contain_text("approved and carried out")
    large.refresh_from_db()
    assert large.status == Refund.Status.REFUNDED and large.approved_by.username == "fred.finance"
    assert not problems, "\n".join(problems)


def test_finance_raises_an_invoice_the_member_sees_and_enters_a_deposit_of_two_checks(
    page, live_server, clock, axe_source
):
    clock(noon(2026, 9, 15))
    staff_in("Finance", username="fran.finance", email="fran@example.org")
    credential = member("nora.namss", first_name="Nora", last_name="Namss", organization="Mercy")
    other = submitted_with_points(member("olga.other"))
    problems: list[str] = []

    admin_sign_in(page, live_server, "fran.finance")
    page.goto(f"{live_server.url}/admin/payments/invoice/")
    page.get_by_role("link", name="Raise an invoice").click()
    check_accessible(page, axe_source, problems)
    page.get_by_label("Member number").fill(credential.holder.member_number)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Organization")).to_have_value("Mercy")
    page.get_by_label("Line 1 description").fill("Recertification fee")
    page.get_by_label("Line 1 amount").fill("275.00")
    page.get_by_label("Note for the history").fill("Placed in the account by hand")
    check_accessible(page, axe_source, problems)
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.locator(".messagelist")).to_contain_text("the member is emailed it")
    manual = Invoice.objects.get(member=credential.holder)
    assert manual.total == Decimal("275.00")
    assert Notification.objects.filter(kind="invoice_issued", invoice_ref=manual.pk).exists()

    page.goto(f"{live_server.url}/admin/payments/invoice/")
    page.get_by_role("link", name="Enter a deposit of checks").click()
    page.get_by_label("Deposit slip reference").fill("SLIP-2026-09-15")
    other_invoice = Invoice.objects.get(report=other, status=Invoice.Status.OPEN)
    for row, (invoice, number) in enumerate([(manual, "4411"), (other_invoice, "4412")], start=1):
        page.get_by_label(f"Row {row} invoice number").fill(invoice.number)
        page.get_by_label(f"Row {row} check number").fill(number)
        page.get_by_label(f"Row {row} check date").fill("2026-09-10")
        page.get_by_label(f"Row {row} amount").fill(str(invoice.total))
    check_accessible(page, axe_source, problems)
    page.get_by_role("button", name="Record deposit").click()
    expect(page.locator(".messagelist")).to_contain_text("2 check(s)")
    assert Deposit.objects.get().checks == 2

    page.context.clear_cookies()
    sign_in(page, live_server, credential.holder.username)
    page.goto(f"{live_server.url}/transactions/")
    expect(page.get_by_role("main")).to_contain_text(manual.number)
    assert not problems, "\n".join(problems)


def test_a_reviewer_corrects_a_members_address_and_adds_an_entry_for_them(
    page, live_server, clock, axe_source
):
    clock(noon(2026, 9, 15))
    staff_in("Reviewer", username="rita.reviewer", email="rita@example.org")
    credential = member("pat.member", first_name="Pat", last_name="Member")
    report_for(credential)
    holder = credential.holder
    problems: list[str] = []

    admin_sign_in(page, live_server, "rita.reviewer")
    page.goto(f"{live_server.url}/admin/members/user/{holder.pk}/change/")
    check_accessible(page, axe_source, problems)
    page.get_by_label("Street address").fill("2 Oak Avenue")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Reason").fill("The member phoned with the new address")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    holder.refresh_from_db()
    assert holder.street == "2 Oak Avenue"
    assert AuditLog.objects.filter(action="address corrected", reason__contains="phoned").exists()

    page.goto(f"{live_server.url}/admin/recertification/pointsadjustment/member/{holder.pk}/entry/")
    page.get_by_role("button", name="Show the form").click()
    page.get_by_label("Title").fill("Chapter workshop on pay equity")
    page.get_by_label("Sponsor").fill("Illinois Chapter")
    page.get_by_label("First Day of Professional Development").fill("2025-03-05")
    page.get_by_label("Number of Professional Development Days").fill("1")
    page.get_by_label("Reason").fill("Certificate received by mail")
    check_accessible(page, axe_source, problems)
    page.get_by_role("button", name="Save entry for the member").click()
    expect(page.locator(".messagelist")).to_contain_text("saved for the member")
    entry = Entry.objects.get(member=holder)
    log = AuditLog.objects.get(object_type="recertification.entry", object_id=str(entry.pk))
    assert log.reason == "Certificate received by mail" and log.actor.username == "rita.reviewer"
    assert not problems, "\n".join(problems)
