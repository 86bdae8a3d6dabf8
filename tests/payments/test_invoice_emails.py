"""The member's emails about invoices: one email at submission covering the report and its invoice,
an "invoice issued" email for every other invoice, none for a cancelling invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from members.models import Credential, Notification
from payments import invoices, settlement
from payments.models import CheckAddress, Invoice
from recertification import services
from recertification.models import ProgramSettings, Report
from tests.browser.support import noon
from tests.factories import CredentialFactory, EntryFactory, UserFactory, report_for
from tests.payments.factories import ReportFactory

pytestmark = pytest.mark.django_db

DAY = noon(2026, 9, 15)


@pytest.fixture(autouse=True)
def _on_the_day():
    with time_machine.travel(DAY, tick=False):
        yield


@pytest.fixture
def card(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_x"


def filled_ipma_report(member=None, designation="IPMA-SCP"):
    credential = CredentialFactory(
        holder=member or UserFactory(email="pat@example.org"), designation=designation
    )
    report = report_for(credential)
    EntryFactory(member=credential.holder, kind="ipma.pd.full_day", date=dt.date(2024, 3, 5),
                 quantity=17, details={"title": "HR Academy"}, reports=[report])  # fmt: skip
    return report


def submit(report: Report) -> Report:
    services.report_submit(report=report, member=report.member, agreed_on=timezone.localdate())
    report.refresh_from_db()
    return report


def test_submission_sends_one_email_with_the_report_and_its_invoice(
    card, django_capture_on_commit_callbacks
):
    report = filled_ipma_report()
    with django_capture_on_commit_callbacks(execute=True):
        submit(report)
    invoice = Invoice.objects.get(report=report)

    assert list(Notification.objects.values_list("kind", flat=True)) == ["report_submitted"]
    [message] = mail.outbox
    assert message.to == ["pat@example.org"]
    assert "IPMA-SCP" in message.subject
    body = message.body
    for expected in (
        "IPMA-SCP",
        "01/01/2024",  # the cycle
        "12/31/2026",
        "51 of 50 points",  # counted for the credential
        invoice.number,
        "150.00 USD",
        invoice.due_on.strftime("%m/%d/%Y"),
        f"/transactions/invoices/{invoice.number}/pay/",
    ):
        assert expected in body, expected
    html = message.alternatives[0][0]
    assert invoice.number in html and f"/transactions/invoices/{invoice.number}/pay/" in html
    assert Notification.objects.get().invoice_ref == invoice.pk


def test_a_dual_report_names_both_credentials(django_capture_on_commit_callbacks):
    member = UserFactory(email="morgan@example.org")
    credentials = [
        CredentialFactory(holder=member, program="namss", designation=designation,
                          cycle_start=dt.date(2023, 12, 2), cycle_end=dt.date(2026, 12, 1))
        for designation in ("CPCS", "CPMSM")
    ]  # fmt: skip
    report = ReportFactory(member=member, program="namss", credentials=credentials,
                           status=Report.Status.OPEN, submitted_at=None, agreed_on=None)  # fmt: skip
    for title, quantity, approved in (("Conference", "30", True), ("Workshop", "16", False)):
        EntryFactory(member=member, program="namss", kind="namss.ce", category="ce",
                     date=dt.date(2025, 9, 15), quantity=Decimal(quantity), approved=approved,
                     details={"title": title}, reports=[report])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        submit(report)
    [message] = mail.outbox
    assert "CPCS" in message.body and "CPMSM" in message.body
    assert "46 of 45 credits" in message.body


def test_without_card_payments_the_email_says_where_to_mail_a_check(
    django_capture_on_commit_callbacks,
):
    CheckAddress.objects.create(
        program="",
        payee="Certification Board Inc.",
        mailing_address="PO Box 4021\nAlexandria, VA 22314",
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit(filled_ipma_report())
    [message] = mail.outbox
    assert "Certification Board Inc." in message.body and "PO Box 4021" in message.body
    assert "/pay/" not in message.body


def test_nothing_to_pay_is_said_so(django_capture_on_commit_callbacks):
    ProgramSettings.objects.create(program="ipma-hr", recertification_fee=Decimal("0.00"))
    with django_capture_on_commit_callbacks(execute=True):
        report = submit(filled_ipma_report())
    assert report.status == Report.Status.IN_REVIEW
    [message] = mail.outbox
    assert "nothing to pay" in message.body.lower()
    assert "/pay/" not in message.body


def test_a_rolled_back_submission_sends_nothing(django_capture_on_commit_callbacks):
    report = filled_ipma_report()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        submit(report)
        raise RuntimeError("something later failed")
    assert mail.outbox == []
    assert not Notification.objects.exists() and not Invoice.objects.exists()


def test_an_extension_invoice_sends_an_invoice_email(card, django_capture_on_commit_callbacks):
    report = ReportFactory(program="namss", status=Report.Status.OPEN, submitted_at=None,
                           agreed_on=None, member=UserFactory(email="m@example.org"))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoices.invoice_issue_extension(report=report)
    [message] = mail.outbox
    assert message.to == ["m@example.org"]
    assert invoice.number in message.subject
    for expected in (
        invoice.number,
        "Extension fee, CPCS",
        "50.00 USD",
        invoice.due_on.strftime("%m/%d/%Y"),
        f"/transactions/invoices/{invoice.number}/pay/",
    ):
        assert expected in message.body, expected
    assert Notification.objects.get().kind == "invoice_issued"


def test_a_paper_report_invoice_sends_an_invoice_email(django_capture_on_commit_callbacks):
    member = UserFactory(email="riley@example.org")
    credential = CredentialFactory(holder=member, designation="IPMA-CP",
                                   cycle_start=dt.date(2021, 1, 1), cycle_end=dt.date(2023, 12, 31),
                                   status=Credential.Status.LAPSED)  # fmt: skip
    report = report_for(credential)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoices.invoice_issue_paper_report(report=report)
    [message] = mail.outbox
    assert message.to == ["riley@example.org"] and invoice.number in message.body
    assert f"{invoice.total} {invoice.currency}" in message.body


def test_a_staff_invoice_outside_submission_sends_an_invoice_email(
    django_capture_on_commit_callbacks,
):
    report = ReportFactory(member=UserFactory(email="paper@example.org"))  # recorded by staff
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoices.invoice_issue(report=report)
    [message] = mail.outbox
    assert invoice.number in message.body
    assert Notification.objects.get().kind == "invoice_issued"


def test_a_cancelling_invoice_sends_no_email(staff, django_capture_on_commit_callbacks):
    report = ReportFactory()
    invoice = invoices.invoice_issue(report=report)
    mail.outbox.clear()
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        correction = settlement.invoice_cancel(invoice=invoice, actor=staff, reason="Duplicate")
    assert correction.kind == Invoice.Kind.CORRECTION
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_the_invoice_email_of_an_unverified_member_is_held(django_capture_on_commit_callbacks):
    member = UserFactory(email="new@example.org", email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        invoices.invoice_issue(report=ReportFactory(member=member))
    assert mail.outbox == []
    assert Notification.objects.get().status == Notification.Status.HELD
