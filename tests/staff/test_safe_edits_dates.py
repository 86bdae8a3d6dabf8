"""Impossible dates are refused with a message: checks from the future, paper reports signed
in the future."""

from __future__ import annotations

import datetime as dt

import pytest

from backoffice.admin.paper import PaperReportForm
from payments.checks import POSTDATED_DAYS, payment_record_check
from payments.invoices import PaymentError
from payments.models import Payment

from .conftest import TODAY, invoice_of, submitted_report

pytestmark = pytest.mark.django_db


def post_check(client, invoice, **changes):
    data = {
        "check_number": "2001",
        "check_date": TODAY.isoformat(),
        "amount": str(invoice.total),
        "received_on": TODAY.isoformat(),
    } | changes
    return client.post(f"/admin/payments/invoice/{invoice.pk}/record-check/", data)


def errors(response, field):
    return list(response.context["form"].errors.get(field, []))


def test_a_check_received_in_the_future_is_refused(finance_client):
    invoice = invoice_of(submitted_report(paid=False))
    tomorrow = TODAY + dt.timedelta(days=1)
    response = post_check(finance_client, invoice, received_on=tomorrow.isoformat())
    assert response.status_code == 200
    (message,) = errors(response, "received_on")
    assert "future" in message
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_a_check_post_dated_beyond_the_limit_is_refused(finance_client):
    invoice = invoice_of(submitted_report(paid=False))
    later = TODAY + dt.timedelta(days=POSTDATED_DAYS + 1)
    response = post_check(finance_client, invoice, check_date=later.isoformat())
    assert response.status_code == 200
    (message,) = errors(response, "check_date")
    assert "post-dated" in message
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_a_check_post_dated_within_the_limit_is_recorded_with_a_warning(finance_client):
    invoice = invoice_of(submitted_report(paid=False))
    soon = TODAY + dt.timedelta(days=10)
    response = post_check(finance_client, invoice, check_date=soon.isoformat())
    assert response.status_code == 302
    page = finance_client.get(response.url).content.decode()
    assert "post-dated" in page
    assert Payment.objects.filter(invoice=invoice, check_date=soon).exists()


def test_the_service_refuses_impossible_check_dates_on_every_path(finance):
    invoice = invoice_of(submitted_report(paid=False))
    with pytest.raises(PaymentError, match="post-dated"):
        payment_record_check(
            invoice=invoice,
            number="9",
            check_date=TODAY + dt.timedelta(days=POSTDATED_DAYS + 1),
            amount=invoice.total,
            actor=finance,
        )
    with pytest.raises(PaymentError, match="future"):
        payment_record_check(
            invoice=invoice,
            number="9",
            check_date=TODAY,
            amount=invoice.total,
            actor=finance,
            received_on=TODAY + dt.timedelta(days=2),
        )


def test_a_paper_report_signed_in_the_future_is_refused():
    form = PaperReportForm({"signed_on": (TODAY + dt.timedelta(days=1)).isoformat()}, can_pay=False)
    assert not form.is_valid()
    (message,) = form.errors["signed_on"]
    assert "future" in message


def test_a_paper_report_signed_today_is_accepted():
    form = PaperReportForm({"signed_on": TODAY.isoformat()}, can_pay=False)
    assert form.is_valid(), form.errors
