"""Money: Decimal amounts to Stripe's integer cents and back, exactly or not at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.stripe_gateway import from_minor_units, to_minor_units

amounts = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)


@given(amounts)
def test_two_place_amounts_go_to_cents_and_back_unchanged(amount):
    cents = to_minor_units(amount, "USD")

    assert isinstance(cents, int)
    assert cents == int(amount * 100)
    assert from_minor_units(cents, "USD") == amount


def test_150_dollars_are_15000_cents():
    assert to_minor_units(Decimal("150.00"), "usd") == 15000
    assert to_minor_units(Decimal("0.10"), "USD") == 10


def test_a_fraction_of_a_cent_is_refused_rather_than_rounded():
    with pytest.raises(ValueError):
        to_minor_units(Decimal("150.005"), "USD")


def test_zero_decimal_currencies_are_charged_in_whole_units():
    assert to_minor_units(Decimal("1500"), "JPY") == 1500
    with pytest.raises(ValueError):
        to_minor_units(Decimal("1500.50"), "JPY")
