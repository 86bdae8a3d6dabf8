"""The credential lifecycle: lapses, terminations, NAMSS extensions and reinstatement, reminders
and certificates. See docs/lifecycle.md.

Scheduled work is a set of `run_<job>(*, today) -> int` functions (the number of changes or
emails), wrapped by management commands and run in order by `manage.py run_lifecycle`. Each is
idempotent and safe to run concurrently: every transition locks its row and re-checks it, and every
email is recorded under a unique key in the transaction of the change before it is sent after
commit (members/emails.py). Every transition leaves an AuditLog row (actor None: the system).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.audit import log_action, snapshot
from core.formatting import format_date
from members import emails
from members.models import CommitteeRecord, Credential, MembershipRecord, Notification, User
from payments.invoices import invoice_issue_extension
from payments.models import Invoice
from recertification import rules
from recertification.fees import program_fees as fees_of
from recertification.models import Report, ReportCredential
from recertification.selectors import ScoredReport, auto_entries, score, scored_report

from .models import Certificate, ExtensionRequest

logger = logging.getLogger(__name__)

OPEN = Credential.OPEN_STATUSES
RS = Report.Status
ONE_DAY = dt.timedelta(days=1)

# Days before an unpaid invoice's due date (0: on the due date). settings.INVOICE_REMINDER_DAYS.
DEFAULT_INVOICE_REMINDER_DAYS = (14, 0)
# A report in one of these states, submitted by the last day, holds its credential open.
SUBMITTED_STATES = (RS.SUBMITTED, RS.PAYMENT_DUE, RS.IN_REVIEW, RS.AUDIT, RS.RETURNED)
CLOSED_STATES = (
    Credential.Status.LAPSED,
    Credential.Status.TERMINATED,
    Credential.Status.INACTIVE,
)
# Bits per W3C Bitstring Status List (the spec's minimum, so one list hides who is in it).
STATUS_LIST_SIZE = 131_072
# Certificates issued by the safety-net job only for approvals this recent.
CERTIFICATE_BACKFILL_DAYS = 30


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day (31 August + 6 months = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _days_setting(name: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",") if part.strip()]
    try:
        days = tuple(sorted({int(d) for d in value}, reverse=True))
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a list of whole numbers of days.") from None
    if not days or any(d < 0 for d in days):
        raise ImproperlyConfigured(f"{name} must list at least one day, none negative.")
    return days


def reminder_days(program: str) -> tuple[int, ...]:
    """Days before the deadline on which to remind, largest first: the program's declaration
    (`Program.reminder_days`), unless settings.REMINDER_DAYS overrides it (a list for every
    program, or {program code: list, "default": list})."""
    configured = getattr(settings, "REMINDER_DAYS", None)
    declared = rules.get_program(program).reminder_days
    if isinstance(configured, dict):
        value = configured.get(program, configured.get("default", declared))
    else:
        value = configured or declared
    return _days_setting("REMINDER_DAYS", value)


def invoice_reminder_days() -> tuple[int, ...]:
    configured = getattr(settings, "INVOICE_REMINDER_DAYS", None)
    return _days_setting("INVOICE_REMINDER_DAYS", configured or DEFAULT_INVOICE_REMINDER_DAYS)


def _threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The most recent reminder day reached (a missed one is not sent late), or None."""
    reached = [d for d in thresholds if days_left <= d]
    return min(reached) if reached else None


# --- What the lifecycle reads of invoices -------------------------------------------------------


@dataclass(frozen=True)
class InvoiceInfo:
    """What the lifecycle reads of an invoice."""

    pk: int
    number: str
    kind: str
    status: str
    total: Decimal
    currency: str
    payable_from: dt.date
    due_on: dt.date
    member_id: int
    report_id: int | None

    @property
    def paid(self) -> bool:
        return self.status == "paid"

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def url(self) -> str:
        return emails.site_url("payments:invoice", self.number)

    @property
    def pay_url(self) -> str:
        return emails.site_url("payments:pay", self.number)


def _invoice_info(invoice) -> InvoiceInfo:
    return InvoiceInfo(
        pk=invoice.pk,
        number=invoice.number,
        kind=invoice.kind,
        status=invoice.status,
        total=invoice.total,
        currency=invoice.currency,
        payable_from=invoice.payable_from,
        due_on=invoice.due_on,
        member_id=invoice.member_id,
        report_id=invoice.report_id,
    )


def invoice_get(pk: int | None) -> InvoiceInfo | None:
    if pk is None:
        return None
    invoice = Invoice.objects.filter(pk=pk).first()
    return _invoice_info(invoice) if invoice else None


def extension_invoice_issue(*, report: Report, actor, today: dt.date) -> InvoiceInfo | None:
    """Bill the extension fee (payments.services.invoice_issue_extension)."""
    return _invoice_info(invoice_issue_extension(report=report, actor=actor, today=today))


def report_invoice(report: Report) -> InvoiceInfo | None:
    """The report's live recertification (or reinstatement) invoice, if any."""
    invoice = (
        Invoice.objects.filter(report=report, kind__in=["recertification", "reinstatement"])
        .exclude(status="cancelled")
        .order_by("-issued_on", "-pk")
        .first()
    )
    return _invoice_info(invoice) if invoice else None


def unpaid_invoices_due(*, start: dt.date, end: dt.date) -> list[InvoiceInfo]:
    """Open invoices with something to pay, due between `start` and `end`."""
    invoices = (
        Invoice.objects.filter(status="open", total__gt=0, due_on__gte=start, due_on__lte=end)
        .exclude(kind="correction")
        .order_by("due_on", "pk")
    )
    return [_invoice_info(i) for i in invoices]


def program_fees(program: str) -> tuple[dict[str, Decimal], str]:
    """The fees as staff set them, by code, and their currency."""
    fees = fees_of(program)
    return fees.by_code(), fees.currency


# --- Deadlines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    """The days that matter for one credential cycle."""

    renewal_year: int
    opens_on: dt.date | None  # the application opens (NAMSS: 1 August)
    on_time_until: dt.date  # what reminders count down to
    submit_by: dt.date  # a report submitted later does not hold the credential open
    lapses_on: dt.date
    terminates_on: dt.date | None  # end of the grace period; None: never terminated
    extended: bool = False


def credential_deadlines(credential: Credential, *, extended: bool = False) -> Deadlines:
    """IPMA-HR and IHMM lapse the day after the cycle ends; NAMSS on 1 January after the renewal
    year (2 June with a paid extension). NAMSS terminates after its grace period, IHMM six months
    after the lapse."""
    program = rules.get_program(credential.program)
    year = credential.cycle_end.year
    days = program.deadlines_for(year)
    on_time = days.get("on_time_until", credential.cycle_end)
    submit_by = days.get("late_until", on_time)
    lapses_on = days.get("lapses_on", credential.cycle_end + ONE_DAY)
    if "reinstatement_until" in days:
        terminates_on = days["reinstatement_until"] + ONE_DAY
    elif program.grace_months is not None:
        terminates_on = add_months(lapses_on, program.grace_months)
    else:
        terminates_on = None
    extended = extended and "extension_until" in days
    if extended:
        on_time = submit_by = days["extension_until"]
        lapses_on = submit_by + ONE_DAY
    return Deadlines(
        renewal_year=year,
        opens_on=days.get("application_opens"),
        on_time_until=on_time,
        submit_by=submit_by,
        lapses_on=lapses_on,
        terminates_on=terminates_on,
        extended=extended,
    )


def cycle_report(credential: Credential) -> Report | None:
    """The report of the credential's current cycle (its lapsed cycle when lapsed), if opened."""
    link = (
        ReportCredential.objects.filter(credential=credential, cycle_start=credential.cycle_start)
        .select_related("report")
        .first()
    )
    return link.report if link else None


def live_extension(report: Report | None) -> ExtensionRequest | None:
    if report is None or report.pk is None:
        return None
    return (
        ExtensionRequest.objects.filter(report=report)
        .exclude(status=ExtensionRequest.Status.CANCELLED)
        .first()
    )


def extension_is_active(extension: ExtensionRequest | None) -> bool:
    """Active once its fee invoice is paid (read from the invoice; staff may also set it active)."""
    if extension is None or extension.status == ExtensionRequest.Status.CANCELLED:
        return False
    if extension.status == ExtensionRequest.Status.ACTIVE:
        return True
    invoice = invoice_get(extension.invoice_ref)
    return invoice is not None and invoice.paid


def extension_active(report: Report | None) -> bool:
    """Whether the report has a paid NAMSS extension (for payments: no late fee, due 1 June)."""
    return extension_is_active(live_extension(report))


def _submitted_on(report: Report) -> dt.date | None:
    if report.submitted_at is None or report.status == RS.OPEN:
        return None
    return timezone.localdate(report.submitted_at)


# --- Scoring for emails and pages -----------------------------------------------------------------


def _score_without_report(credentials: list[Credential]) -> ScoredReport:
    """Score a cycle that has no report yet (staff records may already add IPMA-HR points)."""
    first = credentials[0]
    program = rules.get_program(first.program)
    shell = Report(
        member=first.holder,
        program=first.program,
        cycle_start=first.cycle_start,
        cycle_end=first.cycle_end,
    )
    autos = auto_entries(
        program,
        MembershipRecord.objects.filter(member_id=first.holder_id),
        CommitteeRecord.objects.filter(member_id=first.holder_id),
    )
    return score(shell, [], autos, credentials)


def _numbers(scored: ScoredReport) -> dict[str, Any]:
    program = scored.program
    singular, plural = program.point_names
    return {
        "points_counted": rules.format_decimal(scored.total),
        "points_required": rules.format_decimal(scored.required),
        "points_missing": rules.format_decimal(max(scored.required - scored.total, Decimal(0))),
        "requirement_met": scored.met,
        "shortfalls": list(scored.result.shortfalls),
        "point_name": plural,
        "point_name_singular": singular,
    }


def _credential_context(credentials: list[Credential]) -> dict[str, Any]:
    first = credentials[0]
    program = rules.get_program(first.program)
    return {
        "program_name": program.name,
        "program_long_name": program.long_name,
        "designations": " + ".join(sorted(c.designation for c in credentials)),
        "designation_names": " and ".join(
            c.designation_name for c in sorted(credentials, key=lambda c: c.designation)
        ),
        "cycle_start": first.cycle_start,
        "cycle_end": first.cycle_end,
    }


# --- Lapse ----------------------------------------------------------------------------------------


def lapse_reason(credential: Credential, today: dt.date) -> str | None:
    """Why the credential lapses on `today`, or None when it stays open.

    A report submitted by the last day keeps the credential open while staff decide (in review,
    audit, returned for correction) or while its invoice is not yet overdue.
    """
    if credential.status not in OPEN:
        return None
    report = cycle_report(credential)
    if report is not None and report.status == RS.APPROVED:
        return None
    extended = extension_active(report)
    deadlines = credential_deadlines(credential, extended=extended)
    if today < deadlines.lapses_on:
        return None
    submitted_on = _submitted_on(report) if report is not None else None
    if submitted_on is None:
        return f"No Recertification Report was submitted by {format_date(deadlines.submit_by)}."
    if submitted_on > deadlines.submit_by:
        return (
            f"The Recertification Report was submitted on {format_date(submitted_on)}, after the last "
            f"day ({format_date(deadlines.submit_by)})."
        )
    if report.status in (RS.SUBMITTED, RS.PAYMENT_DUE):
        invoice = report_invoice(report)
        if invoice is not None and not invoice.paid and invoice.due_on < today:
            return (
                f"The recertification fee (invoice {invoice.number}, due {format_date(invoice.due_on)}) "
                "has not been received."
            )
    return None


def _revoke_certificates(credential: Credential, reason: str) -> int:
    return Certificate.objects.filter(credential=credential, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:200]
    )


def _lapse_context(credential: Credential, report: Report | None, reason: str) -> dict[str, Any]:
    deadlines = credential_deadlines(credential)
    scored = scored_report(report) if report is not None else _score_without_report([credential])
    context = _credential_context([credential]) | _numbers(scored) | {"reason": reason}
    context["deadline"] = deadlines.submit_by
    context["lapsed_on"] = max(deadlines.lapses_on, timezone.localdate())
    context["grace_until"] = deadlines.terminates_on - ONE_DAY if deadlines.terminates_on else None
    program = rules.get_program(credential.program)
    context["reinstatement"] = program.offers_reinstatement
    if context["reinstatement"]:
        fees, currency = program_fees(credential.program)
        context["recertification_fee"] = fees.get("recertification")
        context["reinstatement_fee"] = fees.get("reinstatement")
        context["currency"] = currency
        context["reinstatement_url"] = emails.site_url("lifecycle:reinstatement")
    context["rules_url"] = emails.site_url("rules:program", credential.program)
    if report is not None and report.status in (RS.SUBMITTED, RS.PAYMENT_DUE):
        invoice = report_invoice(report)
        if invoice is not None and not invoice.paid:
            # The report is in: paying reinstates once staff approve it, no paper report needed.
            context["unpaid_invoice"] = invoice
    return context


def _credential_end_if_due(
    *,
    credential_id: int,
    today: dt.date,
    reason_for: Callable[[Credential, dt.date], str | None],
    status: str,
    action: str,
    audited: tuple[str, ...] = ("status",),
) -> tuple[Credential, str] | None:
    """Lock the credential and, when `reason_for` gives a reason on `today`, move it to `status`,
    record `action` in the audit log (with the `audited` fields after) and revoke its
    certificates. The credential and the reason, or None when it is not due. Inside the caller's
    transaction."""
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("holder")
        .get(pk=credential_id)
    )
    reason = reason_for(credential, today)
    if reason is None:
        return None
    before = {"status": credential.status}
    credential.status = status
    credential.save(update_fields=["status", "updated_at"])
    log_action(
        credential,
        action,
        member=credential.holder,
        reason=reason,
        before=before,
        after=snapshot(credential, audited),
    )
    _revoke_certificates(credential, f"Credential {action}")
    return credential, reason


@transaction.atomic
def credential_lapse_if_due(*, credential_id: int, today: dt.date) -> bool:
    """Lapse one credential when its deadline has passed without a report that holds it open."""
    ended = _credential_end_if_due(
        credential_id=credential_id,
        today=today,
        reason_for=lapse_reason,
        status=Credential.Status.LAPSED,
        action="lapsed",
        audited=("status", "cycle_end"),
    )
    if ended is None:
        return False
    credential, reason = ended
    report = cycle_report(credential)
    extension = live_extension(report)
    if extension is not None and not extension_is_active(extension):
        _extension_cancel(extension, "The credential lapsed before the extension fee was paid.")
    emails.queue(
        key=f"lapsed:{credential.pk}:{credential.cycle_start}",
        kind=Notification.Kind.LAPSED,
        member=credential.holder,
        credential=credential,
        context=_lapse_context(credential, report, reason),
    )
    return True


def run_lapse(*, today: dt.date) -> int:
    """Lapse every open credential whose cycle ended without an approved (or pending) report."""
    candidates = Credential.objects.filter(status__in=OPEN, cycle_end__lt=today).only(
        "pk", "program", "cycle_end"
    )
    # No lock and no query for those not due yet (NAMSS in December): an extension only delays.
    due = [c.pk for c in candidates if today >= credential_deadlines(c).lapses_on]
    return sum(credential_lapse_if_due(credential_id=pk, today=today) for pk in due)


# --- Terminate ------------------------------------------------------------------------------------


def terminate_reason(credential: Credential, today: dt.date) -> str | None:
    """Why a lapsed credential is terminated on `today` (grace period over, nothing submitted)."""
    if credential.status != Credential.Status.LAPSED:
        return None
    deadlines = credential_deadlines(credential)
    if deadlines.terminates_on is None or today < deadlines.terminates_on:
        return None
    report = cycle_report(credential)
    submitted_on = _submitted_on(report) if report is not None else None
    if submitted_on is not None and submitted_on < deadlines.terminates_on:
        return None  # a (paper) report arrived within the grace period: staff decide
    return (
        f"The grace period ended on {format_date(deadlines.terminates_on - ONE_DAY)} without a "
        "Recertification Report."
    )


def _termination_candidates(today: dt.date) -> Q:
    """Lapsed credentials that may be due for termination on `today`, per program: only those
    whose cycle ended at least the program's shortest grace period ago are read at all."""
    wanted = Q(pk__in=[])
    for program in rules.programs():
        if program.terminates_lapsed:
            wanted |= Q(
                program=program.code,
                cycle_end__lt=today - dt.timedelta(days=_shortest_grace_days(program)),
            )
    return wanted


def _shortest_grace_days(program: rules.Program) -> int:
    """A lower bound of the days from a cycle's end to its termination (cycles end by 31 December
    of the renewal year; a month has at least 28 days)."""
    days = program.deadlines_for(2001)
    if "reinstatement_until" in days:
        return max((days["reinstatement_until"] - dt.date(2001, 12, 31)).days, 0)
    return 28 * (program.grace_months or 0)


@transaction.atomic
def credential_terminate_if_due(*, credential_id: int, today: dt.date) -> bool:
    ended = _credential_end_if_due(
        credential_id=credential_id,
        today=today,
        reason_for=terminate_reason,
        status=Credential.Status.TERMINATED,
        action="terminated",
    )
    if ended is None:
        return False
    credential, reason = ended
    deadlines = credential_deadlines(credential)
    report = cycle_report(credential)
    scored = scored_report(report) if report is not None else _score_without_report([credential])
    emails.queue(
        key=f"terminated:{credential.pk}:{credential.cycle_start}",
        kind=Notification.Kind.TERMINATED,
        member=credential.holder,
        credential=credential,
        context=_credential_context([credential])
        | _numbers(scored)
        | {
            "reason": reason,
            "grace_until": deadlines.terminates_on - ONE_DAY,
            "rules_url": emails.site_url("rules:program", credential.program),
        },
    )
    return True


def run_terminate(*, today: dt.date) -> int:
    """Terminate lapsed credentials whose grace period is over (NAMSS: the reinstatement period of
    its calendar; IHMM: six months after the lapse): each program's `grace_months` or calendar."""
    candidates = (
        Credential.objects.filter(status=Credential.Status.LAPSED)
        .filter(_termination_candidates(today))
        .only("pk", "program", "cycle_end")
    )
    due = [
        c.pk
        for c in candidates
        if (end := credential_deadlines(c).terminates_on) is not None and today >= end
    ]
    return sum(credential_terminate_if_due(credential_id=pk, today=today) for pk in due)


# --- NAMSS extensions -------------------------------------------------------------------------------


@dataclass
class ExtensionTerms:
    """Whether a report may be extended now, and the numbers the member sees."""

    report: Report
    scored: ScoredReport
    request_from: dt.date
    request_until: dt.date
    new_deadline: dt.date
    needed: Decimal
    documented: Decimal
    fee: Decimal
    currency: str
    existing: ExtensionRequest | None
    active: bool
    problems: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.problems and self.existing is None

    @property
    def invoice(self) -> InvoiceInfo | None:
        return invoice_get(self.existing.invoice_ref) if self.existing else None

    @property
    def needed_display(self) -> str:
        return rules.format_decimal(self.needed)

    @property
    def documented_display(self) -> str:
        return rules.format_decimal(self.documented)


def documented_credits(scored: ScoredReport) -> Decimal:
    """Credits counted from entries that have a CE certificate uploaded."""
    total = Decimal(0)
    for line in scored.lines:
        if line.auto:
            continue
        if line.entry.attached_files:
            total += line.counted
    return total


def extension_terms(
    report: Report, *, today: dt.date, scored: ScoredReport | None = None
) -> ExtensionTerms | None:
    """The extension terms of a report, or None when its program has no extensions."""
    program = rules.get_program(report.program)
    if not program.offers_extensions:
        return None
    days = program.deadlines_for(report.cycle_end.year)
    scored = scored or scored_report(report)
    credentials = scored.credentials
    designations = sorted(c.designation for c in credentials)
    first_dual = any(c.first_dual_cycle for c in credentials) and len(credentials) > 1
    requirement = program.requirement_for(designations, first_dual)
    needed = program.extension_credits_needed(designations, first_dual)
    fees, currency = program_fees(report.program)
    existing = live_extension(report)
    terms = ExtensionTerms(
        report=report,
        scored=scored,
        request_from=days.get("application_opens", dt.date(report.cycle_end.year, 1, 1)),
        request_until=days["extension_request_until"],
        new_deadline=days["extension_until"],
        needed=needed,
        documented=documented_credits(scored),
        fee=fees.get("extension", Decimal(0)),
        currency=currency,
        existing=existing,
        active=extension_is_active(existing),
    )
    if existing is not None:
        return terms
    problems = terms.problems
    closed = [c for c in credentials if c.status not in OPEN]
    if closed:
        problems.append(
            f"Your {closed[0].designation} certification is "
            f"{closed[0].get_status_display().lower()}: extensions are for open certifications."
        )
    if not report.is_editable:
        problems.append(
            "Your report has been submitted: an extension is only for a report not yet submitted."
        )
    if today < terms.request_from:
        problems.append(
            f"Extensions can be requested from {format_date(terms.request_from)}, when the "
            "recertification application opens."
        )
    if today > terms.request_until:
        problems.append(
            f"The last day to request an extension was {format_date(terms.request_until)}. "
            "No extension requests are considered after that day."
        )
    if terms.documented < needed:
        problems.append(
            f"Upload CE certificates for at least {rules.format_decimal(needed)} credits, half "
            f"of the {rules.format_decimal(Decimal(requirement.total))} required: your entries "
            f"with a certificate add up to {rules.format_decimal(terms.documented)}."
        )
    return terms


@transaction.atomic
def extension_request(*, report: Report, member, today: dt.date | None = None) -> ExtensionRequest:
    """Request a NAMSS extension: bill the extension fee; the deadline moves once it is paid.

    Idempotent: a second request returns the live one. Raises ValidationError with the reasons
    when the report cannot be extended.
    """
    today = today or timezone.localdate()
    report = Report.objects.select_for_update(of=("self",)).get(pk=report.pk, member=member)
    terms = extension_terms(report, today=today)
    if terms is None:
        raise ValidationError("Your program does not offer extensions.")
    if terms.existing is not None:
        return terms.existing
    if terms.problems:
        raise ValidationError(terms.problems)
    extension = ExtensionRequest.objects.create(
        member=member,
        report=report,
        requested_at=timezone.now(),
        new_deadline=terms.new_deadline,
        credits_documented=terms.documented,
        credits_needed=terms.needed,
    )
    invoice = extension_invoice_issue(report=report, actor=member, today=today)
    if invoice is not None:
        extension.invoice_ref = invoice.pk
        extension.save(update_fields=["invoice_ref"])
    log_action(
        extension,
        "extension_requested",
        actor=member,
        member=member,
        after={
            "report": report.pk,
            "new_deadline": terms.new_deadline,
            "credits_documented": terms.documented,
            "credits_needed": terms.needed,
            "invoice": invoice.number if invoice else None,
        },
    )
    emails.queue(
        key=f"extension-requested:{extension.pk}",
        kind=Notification.Kind.EXTENSION_REQUESTED,
        member=member,
        invoice_ref=invoice.pk if invoice else None,
        context=_credential_context(terms.scored.credentials)
        | _numbers(terms.scored)
        | {
            "deadline": terms.request_until,
            "new_deadline": terms.new_deadline,
            "documented": terms.documented_display,
            "needed": terms.needed_display,
            "fee": terms.fee,
            "currency": terms.currency,
            "invoice": invoice,
        },
    )
    return extension


def _extension_cancel(extension: ExtensionRequest, reason: str) -> None:
    before = {"status": extension.status}
    extension.status = ExtensionRequest.Status.CANCELLED
    extension.cancelled_at = timezone.now()
    extension.cancel_reason = reason[:300]
    extension.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    log_action(
        extension,
        "extension_cancelled",
        member=extension.member,
        reason=reason,
        before=before,
        after={"status": extension.status},
    )


@transaction.atomic
def extension_sync(*, extension_id: int, today: dt.date) -> bool:
    """Activate a requested extension whose fee is paid; cancel one whose invoice was cancelled."""
    extension = (
        ExtensionRequest.objects.select_for_update(of=("self",))
        .select_related("member", "report")
        .get(pk=extension_id)
    )
    if extension.status != ExtensionRequest.Status.REQUESTED:
        return False
    invoice = invoice_get(extension.invoice_ref)
    if invoice is None:
        return False
    if invoice.cancelled:
        _extension_cancel(extension, f"The extension fee invoice {invoice.number} was cancelled.")
        return True
    if not invoice.paid:
        return False
    credentials = list(extension.report.credentials.all())
    if any(c.status not in OPEN for c in credentials):
        _extension_cancel(extension, "The credential lapsed before the extension fee was paid.")
        return True
    extension.status = ExtensionRequest.Status.ACTIVE
    extension.activated_at = timezone.now()
    extension.save(update_fields=["status", "activated_at"])
    log_action(
        extension,
        "extension_activated",
        member=extension.member,
        reason=f"Extension fee invoice {invoice.number} paid.",
        before={"status": ExtensionRequest.Status.REQUESTED},
        after={"status": extension.status, "new_deadline": extension.new_deadline},
    )
    scored = scored_report(extension.report)
    emails.queue(
        key=f"extension-active:{extension.pk}",
        kind=Notification.Kind.EXTENSION_ACTIVE,
        member=extension.member,
        invoice_ref=invoice.pk,
        context=_credential_context(scored.credentials)
        | _numbers(scored)
        | {"new_deadline": extension.new_deadline, "deadline": extension.new_deadline},
    )
    return True


def run_extensions(*, today: dt.date) -> int:
    """Extensions whose fee was paid become active (the member is told the new deadline)."""
    ids = ExtensionRequest.objects.filter(
        status=ExtensionRequest.Status.REQUESTED, invoice_ref__isnull=False
    ).values_list("pk", flat=True)
    return sum(extension_sync(extension_id=pk, today=today) for pk in list(ids))


# --- NAMSS reinstatement ----------------------------------------------------------------------------


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
    scored = scored_report(report) if report is not None else _score_without_report([credential])
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


# --- Reminders ------------------------------------------------------------------------------------


def _open_reports_by_credential(credentials: list[Credential]) -> dict[int, Report]:
    wanted = {(c.pk, c.cycle_start) for c in credentials}
    links = ReportCredential.objects.filter(credential__in=credentials).select_related("report")
    return {
        link.credential_id: link.report
        for link in links
        if (link.credential_id, link.cycle_start) in wanted
    }


def run_cycle_reminders(*, today: dt.date) -> int:
    """Remind members whose report is not submitted, on the configured days before the deadline."""
    horizon = max(max(reminder_days(p.code)) for p in rules.programs())
    credentials = list(
        Credential.objects.filter(
            status__in=OPEN,
            # NAMSS: the deadline can be 1 June after the cycle end (extension).
            cycle_end__gte=today - dt.timedelta(days=200),
            cycle_end__lte=today + dt.timedelta(days=horizon),
        )
        .select_related("holder")
        .order_by("pk")
    )
    reports = _open_reports_by_credential(credentials)
    groups: dict[tuple, list[Credential]] = {}
    for credential in credentials:
        report = reports.get(credential.pk)
        if report is not None:
            key: tuple = ("report", report.pk)
        else:
            key = (credential.holder_id, credential.program, credential.cycle_start)
            if rules.get_program(credential.program).one_credential_per_report:
                key = (*key, credential.pk)
        groups.setdefault(key, []).append(credential)
    sent = 0
    for group in groups.values():
        report = reports.get(group[0].pk)
        if report is not None and not report.is_editable:
            continue  # submitted: nothing to remind
        deadlines = credential_deadlines(group[0], extended=extension_active(report))
        days_left = (deadlines.on_time_until - today).days
        if days_left < 0:
            continue
        days = _threshold(days_left, reminder_days(group[0].program))
        if days is None:
            continue
        ids = "+".join(str(c.pk) for c in sorted(group, key=lambda c: c.pk))
        key = f"cycle-reminder:{ids}:{group[0].cycle_start}:{deadlines.on_time_until}:{days}"
        if emails.already_sent(key):
            continue
        scored = scored_report(report) if report is not None else _score_without_report(group)
        context = (
            _credential_context(group)
            | _numbers(scored)
            | {
                "deadline": deadlines.on_time_until,
                "days_left": days_left,
                "opens_on": deadlines.opens_on
                if deadlines.opens_on and today < deadlines.opens_on
                else None,
                "extended": deadlines.extended,
                "late_until": deadlines.submit_by
                if deadlines.submit_by > deadlines.on_time_until
                else None,
            }
        )
        with transaction.atomic():
            if emails.queue(
                key=key,
                kind=Notification.Kind.CYCLE_REMINDER,
                member=group[0].holder,
                credential=group[0],
                context=context,
            ):
                sent += 1
    return sent


def run_invoice_reminders(*, today: dt.date) -> int:
    """Remind members of unpaid invoices before they fall due (by default 14 days before and on the day)."""
    thresholds = invoice_reminder_days()
    sent = 0
    cancelled_extensions = set(
        ExtensionRequest.objects.filter(
            status=ExtensionRequest.Status.CANCELLED, invoice_ref__isnull=False
        ).values_list("invoice_ref", flat=True)
    )
    for invoice in unpaid_invoices_due(start=today, end=today + dt.timedelta(days=thresholds[0])):
        if today < invoice.payable_from or invoice.pk in cancelled_extensions:
            continue
        days_left = (invoice.due_on - today).days
        days = _threshold(days_left, thresholds)
        if days is None:
            continue
        key = f"invoice-reminder:{invoice.pk}:{invoice.due_on}:{days}"
        if emails.already_sent(key):
            continue
        member = User.objects.get(pk=invoice.member_id)
        context: dict[str, Any] = {"invoice": invoice, "days_left": days_left}
        if invoice.report_id:
            report = Report.objects.prefetch_related("credentials").get(pk=invoice.report_id)
            credentials = list(report.credentials.all())
            if credentials:
                context |= _credential_context(credentials)
            if report.points_counted is not None:
                context["points_counted"] = rules.format_decimal(report.points_counted)
                context["points_required"] = rules.format_decimal(report.points_required or 0)
                context["point_name"] = rules.get_program(report.program).point_names[1]
        with transaction.atomic():
            if emails.queue(
                key=key,
                kind=Notification.Kind.INVOICE_REMINDER,
                member=member,
                invoice_ref=invoice.pk,
                context=context,
            ):
                sent += 1
    return sent


# --- Certificates -----------------------------------------------------------------------------------


def _status_index() -> int:
    """A random free index: random, not sequential, so an index says nothing about who or when."""
    lists = 1 + Certificate.objects.count() // (STATUS_LIST_SIZE // 2)
    for _ in range(50):
        index = secrets.randbelow(STATUS_LIST_SIZE * lists)
        if not Certificate.objects.filter(status_index=index).exists():
            return index
    raise RuntimeError("No free status list index found")  # pragma: no cover


def certificate_cycle(credential: Credential, report: Report | None) -> tuple[dt.date, dt.date]:
    """The cycle a certificate covers: the one after the approved report, else the current one."""
    if report is None:
        return credential.cycle_start, credential.cycle_end
    start = rules.next_cycle_start(report.cycle_end)
    if credential.cycle_start == start:
        return start, credential.cycle_end
    return start, rules.get_program(credential.program).cycle_end(start)


@transaction.atomic
def certificate_issue(
    *,
    credential: Credential,
    report: Report | None = None,
    actor=None,
    today: dt.date | None = None,
) -> Certificate:
    """The certificate of a renewed credential's cycle; idempotent (one per credential cycle).

    Call it after approval with the approved report (its next cycle is covered); without a
    report it covers the credential's current cycle. Valid from the approval day (or the cycle
    start, if earlier) through the cycle end.
    """
    today = today or timezone.localdate()
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("holder")
        .get(pk=credential.pk)
    )
    start, end = certificate_cycle(credential, report)
    existing = Certificate.objects.filter(credential=credential, cycle_start=start).first()
    if existing is not None:
        return existing
    if credential.status not in OPEN:
        raise ValidationError(
            f"The {credential.designation} credential is "
            f"{credential.get_status_display().lower()}: no certificate can be issued."
        )
    if report is not None and report.status != RS.APPROVED:
        raise ValidationError("A certificate is issued for an approved report only.")
    for attempt in range(5):
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    credential=credential,
                    report=report,
                    cycle_start=start,
                    valid_from=min(today, start),
                    valid_through=end,
                    status_index=_status_index(),
                    issued_at=timezone.now(),
                    issued_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
            break
        except IntegrityError:
            # A code or index taken at the same moment (the credential row is locked, so not
            # the cycle): draw again.
            if attempt == 4:
                raise
    log_action(
        certificate,
        "certificate_issued",
        actor=actor,
        member=credential.holder,
        after={
            "credential": credential.designation,
            "code": certificate.code,
            "valid_from": certificate.valid_from,
            "valid_through": certificate.valid_through,
            "report": report.pk if report else None,
        },
    )
    emails.queue(
        key=f"certificate:{certificate.pk}",
        kind=Notification.Kind.CERTIFICATE_ISSUED,
        member=credential.holder,
        credential=credential,
        context=_credential_context([credential])
        | {
            "certificate": certificate,
            "verify_url": certificate_verify_url(certificate),
            "renewed": report is not None,
        },
    )
    return certificate


def certificate_verify_url(certificate: Certificate) -> str:
    return emails.site_url("verify:certificate", certificate.code)


def certificate_revoked(certificate: Certificate) -> bool:
    """Revoked for good once its credential lapsed or terminated, or while it is not open."""
    return certificate.revoked_at is not None or certificate.credential.status in CLOSED_STATES


def run_certificates(*, today: dt.date) -> int:
    """Safety net: a certificate for every credential renewed by a recent approval that has none."""
    has_certificate = Certificate.objects.filter(
        credential=OuterRef("pk"), cycle_start=OuterRef("cycle_start")
    )
    candidates = (
        Credential.objects.filter(
            status__in=OPEN,
            renewed_on__gte=today - dt.timedelta(days=CERTIFICATE_BACKFILL_DAYS),
        )
        .exclude(Exists(has_certificate))
        .order_by("pk")
    )
    issued = 0
    for credential in candidates:
        link = (
            ReportCredential.objects.filter(
                credential=credential,
                report__status=RS.APPROVED,
                report__cycle_end=credential.cycle_start - ONE_DAY,
            )
            .select_related("report")
            .first()
        )
        if link is None:
            continue
        certificate_issue(credential=credential, report=link.report, today=today)
        issued += 1
    return issued


def run_email_retry(*, today: dt.date) -> int:
    """Send again emails whose sending failed, or that a stopped process left unsent."""
    return emails.retry_unsent()


# --- Public standing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What the public lookup shows of a credential: nothing private."""

    name: str
    designation: str
    designation_name: str
    program: str
    status: str
    good: bool
    valid_through: dt.date


STATUS_WORDS = {
    Credential.Status.NEW: "In good standing",
    Credential.Status.RENEW: "In good standing",
    Credential.Status.LAPSED: "Lapsed",
    Credential.Status.TERMINATED: "Terminated",
    Credential.Status.INACTIVE: "Inactive",
}


def standing(credential: Credential) -> Standing:
    program = rules.get_program(credential.program)
    return Standing(
        name=credential.holder.get_full_name() or credential.holder.username,
        designation=credential.designation,
        designation_name=credential.designation_name,
        program=program.name,
        status=STATUS_WORDS.get(credential.status, credential.get_status_display()),
        good=credential.status in OPEN,
        valid_through=credential.cycle_end,
    )


# --- Running everything -----------------------------------------------------------------------------

JOBS: list[tuple[str, Callable[..., int]]] = [
    ("extensions", run_extensions),
    ("lapse", run_lapse),
    ("terminate", run_terminate),
    ("certificates", run_certificates),
    ("cycle_reminders", run_cycle_reminders),
    ("invoice_reminders", run_invoice_reminders),
    ("email_retry", run_email_retry),
]


def run_all(*, today: dt.date) -> dict[str, int]:
    """Every job, in order; a failing job is logged and the others still run."""
    results: dict[str, int] = {}
    for name, job in JOBS:
        try:
            results[name] = job(today=today)
        except Exception:
            logger.exception("lifecycle job %s failed", name)
            results[name] = -1
    return results
