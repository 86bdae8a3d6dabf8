"""Where a member stands: for each credential (a dual certificant's credentials sharing a report on
one line), the next deadline with a countdown, what happens after it, and the one next step.

Read by Home and, through the `where_you_stand` template tag, by the Recertification Portal. One
query budget whatever the number of entries: the credentials, the current reports scored from their
entries' rows, their invoices and extensions, approved reports, and each program's fees.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from core.formatting import format_date
from members.models import Credential
from recertification import rules, selectors
from recertification.fees import fees_as_set
from recertification.models import Report, ReportCredential

from .billing import InvoiceInfo, invoices_of_reports
from .deadlines import ONE_DAY, OPEN, Deadlines, credential_deadlines
from .models import ExtensionRequest
from .reinstatement import paper_report_open

logger = logging.getLogger(__name__)

RS = Report.Status
REVIEW_STATES = (RS.SUBMITTED, RS.IN_REVIEW)
PROBLEM = (
    "We cannot work out the dates of this certification. Please contact us so that we can "
    "correct its record."
)


@dataclass
class StandingLine:
    """One line of "where you stand": a credential, or the credentials of one report."""

    designations: str
    program: str
    status: str
    deadline: str = ""
    after: list[str] = field(default_factory=list)
    next_step: str = ""
    problem: str = ""
    link_url: str = ""
    link_text: str = ""
    help_url: str = ""  # the program's help page (deadlines, fees, extensions)
    # While the report is being filled in: the total, then each category against its cap or
    # minimum (rules.progress), as (label, text, done) rows.
    progress: list[tuple[str, str, bool]] = field(default_factory=list)


def days_left(today: dt.date, day: dt.date) -> str:
    left = (day - today).days
    if left == 0:
        return "today is the last day"
    return f"{left} day{'s' if left != 1 else ''} left"


def _money(amount: Decimal, currency: str) -> str:
    return rules.format_money(amount, currency)


def _points(value: Decimal, program: rules.Program) -> str:
    singular, plural = program.point_names
    return rules.formatting.count(value, singular, plural)


def _progress(
    scored: selectors.ScoredReport, program: rules.Program
) -> list[tuple[str, str, bool]]:
    """The dashboard's rows: "Total 17 of 50 points, 33 more needed", "Membership 6",
    "IPMA-HR National Membership 6 of max 6 (maximum reached)"."""
    number = rules.format_decimal
    remaining = scored.remaining  # staff's adjustment included
    total = f"{number(scored.total)} of {_points(scored.required, program)}"
    rows = [
        ("Total", total + (f", {number(remaining)} more needed" if remaining else ""), scored.met)
    ]
    for row in rules.progress(program, scored.result):
        if row.maximum is not None:
            text = f"{number(row.counted)} of max {number(row.maximum)}"
            text += " (maximum reached)" if row.at_cap else ""
            done = row.at_cap
        elif row.minimum is not None:
            text = f"{number(row.counted)} of at least {number(row.minimum)}"
            text += f", {number(row.still_needed)} more needed" if row.still_needed else ""
            done = not row.still_needed
        else:
            text, done = number(row.counted), False
        rows.append((("— " if row.level else "") + row.label, text, done))
    return rows


def _next_deadline(d: Deadlines, today: dt.date) -> dt.date | None:
    """The next day by which the report should be in: on time, else the last day (late fee)."""
    if today <= d.on_time_until:
        return d.on_time_until
    if today <= d.submit_by:
        return d.submit_by
    return None


def _after(program, d: Deadlines, fees, today: dt.date) -> list[str]:
    """What happens after the deadline, where the program has it."""
    lines = []
    late = fees.late
    if d.submit_by > d.on_time_until and today <= d.on_time_until and late:
        lines.append(
            f"After {format_date(d.on_time_until)}: late fee of {_money(late, fees.currency)}; "
            f"the last day to submit is {format_date(d.submit_by)}."
        )
    elif d.submit_by > d.on_time_until and today <= d.submit_by:
        lines.append(f"The last day to submit is {format_date(d.submit_by)}.")
    lines.append(f"Not submitted by then, the certification lapses on {format_date(d.lapses_on)}.")
    lines.extend(_grace(program, d, fees))
    return lines


def _grace(program, d: Deadlines, fees) -> list[str]:
    if d.terminates_on is None:
        return []
    last = d.terminates_on - ONE_DAY
    if program.offers_reinstatement:
        fee = f" with the reinstatement fee of {_money(fees.reinstatement, fees.currency)}"
        return [f"Grace period: it can be reinstated until {format_date(last)}{fee}."]
    return [
        f"Grace period: {program.grace_months} months after the lapse, until {format_date(last)}; "
        "then the certification is terminated."
    ]


def _enter_more(scored: selectors.ScoredReport, program, by: dt.date) -> str:
    what = [f"{_points(scored.remaining, program)}"]
    plural = program.point_names[1]
    for minimum in scored.result.minimums:
        if not minimum.met:
            label = minimum.label.removesuffix(f" {plural}")
            what.append(f"{rules.format_decimal(minimum.required - minimum.counted)} {label}")
    if scored.remaining == 0:
        return f"Enter {', '.join(what[1:])} by {format_date(by)}"
    more = what[0].split(" ", 1)
    return f"Enter {' more '.join(more)}{''.join(', ' + w for w in what[1:])}, by {format_date(by)}"


def _pay_step(invoice: InvoiceInfo, today: dt.date) -> str:
    amount = _money(invoice.total, invoice.currency)
    if today < invoice.payable_from:
        return f"Pay invoice {invoice.number} ({amount}) from {format_date(invoice.payable_from)}"
    return f"Pay invoice {invoice.number} ({amount}) due {format_date(invoice.due_on)}"


class _Data:
    """Everything the lines need, read at once."""

    def __init__(self, member, credentials, scored) -> None:
        if credentials is None:
            credentials = selectors.member_credentials(member)
        self.credentials = credentials
        if scored is None:
            scored = selectors.current_reports(member, entries=False)
        self.scored = scored
        report_ids = [s.report.pk for s in self.scored]
        self.invoices = invoices_of_reports(report_ids) if report_ids else []
        self.extensions = (
            list(
                ExtensionRequest.objects.filter(report_id__in=report_ids).exclude(
                    status=ExtensionRequest.Status.CANCELLED
                )
            )
            if report_ids
            else []
        )
        self.approved = (
            set(
                ReportCredential.objects.filter(
                    credential__in=self.credentials, report__status=RS.APPROVED
                ).values_list("credential_id", flat=True)
            )
            if self.credentials
            else set()
        )
        self.fees = fees_as_set({c.program for c in self.credentials})

    def invoice_of(self, report: Report) -> InvoiceInfo | None:
        for invoice in self.invoices:
            if invoice.report_id == report.pk and invoice.kind in (
                "recertification",
                "reinstatement",
            ):
                return invoice
        return None

    def extension_of(self, report: Report) -> tuple[ExtensionRequest | None, bool]:
        """The live extension of the report and whether it is active (its fee paid)."""
        for extension in self.extensions:
            if extension.report_id == report.pk:
                if extension.status == ExtensionRequest.Status.ACTIVE:
                    return extension, True
                paid = any(i.pk == extension.invoice_ref and i.paid for i in self.invoices)
                return extension, paid
        return None, False


def _designations(credentials: list[Credential]) -> str:
    return " and ".join(c.designation for c in credentials)


def _program_name(code: str) -> str:
    try:
        return rules.get_program(code).name
    except (KeyError, ValueError):
        return code


def _line_for_open(data: _Data, credentials, scored, today) -> StandingLine:
    first = credentials[0]
    program = rules.get_program(first.program)
    fees = data.fees[first.program]
    report = scored.report if scored else None
    extension, extended = data.extension_of(report) if report else (None, False)
    d = credential_deadlines(first, extended=extended)
    line = StandingLine(
        designations=_designations(credentials),
        program=program.name,
        status=report.get_status_display() if report else "Open",
        help_url=reverse("rules:help", args=[program.code]),
    )
    submitted = report is not None and report.status not in Report.EDITABLE
    due = _next_deadline(d, today)
    if not submitted:
        if due is not None:
            line.deadline = f"Submit by {format_date(due)} — {days_left(today, due)}"
        else:
            line.deadline = f"The last day to submit was {format_date(d.submit_by)}"
        line.after = _after(program, d, fees, today)
    by = due or d.submit_by
    if report is None or report.status == RS.OPEN:
        renewed = any(c.pk in data.approved for c in credentials)
        if renewed and (scored is None or scored.total == 0):
            line.next_step = f"Approved: certified through {format_date(first.cycle_end)}"
        elif extension is not None and not extended:
            line.next_step = (
                "Extension fee unpaid: pay it to move your deadline to "
                f"{format_date(extension.new_deadline)}"
            )
        elif scored is not None and scored.met:
            line.next_step = f"Submit your report by {format_date(by)}"
            line.progress = _progress(scored, program)
        elif scored is not None:
            line.next_step = _enter_more(scored, program, by)
            line.progress = _progress(scored, program)
        else:
            line.next_step = (
                f"Open the Recertification Portal and enter your points by {format_date(by)}"
            )
    elif report.status == RS.RETURNED:
        line.next_step = (
            f"Returned for correction: correct it and submit again by {format_date(by)}"
        )
        line.progress = _progress(scored, program)
    elif report.status == RS.PAYMENT_DUE:
        invoice = data.invoice_of(report)
        line.next_step = _pay_step(invoice, today) if invoice else "Payment due"
    elif report.status == RS.AUDIT:
        line.next_step = "Audit: upload the documents of your entries"
    elif report.status in REVIEW_STATES:
        line.next_step = "In review"
    elif report.status == RS.APPROVED:
        line.next_step = f"Approved: certified through {format_date(first.cycle_end)}"
    return line


def _line_for_closed(data: _Data, credential: Credential, today) -> StandingLine:
    program = rules.get_program(credential.program)
    line = StandingLine(
        designations=credential.designation,
        program=program.name,
        status=credential.get_status_display(),
        help_url=reverse("rules:help", args=[program.code]),
    )
    if credential.status == Credential.Status.LAPSED:
        d = credential_deadlines(credential)
        fees = data.fees[credential.program]
        lapsed = f"Lapsed on {format_date(d.lapses_on)}"
        if d.terminates_on is not None and today < d.terminates_on:
            line.next_step = f"{lapsed}: reinstate by {format_date(d.terminates_on - ONE_DAY)}"
            line.after = _grace(program, d, fees)
        elif paper_report_open(credential, today=today):
            line.next_step = f"{lapsed}: send a paper Recertification Report with its fee"
        else:
            line.next_step = f"{lapsed}: please contact us to certify again"
        if paper_report_open(credential, today=today):
            line.link_url = reverse("lifecycle:reinstatement")
            line.link_text = "Paper report form, mailing address and invoice"
    else:
        line.next_step = f"{credential.get_status_display()}: please contact us to certify again"
    return line


def where_you_stand(
    member,
    credentials: list[Credential] | None = None,
    today: dt.date | None = None,
    *,
    scored: list[selectors.ScoredReport] | None = None,
) -> list[StandingLine]:
    """The member's lines, one per report (or credential without one), by program and designation.

    ``credentials``: all of the member's credentials, and ``scored``: their current reports scored
    (`selectors.current_reports`), when the page has read them already."""
    today = today or timezone.localdate()
    data = _Data(member, credentials, scored)
    lines: list[StandingLine] = []
    covered: set[int] = set()
    for scored in data.scored:
        credentials = [c for c in data.credentials if c in scored.credentials]
        covered.update(c.pk for c in credentials)
        lines.append(
            _safe(lambda cs=credentials, s=scored: _line_for_open(data, cs, s, today), credentials)
        )
    groups: dict[tuple, list[Credential]] = {}
    for credential in data.credentials:
        if credential.pk in covered:
            continue
        if credential.status in OPEN:
            key = (credential.program, credential.cycle_start, credential.cycle_end)
            groups.setdefault(key, []).append(credential)
        else:
            lines.append(_safe(lambda c=credential: _line_for_closed(data, c, today), [credential]))
    for credentials in groups.values():
        lines.append(
            _safe(lambda cs=credentials: _line_for_open(data, cs, None, today), credentials)
        )
    return lines


def _safe(make, credentials: list[Credential]) -> StandingLine:
    """A line, or a plain message when the credential's program or dates do not compute."""
    try:
        return make()
    except Exception:  # one odd record must not take the page down
        logger.exception("Where you stand: credentials %s", [c.pk for c in credentials])
        return StandingLine(
            designations=_designations(credentials),
            program=_program_name(credentials[0].program),
            status=credentials[0].get_status_display(),
            problem=PROBLEM,
        )
