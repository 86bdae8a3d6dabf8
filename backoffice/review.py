"""Review and approval: what staff do to a submitted report, and the history its page shows.

The queue's statuses, approval (credentials renew, certificates issue, the next cycle opens),
return for correction and fee waivers. Each state change is keyword-only and one transaction; it
locks the report (then its credentials) with select_for_update, is a no-op when the work is
already done, and leaves an AuditLog row with the actor and the reason. Member emails are recorded
in the same transaction (members.emails) and sent after commit, so a mail server that is down
never undoes a decision: the email waits for `retry_emails`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import log_action, signed_in, snapshot
from core.formatting import format_date
from core.models import AuditLog
from lifecycle.certificates import certificate_issue
from members.models import Credential
from recertification import rules
from recertification.audits import (
    EMAIL_APPROVED,
    EMAIL_RETURNED,
    email_about_report,
    log_report,
    report_state,
)
from recertification.carryover import carry_over_apply
from recertification.models import Report, ReportCredential
from recertification.services import report_mark_paid, reports_ensure_open

from .common import lock_report, required_reason
from .invoices import cancel_open_invoice, report_is_paid

S = Report.Status
# Submitted and not yet decided: what the review queue shows by default.
QUEUE_STATUSES = (S.SUBMITTED, S.PAYMENT_DUE, S.IN_REVIEW, S.AUDIT)
APPROVABLE = (S.SUBMITTED, S.PAYMENT_DUE, S.IN_REVIEW)
RETURNABLE = (S.SUBMITTED, S.PAYMENT_DUE, S.IN_REVIEW, S.AUDIT)
CREDENTIAL_FIELDS = ["status", "cycle_start", "cycle_end", "renewed_on", "first_dual_cycle"]


# --- approval ----------------------------------------------------------------------------------


def approval_blocker(report: Report, *, paid: bool | None = None) -> str:
    """Why the report cannot be approved now, or "" when it can (`paid` if already known)."""
    if report.status == S.AUDIT or (
        report.selected_for_audit and report.audit_outcome != "cleared"
    ):
        return "The report is selected for audit: clear the audit before approving it."
    if report.status not in APPROVABLE:
        return f"A report that is {report.get_status_display().lower()} cannot be approved."
    if paid is None:
        paid = report_is_paid(report)
    if not (report.fee_waived or paid):
        return "The fee is not paid. Record the payment or waive the fee before approving."
    return ""


# A program without an application date in its calendar: approving a report more than this long
# before its cycle ends is early.
EARLY_APPROVAL_DAYS = 365


def approval_opens_on(report: Report) -> tuple[dt.date, str]:
    """The day from which approving the report is not early, and why that day."""
    program = rules.get_program(report.program)
    opens = program.deadlines_for(report.cycle_end.year).get("application_opens")
    if opens is not None:
        return opens, f"the day the {program.name} application opens"
    return report.cycle_end - dt.timedelta(days=EARLY_APPROVAL_DAYS), "a year before it ends"


def early_approval_warning(report: Report, *, today: dt.date | None = None) -> str:
    """A warning when the report's cycle is far from its end, or "" when approval is not early."""
    today = today or timezone.localdate()
    opens, why = approval_opens_on(report)
    if today >= opens:
        return ""
    return (
        f"Its cycle ends on {format_date(report.cycle_end)}: approving it before "
        f"{format_date(opens)} ({why}) renews the credential early, and the next cycle still "
        f"starts on {format_date(rules.next_cycle_start(report.cycle_end))}."
    )


def approval_check(report: Report, *, early_confirmed: bool = False) -> Report:
    """Lock the report for approval from the staff pages; ValidationError (the reason it is
    skipped) when it is approved already, cannot be approved, or would be approved early without
    the confirmation staff give on its page ("Approve early")."""
    report = lock_report(report)
    if report.status == S.APPROVED:
        raise ValidationError("It is already approved: nothing to do.")
    blocker = approval_blocker(report)
    if blocker:
        raise ValidationError(blocker)
    if not early_confirmed:
        warning = early_approval_warning(report)
        if warning:
            raise ValidationError(
                f"{warning} Approve it from its page with “Approve early” if that is intended."
            )
    return report


@transaction.atomic
def report_approve(*, report: Report, actor, reason: str = "") -> Report:
    """Approve a paid (or fee-waived) report: its credentials renew and the next cycle opens."""
    report = lock_report(report)
    if report.status == S.APPROVED:
        return report
    blocker = approval_blocker(report)
    if blocker:
        raise ValidationError(blocker)
    return _approve(report, actor=actor, reason=(reason or "").strip())


def _approve(report: Report, *, actor, reason: str) -> Report:
    before = report_state(report)
    links = dict(
        ReportCredential.objects.filter(report=report).values_list("credential_id", "cycle_start")
    )
    credentials = list(
        Credential.objects.select_for_update().filter(pk__in=list(links)).order_by("pk")
    )
    report.status = S.APPROVED
    report.decided_at = timezone.now()
    report.decided_by = signed_in(actor)
    report.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    renewed = [
        credential_renew(
            credential=c,
            actor=actor,
            reason=f"Report {report.pk} approved" + (f": {reason}" if reason else ""),
            from_cycle_start=links[c.pk],
        )
        for c in credentials
    ]
    approved = log_report(
        report,
        "approved",
        actor=actor,
        reason=reason,
        before=before,
        renewed={c.designation: f"{c.cycle_start}..{c.cycle_end}" for c in renewed},
    )
    for credential in renewed:
        certificate_issue(credential=credential, report=report, actor=actor)
    # The member can enter points for the new cycle at once: its report exists now.
    reports_ensure_open(member=report.member)
    carry_over_apply(report=report, actor=actor)
    _email_approved(report, renewed, event=approved)
    return report


def _email_approved(report: Report, renewed: list[Credential], *, event: AuditLog) -> None:
    cycles = "; ".join(
        f"{c.designation}: {format_date(c.cycle_start)} to {format_date(c.cycle_end)}"
        for c in renewed
    )
    email_about_report(
        report,
        "Your Recertification Report is approved",
        [
            "Your Recertification Report has been approved and your certification is renewed.",
            f"Your next recertification cycle: {cycles}. You can enter points for it in the "
            "Recertification Portal now.",
        ],
        kind=EMAIL_APPROVED,
        event=event,
    )


@transaction.atomic
def credential_renew(
    *, credential: Credential, actor, reason: str = "", from_cycle_start: dt.date | None = None
) -> Credential:
    """Renew (or reinstate) a credential: status Renew, renewed today, the next cycle of its program.

    `from_cycle_start` is the cycle being renewed; when the credential has moved past it already,
    nothing changes, so approving twice renews once.
    """
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if from_cycle_start is not None and credential.cycle_start != from_cycle_start:
        return credential
    if credential.status in (Credential.Status.TERMINATED, Credential.Status.INACTIVE):
        raise ValidationError(
            f"The {credential.designation} credential is {credential.get_status_display().lower()} "
            "and cannot be renewed."
        )
    before = snapshot(credential, CREDENTIAL_FIELDS)
    action = "reinstated" if credential.status == Credential.Status.LAPSED else "renewed"
    start = rules.next_cycle_start(credential.cycle_end)
    credential.status = Credential.Status.RENEW
    credential.renewed_on = timezone.localdate()
    credential.cycle_start = start
    credential.cycle_end = rules.get_program(credential.program).cycle_end(start)
    credential.first_dual_cycle = False  # the first cycle as a dual certificant is over
    credential.save()
    log_action(
        credential,
        action,
        actor=actor,
        member=credential.holder,
        reason=reason,
        before=before,
        after=snapshot(credential, CREDENTIAL_FIELDS),
    )
    return credential


# --- return and fee waiver -----------------------------------------------------------------------


def return_to_member(
    report: Report, *, actor, reason: str, action: str, details: tuple[str, ...] = ()
) -> Report:
    """Reopen a locked report for the member, log `action` with the reason and email it to them
    (with `details`, e.g. the entries an audit rejected and why, after the reason)."""
    before = report_state(report)
    report.status = S.RETURNED
    report.return_reason = reason
    report.save()
    returned = log_report(report, action, actor=actor, reason=reason, before=before)
    email_about_report(
        report,
        "Your Recertification Report needs correction",
        [
            "Staff have returned your Recertification Report for correction, for this reason:",
            reason,
            *details,
            "Your report is open again in the Recertification Portal: make the corrections and "
            "submit it again. Your payment, if you have made it, still stands.",
        ],
        kind=EMAIL_RETURNED,
        event=returned,
    )
    return report


@transaction.atomic
def report_return(*, report: Report, actor, reason: str) -> Report:
    """Reopen a submitted report for correction; the member is emailed the reason."""
    reason = required_reason(reason, "returning the report")
    report = lock_report(report)
    if report.status == S.RETURNED:
        return report
    if report.status not in RETURNABLE:
        raise ValidationError(
            f"A report that is {report.get_status_display().lower()} cannot be returned."
        )
    return return_to_member(report, actor=actor, reason=reason, action="returned")


@transaction.atomic
def report_waive_fee(*, report: Report, actor, reason: str) -> Report:
    """Waive the fee of a submitted report: its open invoice is cancelled and review can go on."""
    reason = required_reason(reason, "waiving the fee")
    report = lock_report(report)
    if report.fee_waived:
        return report
    if report.status in (S.OPEN, S.RETURNED, S.APPROVED):
        raise ValidationError(
            f"A report that is {report.get_status_display().lower()} has no fee to waive."
        )
    if report_is_paid(report):
        raise ValidationError(
            "The fee is already paid. To give the money back, refund the payment from its invoice."
        )
    before = report_state(report)
    cancelled = cancel_open_invoice(report, actor=actor, reason=f"Fee waived: {reason}")
    report.fee_waived = True
    report.save(update_fields=["fee_waived", "updated_at"])
    log_report(report, "fee waived", actor=actor, reason=reason, before=before, invoice=cancelled)
    if report.status in (S.SUBMITTED, S.PAYMENT_DUE):
        # Waived counts as paid: on to review (or to audit when selected).
        report_mark_paid(report=report, actor=actor)
        report.refresh_from_db()
    return report


# --- what the review page reads ----------------------------------------------------------------


def report_history(
    report: Report, *, entry_ids: list[int], invoice_ids: list[int], credential_ids: list[int]
) -> list[AuditLog]:
    """Every audit record of the report, its entries, credentials and invoices, newest first."""
    wanted = Q(object_type="recertification.report", object_id=str(report.pk))
    if entry_ids:
        wanted |= Q(object_type="recertification.entry", object_id__in=[str(i) for i in entry_ids])
    if invoice_ids:
        wanted |= Q(object_type="payments.invoice", object_id__in=[str(i) for i in invoice_ids])
    if credential_ids:
        wanted |= Q(
            object_type="members.credential", object_id__in=[str(i) for i in credential_ids]
        )
    return list(AuditLog.objects.filter(wanted).select_related("actor").order_by("-at", "-id"))
