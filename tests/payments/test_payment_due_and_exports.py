"""A report goes to payment due in one place (invoices.report_payment_due), whoever sends it there,
and the accounts team's exports cost the same queries however many rows they hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditLog
from payments import checks, exports, invoices, refunds
from payments.models import Invoice, Payment, Refund
from recertification.models import Report
from tests.payments.factories import InvoiceFactory, ReportFactory

pytestmark = pytest.mark.django_db


def report_log(report, action):
    return AuditLog.objects.get(
        object_type="recertification.report", object_id=str(report.pk), action=action
    )


def paid_by_check(member, finance, number="77"):
    invoice = InvoiceFactory(report__member=member) if member else InvoiceFactory()
    return checks.payment_record_check(
        invoice=invoice, number=number, check_date=dt.date(2026, 11, 1), amount="150",
        actor=finance,
    )  # fmt: skip


def test_submission_billing_logs_payment_due_with_the_invoice(member):
    invoice = InvoiceFactory(report__member=member)

    entry = report_log(invoice.report, "payment_due")
    assert entry.before == {"status": "submitted"}
    assert entry.after == {"status": "payment_due", "invoice": invoice.number}


def test_a_refund_back_to_payment_due_logs_why_and_from_where(member, finance):
    payment = paid_by_check(member, finance)
    report = Report.objects.get(pk=payment.invoice.report_id)

    refunds.refund_request(
        payment=payment, actor=finance, amount="150", reason="Paid for the wrong member",
        check_number="5004", check_date=dt.date(2026, 11, 10),
        consequence=Refund.Consequence.PAYMENT_DUE,
    )  # fmt: skip

    entry = report_log(report, "payment due again")
    assert entry.before == {"status": "in_review"}
    assert entry.after == {"status": "payment_due"}
    assert entry.reason == "Payment refunded: Paid for the wrong member"
    assert entry.actor == finance
    # The new invoice finds the report at payment due already: no second "payment_due" row.
    assert AuditLog.objects.filter(
        object_type="recertification.report", object_id=str(report.pk), action="payment_due"
    ).count() == 1  # fmt: skip


def test_export_queries_do_not_grow_with_the_rows(member, finance):
    def export_queries(model_admin_export, queryset) -> int:
        response = model_admin_export(queryset)
        with CaptureQueriesContext(connection) as queries:
            b"".join(response.streaming_content)
        return len(queries)

    paid_by_check(member, finance, number="1")
    payment = Payment.objects.get()
    refunds.refund_request(payment=payment, actor=finance, amount="10", reason="Overpaid",
                           check_number="88", check_date=dt.date(2026, 11, 3))  # fmt: skip
    one = {
        "invoices": export_queries(exports.invoices_csv, Invoice.objects.all()),
        "payments": export_queries(exports.payments_csv, Payment.objects.all()),
        "refunds": export_queries(exports.refunds_csv, Refund.objects.all()),
    }
    for n in range(2, 5):
        payment = paid_by_check(None, finance, str(n))  # another member each
        refunds.refund_request(payment=payment, actor=finance, amount="10", reason="Overpaid",
                               check_number=f"9{n}", check_date=dt.date(2026, 11, 3))  # fmt: skip

    assert Refund.objects.count() == 4
    assert export_queries(exports.invoices_csv, Invoice.objects.all()) == one["invoices"]
    assert export_queries(exports.payments_csv, Payment.objects.all()) == one["payments"]
    assert export_queries(exports.refunds_csv, Refund.objects.all()) == one["refunds"]


def test_each_list_names_its_own_export(finance_client, finance):
    finance.user_permissions.add(Permission.objects.get(codename="view_refund"))
    for model, label in [
        (Invoice, "Export selected invoices to CSV"),
        (Payment, "Export selected payments to CSV"),
        (Refund, "Export selected refunds to CSV"),
    ]:
        model_admin = admin.site._registry[model]
        request = finance_client.get(reverse("admin:index")).wsgi_request
        choices = dict(model_admin.get_action_choices(request))
        assert choices["export_csv"] == label
        url = reverse(f"admin:payments_{model._meta.model_name}_export")
        assert finance_client.get(url).status_code == 200


def test_manual_invoice_for_a_submitted_report_logs_payment_due(member, finance):
    report = ReportFactory(member=member)

    invoice = invoices.invoice_issue_manual(
        member=member, lines=[("Recertification fee", "150")], currency="usd",
        due_on=dt.date.today() + dt.timedelta(days=10), actor=finance, report=report,
    )  # fmt: skip

    entry = report_log(report, "payment_due")
    assert entry.after == {"status": "payment_due", "invoice": invoice.number}
