"""The NAMSS calendar at submission: the application opens 1 August, a late fee after 1 December."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payments.models import Invoice
from recertification import services
from tests.factories import report_for

from .conftest import namss_credits

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(credential_in):
    """A NAMSS report that meets the requirement (30 credits, 15 approved)."""
    report = report_for(credential_in("namss"))
    namss_credits(report, credits="15")
    namss_credits(report, credits="15", approved=False)
    return report


def submit(at, report, day):
    return at(day, services.report_submit, report=report, member=report.member, agreed_on=day)


@pytest.mark.parametrize(
    ("day", "opens"), [(dt.date(2026, 7, 31), False), (dt.date(2026, 8, 1), True)]
)
def test_the_application_opens_on_1_august_of_the_renewal_year(at, ready, day, opens):
    if opens:
        assert submit(at, ready, day).status != "open"
    else:
        with pytest.raises(ValidationError, match="opens on 08/01/2026"):
            submit(at, ready, day)


@pytest.mark.parametrize(
    ("day", "late_fee"), [(dt.date(2026, 12, 1), False), (dt.date(2026, 12, 2), True)]
)
def test_a_report_submitted_after_1_december_gets_the_50_dollar_late_fee(at, ready, day, late_fee):
    submit(at, ready, day)
    invoice = Invoice.objects.get(report=ready, kind="recertification")
    lines = {line.fee_code: line.amount for line in invoice.lines.all()}
    assert ("late" in lines) is late_fee
    if late_fee:
        assert lines["late"] == Decimal("50.00")
