"""Lapse and termination: a credential lapses when its deadline passes without a report that holds
it open, and a lapsed one is terminated when its grace period ends without a report. Either revokes
the credential's certificates and tells the member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import log_action, snapshot
from core.formatting import format_date
from core.tasks import in_batches
from members import emails
from members.models import Credential, Notification
from recertification import rules
from recertification.models import Report
from recertification.selectors import report_totals

from .billing import program_fees, report_invoice
from .deadlines import (
    ONE_DAY,
    OPEN,
    RS,
    credential_deadlines,
    cycle_report,
    report_submitted_on,
)
from .extensions import extension_active, extension_cancel, extension_is_active, live_extension
from .models import Certificate
from .notices import credential_context, points_context, score_without_report


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
    submitted_on = report_submitted_on(report) if report is not None else None
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
    scored = report_totals(report) if report is not None else score_without_report([credential])
    context = credential_context([credential]) | points_context(scored) | {"reason": reason}
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
        extension_cancel(extension, "The credential lapsed before the extension fee was paid.")
    emails.queue(
        key=f"lapsed:{credential.pk}:{credential.cycle_start}",
        kind=Notification.Kind.LAPSED,
        member=credential.holder,
        credential=credential,
        context=_lapse_context(credential, report, reason),
    )
    return True


def lapses_due(*, today: dt.date) -> Iterator[int]:
    """The open credentials whose cycle ended without an approved (or pending) report and whose
    lapse day has come, by id; the lapse (`credential_lapse_if_due`) checks the report."""
    candidates = Credential.objects.filter(status__in=OPEN, cycle_end__lt=today).only(
        "pk", "program", "cycle_end"
    )
    # No lock and no query for those not due yet (NAMSS in December): an extension only delays.
    for batch in in_batches(candidates):
        yield from (c.pk for c in batch if today >= credential_deadlines(c).lapses_on)


def terminate_reason(credential: Credential, today: dt.date) -> str | None:
    """Why a lapsed credential is terminated on `today` (grace period over, nothing submitted)."""
    if credential.status != Credential.Status.LAPSED:
        return None
    deadlines = credential_deadlines(credential)
    if deadlines.terminates_on is None or today < deadlines.terminates_on:
        return None
    report = cycle_report(credential)
    submitted_on = report_submitted_on(report) if report is not None else None
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
    scored = report_totals(report) if report is not None else score_without_report([credential])
    emails.queue(
        key=f"terminated:{credential.pk}:{credential.cycle_start}",
        kind=Notification.Kind.TERMINATED,
        member=credential.holder,
        credential=credential,
        context=credential_context([credential])
        | points_context(scored)
        | {
            "reason": reason,
            "grace_until": deadlines.terminates_on - ONE_DAY,
            "rules_url": emails.site_url("rules:program", credential.program),
        },
    )
    return True


def terminations_due(*, today: dt.date) -> Iterator[int]:
    """Lapsed credentials whose grace period is over (NAMSS: the reinstatement period of its
    calendar; IHMM: six months after the lapse), by id: each program's `grace_months` or calendar."""
    candidates = (
        Credential.objects.filter(status=Credential.Status.LAPSED)
        .filter(_termination_candidates(today))
        .only("pk", "program", "cycle_end")
    )
    for batch in in_batches(candidates):
        yield from (
            c.pk
            for c in batch
            if (end := credential_deadlines(c).terminates_on) is not None and today >= end
        )
