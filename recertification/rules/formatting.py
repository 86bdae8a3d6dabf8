"""Decimal and plural formatting shared by reasons, shortfalls and descriptions."""

from __future__ import annotations

from decimal import Decimal


def format_decimal(value: Decimal | int) -> str:
    """Show a Decimal as a person writes it: 5 not 5.00 or 5E+1, 0.25 kept as 0.25."""
    value = Decimal(value)
    if value == 0:
        # Decimal("-0") and Decimal("0E-2") would otherwise print as "-0" and "0.00".
        return "0"
    return format(value.normalize(), "f")


def format_grouped(value: Decimal | int) -> str:
    """Like format_decimal with thousands grouped: 99,999 and 10,000.5."""
    return f"{Decimal(format_decimal(value)):,}"


def plural(value: Decimal | int, singular: str, plural_form: str) -> str:
    """Pick the word that goes with a number: "1 point", "0.5 points", "2 points"."""
    return singular if value == 1 else plural_form


def count(value: Decimal | int, singular: str, plural_form: str) -> str:
    """A number and its word: "6 points", "1 contact hour", "0.25 credits"."""
    return f"{format_decimal(value)} {plural(value, singular, plural_form)}"


def format_money(amount: Decimal, currency: str) -> str:
    """Money with two decimals and the currency code: "150.00 USD"."""
    return f"{amount:,.2f} {currency}"
