"""NAMSS reinstatement: what a lapsed member needs, and until when, to reinstate within the grace
period (the report's points, the recertification and reinstatement fees).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from members.models import Credential
from recertification import rules
from recertification.models import Report
from recertification.selectors import ScoredReport, scored_report

from .billing import program_fees
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
