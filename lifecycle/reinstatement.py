"""NAMSS reinstatement: what a lapsed member needs, and until when, to reinstate within the grace
period (the report's points, the recertification and reinstatement fees); and for every lapsed
credential the paper report's way back: the form, where to mail it, and its invoice, issued on
the member's request ahead of the report (`paper_report_invoice`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import log_action
from members.models import Credential
from payments.check_address import CheckInstructions, check_addresses
from payments.invoices import PaymentError, invoice_issue_paper_report
from recertification import rules
from recertification.models import Report, ReportCredential
from recertification.selectors import ScoredReport, scored_report

from .billing import InvoiceInfo, program_fees, report_invoice
from .deadlines import credential_deadlines, cycle_report
from .notices import score_without_report


@dataclass
class ReinstatementTerms:
    """What a lapsed member needs to reinstate within the grace period."""

    credential: Credential
    report: Report | None
    scored: ScoredReport
    lapsed_on: dt.date
    until: dt.date
    open: bool
    recertification_fee: Decimal
    reinstatement_fee: Decimal
    currency: str

    @property
    def total_fee(self) -> Decimal:
        return self.recertification_fee + self.reinstatement_fee

    @property
    def counted(self) -> str:
        return rules.format_decimal(self.scored.total)

    @property
    def required(self) -> str:
        return rules.format_decimal(self.scored.required)


def reinstatement_terms(credential: Credential, *, today: dt.date) -> ReinstatementTerms | None:
    """Terms for a lapsed credential of a program with reinstatement (NAMSS), else None."""
    if credential.status != Credential.Status.LAPSED:
        return None
    program = rules.get_program(credential.program)
    days = program.deadlines_for(credential.cycle_end.year)
    if "reinstatement_until" not in days:
        return None
    deadlines = credential_deadlines(credential)
    report = cycle_report(credential)
    scored = scored_report(report) if report is not None else score_without_report([credential])
    fees, currency = program_fees(credential.program)
    return ReinstatementTerms(
        credential=credential,
        report=report,
        scored=scored,
        lapsed_on=deadlines.lapses_on,
        until=days["reinstatement_until"],
        open=today <= days["reinstatement_until"],
        recertification_fee=fees.get("recertification", Decimal(0)),
        reinstatement_fee=fees.get("reinstatement", Decimal(0)),
        currency=currency,
    )


# --- The paper report of a lapsed credential ------------------------------------------------------


@dataclass
class PaperReport:
    """What a lapsed member needs to send a paper report: the fee, the address, the invoice."""

    credential: Credential
    fees: list[tuple[str, Decimal]]
    currency: str
    check: CheckInstructions | None
    invoice: InvoiceInfo | None

    @property
    def total_fee(self) -> Decimal:
        return sum((amount for _, amount in self.fees), Decimal(0))


def paper_report_open(credential: Credential, *, today: dt.date) -> bool:
    """A paper report can still be sent: the credential is lapsed and within its program's grace
    period (a program without `reinstatement_until` takes one until the credential terminates)."""
    if credential.status != Credential.Status.LAPSED:
        return False
    until = rules.deadlines(credential.program, credential.cycle_end.year).get(
        "reinstatement_until"
    )
    return until is None or today <= until


def paper_report_fees(program: str) -> tuple[list[tuple[str, Decimal]], str]:
    """The fees billed with a lapsed credential's paper report: the recertification fee, plus the
    reinstatement fee where the program offers reinstatement (as staff set them)."""
    fees, currency = program_fees(program)
    lines = [("Recertification fee", fees.get("recertification", Decimal(0)))]
    reinstatement = fees.get("reinstatement", Decimal(0))
    if rules.get_program(program).offers_reinstatement and reinstatement > 0:
        lines.append(("Reinstatement fee", reinstatement))
    return lines, currency


def paper_report(credential: Credential) -> PaperReport:
    report = cycle_report(credential)
    fees, currency = paper_report_fees(credential.program)
    return PaperReport(
        credential=credential,
        fees=fees,
        currency=currency,
        check=check_addresses().for_program(credential.program),
        invoice=report_invoice(report) if report is not None else None,
    )


@transaction.atomic
def paper_report_invoice(*, credential: Credential, member, today: dt.date) -> InvoiceInfo | None:
    """The invoice of the lapsed cycle's paper report, issued ahead of the report (or the live one).

    Under the credential's row lock (the lock staff's recording takes first too): the lapsed
    cycle's report, the member's own or else a new paper report for the cycle (as staff's
    recording creates it, and finds it again), billed by payments once. Staff recording the paper
    report later find this report and its invoice, paid or not, and do not bill again.
    """
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("holder")
        .get(pk=credential.pk, holder=member)
    )
    if not paper_report_open(credential, today=today):
        raise ValidationError(
            f"A paper report can no longer be sent for your {credential.designation} certification."
        )
    report = cycle_report(credential)
    if report is None:
        report = Report.objects.create(
            member=credential.holder,
            program=credential.program,
            cycle_start=credential.cycle_start,
            cycle_end=credential.cycle_end,
            is_paper=True,
        )
        ReportCredential.objects.create(
            report=report, credential=credential, cycle_start=credential.cycle_start
        )
        log_action(
            report,
            "created",
            actor=member,
            member=credential.holder,
            reason="Paper report of a lapsed credential, billed ahead at the member's request",
        )
    try:
        invoice_issue_paper_report(report=report, actor=member, today=today)
    except PaymentError as error:
        raise ValidationError(str(error)) from None
    return report_invoice(report)
