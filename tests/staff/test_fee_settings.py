"""Fee settings: the currency is an ISO 4217 code."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.currencies import ISO_4217
from recertification.models import ProgramSettings

pytestmark = pytest.mark.django_db


def post(client, row, currency):
    return client.post(
        f"/admin/recertification/programsettings/{row.pk}/change/",
        {
            "program": row.program,
            "currency": currency,
            "recertification_fee": "150.00",
            "late_fee": "0",
            "extension_fee": "0",
            "reinstatement_fee": "0",
            "review_turnaround_days": "30",
            "change_reason": "Setting the currency",
        },
    )


@pytest.fixture
def row(db):
    return ProgramSettings.objects.create(program="ipma-hr", recertification_fee=Decimal("150"))


def test_an_unknown_currency_is_refused(finance_client, row):
    response = post(finance_client, row, "XYZ")
    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["currency"]
    assert "XYZ is not an ISO 4217 currency code" in message
    row.refresh_from_db()
    assert row.currency == "USD"


def test_lower_case_is_saved_in_capitals_as_the_form_says(finance_client, row):
    page = finance_client.get(f"/admin/recertification/programsettings/{row.pk}/change/")
    assert "capitals" in page.content.decode()
    assert post(finance_client, row, "cad").status_code == 302
    row.refresh_from_db()
    assert row.currency == "CAD"


def test_one_list_of_codes():
    assert {"USD", "EUR", "CAD", "GBP", "JPY"} <= ISO_4217
    assert "XYZ" not in ISO_4217 and all(len(c) == 3 and c.isupper() for c in ISO_4217)
