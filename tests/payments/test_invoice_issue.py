"""Issuing invoices: one per submission, numbers, lines from the program's fees, billing copy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditLog
from payments import checks, invoices, settlement
from payments.models import Invoice, InvoiceCounter
from recertification.fees import program_fees
from recertification.models import ProgramSettings, Report
from tests.payments.factories import InvoiceFactory, ReportFactory

pytestmark = pytest.mark.django_db


def submitted_on(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def test_it_issues_the_ipma_hr_recertification_fee_and_marks_the_report_payment_due():
    report = ReportFactory(program="ipma-hr")

    invoice = invoices.invoice_issue(report=report, today=dt.date(2026, 3, 1))

    assert invoice.kind == Invoice.Kind.RECERTIFICATION
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.currency == "USD"
    assert invoice.total == Decimal("150.00")
    assert [(line.fee_code, line.amount) for line in invoice.lines.all()] == [
        ("recertification", Decimal("150.00"))
    ]
    assert "IPMA-SCP" in invoice.lines.get().description
    report.refresh_from_db()
    assert report.status == Report.Status.PAYMENT_DUE


def test_a_second_call_returns_the_same_invoice_and_takes_no_number():
    report = ReportFactory()

    first = invoices.invoice_issue(report=report)
    second = invoices.invoice_issue(report=report)

    assert first == second
    assert Invoice.objects.count() == 1
    assert InvoiceCounter.objects.get(prefix="RC-").last_number == 1


def test_numbers_are_the_prefix_and_a_counter_and_follow_one_another(settings):
    first = InvoiceFactory()
    second = InvoiceFactory()
    settings.INVOICE_NUMBER_PREFIX = "NAMSS-"
    third = InvoiceFactory()

    assert (first.number, second.number, third.number) == ("RC-00001", "RC-00002", "NAMSS-00001")


def test_the_database_refuses_a_second_live_recertification_invoice_for_a_report():
    invoice = InvoiceFactory()
    duplicate = {
        field: getattr(invoice, field)
        for field in ["member", "report", "kind", "currency", "issued_on", "payable_from", "due_on"]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            prefix="X-", counter=1, number="X-00001", total=Decimal("150.00"), **duplicate
        )


def test_the_database_refuses_a_negative_total_on_a_normal_invoice():
    invoice = InvoiceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("-1.00"))


def test_only_a_submitted_report_is_invoiced():
    report = ReportFactory(status=Report.Status.OPEN, submitted_at=None)

    with pytest.raises(invoices.PaymentError):
        invoices.invoice_issue(report=report)
    assert not Invoice.objects.exists()


def test_billing_name_and_address_are_copied_at_issue_time():
    report = ReportFactory(member__first_name="Pat", member__last_name="Member")
    invoice = invoices.invoice_issue(report=report)
    member = report.member
    member.last_name = "Renamed"
    member.street = "99 Other Road"
    member.save()

    invoice.refresh_from_db()
    assert invoice.billing_name == "Pat Member"
    assert invoice.billing_address.splitlines()[0] == "1 Main Street"
    assert invoice.member_number == member.member_number


def test_the_fee_is_the_program_setting_staff_can_change():
    ProgramSettings.objects.create(program="ipma-hr", recertification_fee=Decimal("175.50"))

    invoice = InvoiceFactory()

    assert invoice.total == Decimal("175.50")


def test_program_fees_creates_the_settings_row_from_the_defaults():
    fees = program_fees("namss")

    assert (fees.late, fees.extension, fees.reinstatement) == (
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("100.00"),
    )
    assert ProgramSettings.objects.get(program="namss").late_fee == Decimal("50.00")
    assert program_fees("ipma-hr").recertification == Decimal("150.00")


def test_ipma_hr_invoices_are_payable_from_15_february_of_the_year_the_cycle_ends():
    report = ReportFactory(program="ipma-hr")  # cycle ends 12/31/2026

    invoice = invoices.invoice_issue(report=report, today=dt.date(2026, 1, 10))

    assert invoice.issued_on == dt.date(2026, 1, 10)
    assert invoice.payable_from == dt.date(2026, 2, 15)
    assert invoice.due_on >= invoice.payable_from


def test_other_programs_are_payable_from_the_issue_date():
    report = ReportFactory(program="ihmm", submitted_at=submitted_on(dt.date(2026, 11, 2)))

    invoice = invoices.invoice_issue(report=report, today=dt.date(2026, 11, 2))

    assert invoice.payable_from == dt.date(2026, 11, 2)


def test_namss_on_time_submission_has_no_late_fee_and_is_due_on_1_december():
    report = ReportFactory(program="namss", submitted_at=submitted_on(dt.date(2026, 11, 20)))

    invoice = invoices.invoice_issue(report=report, today=dt.date(2026, 11, 20))

    assert [line.fee_code for line in invoice.lines.all()] == ["recertification"]
    assert invoice.due_on == dt.date(2026, 12, 1)
    assert invoice.on_time_until == dt.date(2026, 12, 1)


def test_namss_submission_after_1_december_adds_the_late_fee():
    report = ReportFactory(program="namss", submitted_at=submitted_on(dt.date(2026, 12, 2)))

    invoice = invoices.invoice_issue(report=report, today=dt.date(2026, 12, 2))

    lines = {line.fee_code: line.amount for line in invoice.lines.all()}
    assert lines["late"] == Decimal("50.00")
    assert invoice.total == program_fees("namss").recertification + Decimal("50.00")
    assert invoice.due_on == dt.date(2026, 12, 31)


def test_namss_with_a_paid_extension_is_not_late_until_1_june(staff):
    report = ReportFactory(program="namss", submitted_at=submitted_on(dt.date(2027, 3, 1)))
    extension = invoices.invoice_issue_extension(report=report, today=dt.date(2026, 11, 25))
    checks.payment_record_check(
        invoice=extension, number="50", check_date=dt.date(2026, 11, 25), amount="50", actor=staff
    )

    invoice = invoices.invoice_issue(report=report, today=dt.date(2027, 3, 1))

    assert extension.kind == Invoice.Kind.EXTENSION
    assert extension.total == Decimal("50.00")
    assert [line.fee_code for line in invoice.lines.all()] == ["recertification"]
    assert invoice.due_on == dt.date(2027, 6, 1)


def test_a_paper_report_of_a_lapsed_credential_adds_the_reinstatement_fee():
    report = ReportFactory(
        program="namss",
        is_paper=True,
        credentials__status="lapsed",
        submitted_at=submitted_on(dt.date(2027, 2, 1)),
    )

    invoice = invoices.invoice_issue(report=report, today=dt.date(2027, 2, 1))

    assert invoice.kind == Invoice.Kind.REINSTATEMENT
    assert [line.fee_code for line in invoice.lines.all()] == ["recertification", "reinstatement"]
    assert invoice.lines.get(fee_code="reinstatement").amount == Decimal("100.00")
    assert invoices.invoice_issue(report=report) == invoice


def test_a_zero_fee_invoice_is_settled_at_once_and_the_report_goes_to_review():
    ProgramSettings.objects.create(program="ipma-hr", recertification_fee=Decimal("0.00"))
    report = ReportFactory()

    invoice = invoices.invoice_issue(report=report)

    assert invoice.status == Invoice.Status.PAID
    report.refresh_from_db()
    assert report.status == Report.Status.IN_REVIEW


def test_issuing_leaves_an_audit_record():
    invoice = InvoiceFactory()

    log = AuditLog.objects.get(object_type="payments.invoice", object_id=str(invoice.pk))
    assert log.action == "issued"
    assert log.after["number"] == invoice.number
    assert log.member == invoice.member


def test_cancelling_issues_a_correction_that_refers_to_the_original(staff):
    invoice = InvoiceFactory()

    correction = settlement.invoice_cancel(invoice=invoice, actor=staff, reason="Wrong program")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert correction.kind == Invoice.Kind.CORRECTION
    assert correction.cancels == invoice
    assert correction.total == -invoice.total
    assert correction.number == "RC-00002"
    assert correction.reason == "Wrong program"
    # The report can be invoiced again, under a new number; the old one is never reused.
    again = invoices.invoice_issue(report=invoice.report)
    assert again.number == "RC-00003"


def test_cancelling_needs_a_reason(staff):
    invoice = InvoiceFactory()

    with pytest.raises(invoices.PaymentError):
        settlement.invoice_cancel(invoice=invoice, actor=staff, reason="  ")


@time_machine.travel(dt.datetime(2026, 1, 10, 15, tzinfo=dt.UTC), tick=False)
def test_issue_date_defaults_to_today():
    invoice = InvoiceFactory(report__submitted_at=timezone.now())

    assert invoice.issued_on == dt.date(2026, 1, 10)


def test_a_returned_report_submitted_again_keeps_its_paid_invoice_and_goes_to_review(staff):
    invoice = InvoiceFactory()
    checks.payment_record_check(
        invoice=invoice, number="1", check_date=dt.date(2026, 11, 1), amount="150", actor=staff
    )
    report = Report.objects.get(pk=invoice.report_id)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.SUBMITTED)

    again = invoices.invoice_issue(report=report)

    assert again == invoice
    assert Invoice.objects.count() == 1
    report.refresh_from_db()
    assert report.status == Report.Status.IN_REVIEW


def test_namss_with_an_unpaid_extension_is_still_late():
    report = ReportFactory(program="namss", submitted_at=submitted_on(dt.date(2026, 12, 10)))
    invoices.invoice_issue_extension(report=report, today=dt.date(2026, 11, 25))

    invoice = invoices.invoice_issue(report=report, today=dt.date(2026, 12, 10))

    assert "late" in [line.fee_code for line in invoice.lines.all()]
