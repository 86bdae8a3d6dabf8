"""Staff personas (one per group, from tests/staff_personas.py) signed in, and reports brought to
the state a test needs through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from recertification import services
from recertification.models import Report
from tests.factories import CredentialFactory, EntryFactory, UserFactory, report_for
from tests.staff_personas import (  # noqa: F401 - the fixtures of this folder
    administrator,
    administrator_client,
    finance,
    finance_client,
    reviewer,
    reviewer_client,
)

TODAY = dt.date(2026, 11, 20)

CYCLES = {
    "ipma-hr": ("IPMA-SCP", dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "namss": ("CPCS", dt.date(2023, 12, 2), dt.date(2026, 12, 1)),
    "ihmm": ("CHMM", dt.date(2022, 3, 1), dt.date(2027, 2, 28)),
}


@pytest.fixture(autouse=True)
def _today():
    """Every staff test runs on 20 November 2026 unless it travels elsewhere."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 15, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _invoice_prefix(settings):
    settings.INVOICE_NUMBER_PREFIX = "RC-"


def credential_in(program: str, holder=None, designation: str | None = None, **extra):
    default, start, end = CYCLES[program]
    return CredentialFactory(
        holder=holder or UserFactory(),
        program=program,
        designation=designation or default,
        certified_since=extra.pop("certified_since", start),
        cycle_start=start,
        cycle_end=end,
        **extra,
    )


def fill(report: Report, entries: int = 1) -> None:
    """Enough entries to meet the requirement (the first one alone meets it)."""
    member = report.member
    if report.program == "namss":
        EntryFactory(member=member, program="namss", kind="namss.ce", category="ce",
                     date=dt.date(2024, 5, 1), quantity=Decimal("15"), approved=True,
                     details={"title": "NAMSS conference"}, reports=[report])  # fmt: skip
        EntryFactory(member=member, program="namss", kind="namss.ce", category="ce",
                     date=dt.date(2024, 6, 1), quantity=Decimal("15"),
                     details={"title": "Webinar series"}, reports=[report])  # fmt: skip
        entries -= 2
    else:
        EntryFactory(member=member, kind="ipma.pd.full_day", date=dt.date(2024, 3, 5),
                     quantity=17, details={"title": "HR Academy"}, reports=[report])  # fmt: skip
        entries -= 1
    for i in range(max(entries, 0)):
        EntryFactory(
            member=member,
            program=report.program,
            kind="namss.ce" if report.program == "namss" else "ipma.pd.partial_day",
            category="ce" if report.program == "namss" else "pd",
            date=dt.date(2024, 7, 1) + dt.timedelta(days=i),
            quantity=1,
            reports=[report],
        )


def submit(report: Report) -> Report:
    services.report_submit(report=report, member=report.member, agreed_on=TODAY)
    report.refresh_from_db()  # payments moves it on after report_submit's own save
    return report


def invoice_of(report: Report):
    from payments.models import Invoice

    return Invoice.objects.get(report=report, kind__in=["recertification", "reinstatement"],
                               status__in=["open", "paid"])  # fmt: skip


def pay(report: Report, actor=None):
    from payments.checks import payment_record_check

    invoice = invoice_of(report)
    payment_record_check(invoice=invoice, number="1001", check_date=TODAY, amount=invoice.total,
                         actor=actor)  # fmt: skip
    report.refresh_from_db()
    return report


def submitted_report(program: str = "ipma-hr", *, paid: bool = True, entries: int = 1,
                     holder=None, **credential_kwargs) -> Report:  # fmt: skip
    """A report submitted through the portal's service (and paid by check unless paid=False)."""
    credential = credential_in(program, holder=holder, **credential_kwargs)
    report = report_for(credential)
    fill(report, entries)
    report = submit(report)
    if paid:
        pay(report)
    report.refresh_from_db()
    return report
