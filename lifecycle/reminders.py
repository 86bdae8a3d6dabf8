"""Reminder emails: to members whose report is not submitted, on the days before the deadline
their program (or settings.REMINDER_DAYS) names, and of unpaid invoices before they fall due
(settings.INVOICE_REMINDER_DAYS). Each reminder is sent once, under a key naming its day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from members import emails
from members.models import Credential, Notification, User
from recertification import rules
from recertification.models import Report, ReportCredential
from recertification.selectors import scored_report

from .billing import unpaid_invoices_due
from .deadlines import OPEN, credential_deadlines
from .extensions import extension_active
from .models import ExtensionRequest
from .notices import credential_context, points_context, score_without_report

# Days before an unpaid invoice's due date (0: on the due date). settings.INVOICE_REMINDER_DAYS.
DEFAULT_INVOICE_REMINDER_DAYS = (14, 0)


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


def _open_reports_by_credential(credentials: list[Credential]) -> dict[int, Report]:
    """The report of each credential's current cycle, by credential id (none yet: absent)."""
    wanted = {(c.pk, c.cycle_start) for c in credentials}
    links = ReportCredential.objects.filter(credential__in=credentials).select_related("report")
    return {
        link.credential_id: link.report
        for link in links
        if (link.credential_id, link.cycle_start) in wanted
    }


def run_cycle_reminders(*, today: dt.date) -> int:
    """Remind members whose report is not submitted, on the configured days before the deadline."""
    credentials = _reminder_candidates(today)
    reports = _open_reports_by_credential(credentials)
    sent = 0
    for group in _reminder_groups(credentials, reports):
        if _cycle_reminder_send(group, reports.get(group[0].pk), today=today):
            sent += 1
    return sent


def _reminder_candidates(today: dt.date) -> list[Credential]:
    """Open credentials whose cycle ends within reach of a reminder day (of any program)."""
    horizon = max(max(reminder_days(p.code)) for p in rules.programs())
    return list(
        Credential.objects.filter(
            status__in=OPEN,
            # NAMSS: the deadline can be 1 June after the cycle end (extension).
            cycle_end__gte=today - dt.timedelta(days=200),
            cycle_end__lte=today + dt.timedelta(days=horizon),
        )
        .select_related("holder")
        .order_by("pk")
    )


def _reminder_groups(
    credentials: list[Credential], reports: dict[int, Report]
) -> list[list[Credential]]:
    """The credentials one reminder covers: those of one report, else one member's credentials of
    a program cycle (each alone in a program with one credential per report)."""
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
    return list(groups.values())


def _cycle_reminder_send(group: list[Credential], report: Report | None, *, today: dt.date) -> bool:
    """Queue the group's reminder when `today` reaches a reminder day not yet reminded of."""
    if report is not None and not report.is_editable:
        return False  # submitted: nothing to remind
    deadlines = credential_deadlines(group[0], extended=extension_active(report))
    days_left = (deadlines.on_time_until - today).days
    if days_left < 0:
        return False
    days = _threshold(days_left, reminder_days(group[0].program))
    if days is None:
        return False
    ids = "+".join(str(c.pk) for c in sorted(group, key=lambda c: c.pk))
    key = f"cycle-reminder:{ids}:{group[0].cycle_start}:{deadlines.on_time_until}:{days}"
    if emails.already_sent(key):
        return False
    scored = scored_report(report) if report is not None else score_without_report(group)
    context = (
        credential_context(group)
        | points_context(scored)
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
        notification = emails.queue(
            key=key,
            kind=Notification.Kind.CYCLE_REMINDER,
            member=group[0].holder,
            credential=group[0],
            context=context,
        )
    return notification is not None


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
                context |= credential_context(credentials)
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
