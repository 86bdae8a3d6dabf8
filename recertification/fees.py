"""A program's fees as staff set them (ProgramSettings), starting from its rules module's defaults.

Read by payments (what an invoice bills), the lifecycle (what reminders and the reinstatement page
quote) and the back office (paper reports). The amounts are staff-editable in the admin; the first
read of a program creates its settings row from `rules.default_fees`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from . import rules
from .models import ProgramSettings

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ProgramFees:
    program: str
    currency: str
    recertification: Decimal
    late: Decimal
    extension: Decimal
    reinstatement: Decimal

    def by_code(self) -> dict[str, Decimal]:
        return {
            "recertification": self.recertification,
            "late": self.late,
            "extension": self.extension,
            "reinstatement": self.reinstatement,
        }


def _default_fees(program_code: str) -> tuple[dict[str, Decimal], str]:
    fees = rules.default_fees(program_code)
    currency = next(iter(fees.values())).currency if fees else settings.CURRENCY
    return {code: Decimal(fee.amount) for code, fee in fees.items()}, currency


def _from_row(row: ProgramSettings) -> ProgramFees:
    return ProgramFees(
        program=row.program,
        currency=row.currency,
        recertification=row.recertification_fee,
        late=row.late_fee,
        extension=row.extension_fee,
        reinstatement=row.reinstatement_fee,
    )


def _row_defaults(program_code: str) -> dict:
    defaults, currency = _default_fees(program_code)
    return {
        "currency": currency,
        "recertification_fee": defaults.get("recertification", ZERO),
        "late_fee": defaults.get("late", ZERO),
        "extension_fee": defaults.get("extension", ZERO),
        "reinstatement_fee": defaults.get("reinstatement", ZERO),
    }


def program_fees(program_code: str) -> ProgramFees:
    """The program's fees as staff set them; the settings row is created from the defaults."""
    row, _ = ProgramSettings.objects.get_or_create(
        program=program_code, defaults=_row_defaults(program_code)
    )
    return _from_row(row)


def fees_as_set(codes) -> dict[str, ProgramFees]:
    """Several programs' fees as staff set them, else their defaults: one query, and no row written
    (for page views; `program_fees` creates the row on first use). Unknown programs are left out."""
    rows = {r.program: r for r in ProgramSettings.objects.filter(program__in=sorted(codes))}
    fees = {}
    for code in codes:
        if code in rows:
            fees[code] = _from_row(rows[code])
            continue
        try:
            fees[code] = _from_row(ProgramSettings(program=code, **_row_defaults(code)))
        except (KeyError, ValueError):
            continue  # an unknown program: the page says so where it shows it
    return fees
