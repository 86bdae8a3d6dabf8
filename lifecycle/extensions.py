"""NAMSS extensions: the terms a report may be extended on, the request (which bills the fee), the
sync that activates an extension once its fee is paid or cancels it with its invoice, and the fee
invoice cancelled once it is no longer needed: the member withdraws the request, or submits the
report before paying (payments.settlement.invoice_cancel: a correction, never a deletion).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import log_action
from core.formatting import format_date
from members import emails
from members.models import Notification
from payments.invoices import PaymentError
from payments.models import Invoice, Payment
from payments.settlement import invoice_cancel, settle_card_attempts
from recertification import rules
from recertification.dual import is_first_dual_cycle
from recertification.models import Report
from recertification.selectors import ScoredReport, scored_report

from .billing import InvoiceInfo, extension_invoice_issue, invoice_get, program_fees
from .deadlines import OPEN
from .models import ExtensionRequest
from .notices import credential_context, points_context


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
    """Credits counted from entries that have a CE certificate uploaded, or that stand in for
    one (reported by a CE provider, carried over: `Entry.needs_no_certificate`)."""
    total = Decimal(0)
    for line in scored.lines:
        if line.auto:
            continue
        if line.entry.needs_no_certificate or line.entry.attached_files:
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
    first_dual = is_first_dual_cycle(program, credentials, report.cycle_start)
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
    if existing is None:
        terms.problems.extend(_extension_problems(terms, requirement.total, today=today))
    return terms


def _extension_problems(
    terms: ExtensionTerms, requirement_total: Decimal | int, *, today: dt.date
) -> list[str]:
    """Why the report of `terms` cannot be extended on `today` (none: it can)."""
    problems: list[str] = []
    closed = [c for c in terms.scored.credentials if c.status not in OPEN]
    if closed:
        problems.append(
            f"Your {closed[0].designation} certification is "
            f"{closed[0].get_status_display().lower()}: extensions are for open certifications."
        )
    if not terms.report.is_editable:
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
    if terms.documented < terms.needed:
        problems.append(
            f"Upload CE certificates for at least {rules.format_decimal(terms.needed)} credits, "
            f"half of the {rules.format_decimal(Decimal(requirement_total))} required: your "
            f"entries with a certificate add up to {rules.format_decimal(terms.documented)}."
        )
    return problems


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
    _extension_requested_announce(extension, terms=terms, invoice=invoice, member=member)
    return extension


def _extension_requested_announce(
    extension: ExtensionRequest, *, terms: ExtensionTerms, invoice: InvoiceInfo | None, member
) -> None:
    """Record the request in the audit log and queue the email with the fee invoice."""
    log_action(
        extension,
        "extension_requested",
        actor=member,
        member=member,
        after={
            "report": terms.report.pk,
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
        context=credential_context(terms.scored.credentials)
        | points_context(terms.scored)
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


def extension_cancel(
    extension: ExtensionRequest, reason: str, *, actor=None, action: str = "extension_cancelled"
) -> None:
    """Cancel a (not yet active) extension, with `reason` in the audit log."""
    before = {"status": extension.status}
    extension.status = ExtensionRequest.Status.CANCELLED
    extension.cancelled_at = timezone.now()
    extension.cancel_reason = reason[:300]
    extension.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    log_action(
        extension,
        action,
        actor=actor,
        member=extension.member,
        reason=reason,
        before=before,
        after={"status": extension.status, "invoice": extension.invoice_ref},
    )


# --- the fee, once it is no longer needed ----------------------------------------------------

WITHDRAWN = "The member withdrew the extension request."


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawn request, and the fee invoice cancelled with it (numbers; None: there was none)."""

    extension: ExtensionRequest
    invoice: str | None
    correction: str | None


def _fee_invoice(extension: ExtensionRequest) -> Invoice | None:
    if extension.invoice_ref is None:
        return None
    return Invoice.objects.filter(pk=extension.invoice_ref).first()


def _settle_card_attempts_of(extension: ExtensionRequest) -> None:
    """Before any lock is taken: stop card attempts at Stripe that are still in flight for the fee
    (one that succeeded meanwhile is recorded, and the fee is then paid, not cancelled)."""
    invoice = _fee_invoice(extension)
    if invoice is not None and invoice.is_open:
        settle_card_attempts(invoice)


def _fee_cancel(extension: ExtensionRequest, *, actor, reason: str) -> Invoice | None:
    """Cancel the unpaid fee invoice of `extension` by a correction; the caller holds the report's
    and the extension's locks. Returns the correction, or None when the fee was already cancelled.
    Raises PaymentError when the fee is paid (perhaps a moment ago): a paid fee is never cancelled.
    """
    invoice = _fee_invoice(extension)
    if invoice is None or invoice.status == Invoice.Status.CANCELLED:
        return None
    try:
        return invoice_cancel(invoice=invoice, actor=actor, reason=reason)
    except PaymentError:
        invoice.refresh_from_db(fields=["status"])
        if invoice.status == Invoice.Status.CANCELLED:
            return None  # cancelled by staff meanwhile: nothing left to do for the fee
        raise


def _locked(extension_id: int, **owner) -> ExtensionRequest:
    """The extension under its report's row lock, then its own (lock order: report first)."""
    report_id = ExtensionRequest.objects.values_list("report_id", flat=True).get(
        pk=extension_id, **owner
    )
    Report.objects.select_for_update(of=("self",)).get(pk=report_id)
    return (
        ExtensionRequest.objects.select_for_update(of=("self",))
        .select_related("member", "report")
        .get(pk=extension_id, **owner)
    )


def extension_withdraw(*, extension_id: int, member) -> Withdrawal:
    """The member withdraws a request whose fee is not paid: the request and its fee invoice are
    cancelled (the invoice by a correction). A paid (active) extension cannot be withdrawn.

    Raises ExtensionRequest.DoesNotExist for another member's request (views fetch it through its
    owner first) and ValidationError with the reason it cannot be withdrawn.
    """
    extension = ExtensionRequest.objects.get(pk=extension_id, member=member)
    _settle_card_attempts_of(extension)
    return _withdraw(extension_id=extension_id, member=member)


@transaction.atomic
def _withdraw(*, extension_id: int, member) -> Withdrawal:
    extension = _locked(extension_id, member=member)
    if extension.status == ExtensionRequest.Status.CANCELLED:
        raise ValidationError("This extension request is already withdrawn or cancelled.")
    invoice = _fee_invoice(extension)
    number = invoice.number if invoice is not None else None
    paid = (
        f"The extension fee (invoice {number}) is paid, so your extension is active and cannot "
        f"be withdrawn. For a refund, write to {settings.SUPPORT_EMAIL}."
    )
    if extension_is_active(extension):
        raise ValidationError(paid)
    if (
        invoice is not None
        and Payment.objects.filter(invoice=invoice, status__in=Payment.IN_FLIGHT).exists()
    ):
        raise ValidationError(
            f"A card payment of invoice {number} is still being processed. Wait until it is "
            "finished, then try again."
        )
    try:
        correction = _fee_cancel(extension, actor=member, reason=WITHDRAWN)
    except PaymentError:
        raise ValidationError(paid) from None
    extension_cancel(extension, WITHDRAWN, actor=member, action="extension_withdrawn")
    return Withdrawal(
        extension=extension,
        invoice=number,
        correction=correction.number if correction is not None else None,
    )


def _no_longer_needed(extension: ExtensionRequest) -> str:
    """Why the fee of `extension` is no longer due, or "" when it still is."""
    if extension.status == ExtensionRequest.Status.ACTIVE:
        return ""
    if extension.status == ExtensionRequest.Status.CANCELLED:
        why = (extension.cancel_reason or "").rstrip(". ")
        because = f" ({why})" if why else ""
        return f"The extension request was cancelled{because}: its fee is no longer due."
    report = extension.report
    if report.is_editable or report.submitted_at is None:
        return ""
    submitted_on = format_date(timezone.localdate(report.submitted_at))
    return (
        f"The report was submitted on {submitted_on} before the extension fee was paid: the "
        "extension is no longer needed."
    )


def _release(extension: ExtensionRequest, *, actor) -> bool:
    """Cancel the fee of a locked extension that is no longer needed, and the request with it."""
    reason = _no_longer_needed(extension)
    if not reason or extension_is_active(extension):
        return False  # a paid fee is never cancelled
    try:
        correction = _fee_cancel(extension, actor=actor, reason=reason)
    except PaymentError:
        return False  # paid a moment ago: the extension stands
    if extension.status == ExtensionRequest.Status.REQUESTED:
        extension_cancel(extension, reason, actor=actor)
        return True
    return correction is not None


def extension_fee_cancel_on_submission(*, report: Report, actor) -> bool:
    """The report was submitted (lifecycle.receivers, inside the submission's transaction, the
    report locked): an extension whose fee is not paid is no longer needed, so the request and its
    fee invoice are cancelled. A submission after the on-time deadline is billed the late fee
    instead (payments.invoices), as the extension was not paid.
    """
    extension = (
        ExtensionRequest.objects.select_for_update(of=("self",))
        .select_related("member", "report")
        .filter(report_id=report.pk, status=ExtensionRequest.Status.REQUESTED)
        .first()
    )
    if extension is None:
        return False
    return _release(extension, actor=actor)


def extension_fee_release(*, extension_id: int) -> bool:
    """The hourly safety net: cancel the unpaid fee of an extension no longer needed (its report
    submitted, or the request cancelled, e.g. at the lapse). True when something changed."""
    extension = ExtensionRequest.objects.get(pk=extension_id)
    _settle_card_attempts_of(extension)
    with transaction.atomic():
        return _release(_locked(extension_id), actor=None)


def fees_no_longer_needed() -> list[int]:
    """Extensions whose fee invoice is open though the report was submitted or the request
    cancelled: the ids for extension_fee_release."""
    open_fees = Invoice.objects.filter(
        kind=Invoice.Kind.EXTENSION, status=Invoice.Status.OPEN
    ).values("pk")
    return list(
        ExtensionRequest.objects.filter(invoice_ref__in=open_fees)
        .filter(
            Q(status=ExtensionRequest.Status.CANCELLED)
            | (
                Q(status=ExtensionRequest.Status.REQUESTED, report__submitted_at__isnull=False)
                & ~Q(report__status__in=Report.EDITABLE)
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
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
        extension_cancel(extension, f"The extension fee invoice {invoice.number} was cancelled.")
        return True
    if not invoice.paid:
        return False
    credentials = list(extension.report.credentials.all())
    if any(c.status not in OPEN for c in credentials):
        extension_cancel(extension, "The credential lapsed before the extension fee was paid.")
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
        context=credential_context(scored.credentials)
        | points_context(scored)
        | {"new_deadline": extension.new_deadline, "deadline": extension.new_deadline},
    )
    return True


def extensions_to_sync() -> list[int]:
    """Requested extensions with a fee invoice: activated once it is paid (the member is told the
    new deadline), cancelled with it (`extension_sync`)."""
    return list(
        ExtensionRequest.objects.filter(
            status=ExtensionRequest.Status.REQUESTED, invoice_ref__isnull=False
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
