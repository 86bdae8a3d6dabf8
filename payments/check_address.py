"""Where members send a check: the payee and mailing address staff set in the admin (CheckAddress),
per program or one for every program, read for the Transactions, invoice and pay pages and the
invoice PDF.

The addresses change rarely and every payment page prints one, so they are read all at once into
the cache (at most a minute old; a save drops them at once) and cost a page no query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from .models import CHECK_ADDRESS_CACHE_KEY, CheckAddress, Invoice

CACHE_SECONDS = 60


@dataclass(frozen=True)
class CheckInstructions:
    """Whom a check is made payable to and where it is mailed."""

    payee: str
    address_lines: tuple[str, ...]


@dataclass(frozen=True)
class CheckAddresses:
    """Every address staff set, by program ("": the one for every program without its own)."""

    by_program: dict[str, CheckInstructions]

    def for_program(self, program: str) -> CheckInstructions | None:
        """The program's own address, else the one for every program; None while none is set."""
        return self.by_program.get(program) or self.by_program.get("")

    def for_invoice(self, invoice: Invoice) -> CheckInstructions | None:
        """Where a check for `invoice` goes, by its report's program (select_related("report"))."""
        return self.for_program(invoice.report.program if invoice.report_id else "")


def check_addresses() -> CheckAddresses:
    by_program = cache.get(CHECK_ADDRESS_CACHE_KEY)
    if by_program is None:
        by_program = {
            row.program: CheckInstructions(row.payee, tuple(row.address_lines))
            for row in CheckAddress.objects.all()
        }
        cache.set(CHECK_ADDRESS_CACHE_KEY, by_program, CACHE_SECONDS)
    return CheckAddresses(by_program)


def check_instructions_for(invoice: Invoice) -> CheckInstructions | None:
    return check_addresses().for_invoice(invoice)
