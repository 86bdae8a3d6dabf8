"""The extension fee under concurrent clicks, on PostgreSQL where row locks mean something: a fee is
cancelled once (one correction), and never both paid and cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.models import AuditLog
from lifecycle import extensions
from lifecycle.models import ExtensionRequest
from payments import checks
from payments.invoices import PaymentError
from payments.models import Invoice
from recertification import services
from tests.concurrency import postgres_only, run_together
from tests.factories import StaffFactory, report_for

from .conftest import namss_credits, noon

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def requested(credential_in):
    with time_machine.travel(noon(DAY), tick=True):
        report = report_for(credential_in("namss"))
        namss_credits(report, credits="15")
        namss_credits(report, credits="15", approved=False)
        extension = extensions.extension_request(report=report, member=report.member, today=DAY)
    return extension


def test_simultaneous_withdrawals_cancel_the_fee_once(requested):
    results = run_together(
        lambda: extensions.extension_withdraw(extension_id=requested.pk, member=requested.member),
        count=4,
    )
    done = [r for r in results if isinstance(r, extensions.Withdrawal)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(done) == 1 and len(refused) == 3, results
    assert Invoice.objects.filter(kind="correction").count() == 1
    assert AuditLog.objects.filter(action="extension_withdrawn").count() == 1


def test_a_withdrawal_racing_a_check_leaves_the_fee_either_paid_or_cancelled(requested):
    fee = Invoice.objects.get(pk=requested.invoice_ref)
    staff = StaffFactory(username="fran.finance")
    calls = iter(
        [
            lambda: extensions.extension_withdraw(
                extension_id=requested.pk, member=requested.member
            ),
            lambda: checks.payment_record_check(
                invoice=fee, number="42", check_date=DAY, amount=fee.total, actor=staff
            ),
        ]
    )
    results = run_together(lambda: next(calls)(), count=2)

    fee.refresh_from_db()
    requested.refresh_from_db()
    failures = [r for r in results if isinstance(r, ValidationError | PaymentError)]
    assert len(failures) == 1, results
    if fee.status == Invoice.Status.PAID:
        assert not fee.cancelled_by.exists()
        assert requested.status == ExtensionRequest.Status.REQUESTED
    else:
        assert fee.status == Invoice.Status.CANCELLED
        assert not fee.payments.exists()
        assert requested.status == ExtensionRequest.Status.CANCELLED


def test_a_submission_racing_a_withdrawal_cancels_the_fee_once(requested):
    report = requested.report
    with time_machine.travel(noon(DAY), tick=True):
        calls = iter(
            [
                lambda: extensions.extension_withdraw(
                    extension_id=requested.pk, member=requested.member
                ),
                lambda: services.report_submit(report=report, member=report.member, agreed_on=DAY),
            ]
        )
        results = run_together(lambda: next(calls)(), count=2)

    assert not any(isinstance(r, Exception) and not isinstance(r, ValidationError) for r in results)
    fee = Invoice.objects.get(pk=requested.invoice_ref)
    assert fee.status == Invoice.Status.CANCELLED
    assert fee.cancelled_by.count() == 1
    assert Invoice.objects.filter(report=report, kind="recertification").count() == 1
