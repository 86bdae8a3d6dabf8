"""Reminder emails: to members whose report is not submitted, on the days before the deadline
their program (or settings.REMINDER_DAYS) names, and of unpaid invoices before they fall due
(settings.INVOICE_REMINDER_DAYS). Each reminder is sent once, under a key naming its day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from core.tasks import SCAN_BATCH, chunked
from members import emails
from members.models import Credential, Notification, User
from recertification import rules
from recertification.models import Report, ReportCredential
from recertification.selectors import report_totals

from .billing import invoice_get, unpaid_invoices_due
from .deadlines import OPEN, Deadlines, credential_deadlines
from .extensions import extension_active, extension_is_active
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


def cycle_reminders_due(*, today: dt.date) -> Iterator[list[int]]:
    """The reminders due on `today` and not yet sent, each as the ids of the credentials it covers.

    Streams the open credentials within reach of a reminder day, one member's together, and reads
    for each batch of SCAN_BATCH their reports, live extensions and the reminders already sent
    with one query each: the scan's queries and memory do not grow with the batch, and a day with
    nothing to send sends no query per member.
    """
    for batch in _candidate_batches(today):
        reports = _open_reports_by_credential(batch)
        extensions = _live_extensions([r.pk for r in reports.values()])
        keyed = []
        for group in _reminder_groups(batch, reports):
            report = reports.get(group[0].pk)
            extended = report is not None and extension_is_active(extensions.get(report.pk))
            reminder = _cycle_reminder_due(group, report, today=today, extended=extended)
            if reminder is not None:
                keyed.append((reminder[0], group))
        sent = set(
            Notification.objects.filter(key__in=[key for key, _ in keyed]).values_list(
                "key", flat=True
            )
        )
        yield from ([c.pk for c in group] for key, group in keyed if key not in sent)


def _live_extensions(report_ids: list[int]) -> dict[int, ExtensionRequest]:
    """The extension request (not cancelled) of each of these reports, by report id."""
    return {
        e.report_id: e
        for e in ExtensionRequest.objects.filter(report_id__in=report_ids).exclude(
            status=ExtensionRequest.Status.CANCELLED
        )
    }


def _candidate_batches(today: dt.date) -> Iterator[list[Credential]]:
    """Open credentials whose cycle ends within reach of a reminder day (of any program), about
    SCAN_BATCH at a time by holder, never splitting a holder's; each batch its own query after the
    last holder of the one before."""
    horizon = max(max(reminder_days(p.code)) for p in rules.programs())
    candidates = (
        Credential.objects.filter(
            status__in=OPEN,
            # NAMSS: the deadline can be 1 June after the cycle end (extension).
            cycle_end__gte=today - dt.timedelta(days=200),
            cycle_end__lte=today + dt.timedelta(days=horizon),
        )
        .only("pk", "holder_id", "program", "cycle_start", "cycle_end", "status")
        .order_by("holder_id", "pk")
    )
    after = 0
    while True:
        batch = list(candidates.filter(holder_id__gt=after)[:SCAN_BATCH])
        last_batch = len(batch) < SCAN_BATCH
        if not last_batch and batch[0].holder_id != batch[-1].holder_id:
            last = batch[-1].holder_id
            batch = [c for c in batch if c.holder_id != last]  # read whole with the next batch
        if batch:
            yield batch
        if last_batch or not batch:
            return
        after = batch[-1].holder_id


@transaction.atomic
def cycle_reminder_send_if_due(*, credential_ids: list[int], today: dt.date) -> bool:
    """Send the reminder of these credentials (one report's, or one member's of a program cycle)
    when `today` reaches a reminder day not yet reminded of; the credentials are locked while it
    is checked and recorded."""
    credentials = list(
        Credential.objects.select_for_update(of=("self",))
        .filter(pk__in=credential_ids, status__in=OPEN)
        .select_related("holder")
        .order_by("pk")
    )
    if not credentials:
        return False
    reports = _open_reports_by_credential(credentials)
    return _cycle_reminder_send(credentials, reports.get(credentials[0].pk), today=today)


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


def _cycle_reminder_due(
    group: list[Credential], report: Report | None, *, today: dt.date, extended: bool
) -> tuple[str, Deadlines] | None:
    """The key of the group's reminder due on `today` and its deadlines, or None when none is due."""
    if report is not None and not report.is_editable:
        return None  # submitted: nothing to remind
    deadlines = credential_deadlines(group[0], extended=extended)
    days_left = (deadlines.on_time_until - today).days
    if days_left < 0:
        return None
    days = _threshold(days_left, reminder_days(group[0].program))
    if days is None:
        return None
    ids = "+".join(str(c.pk) for c in sorted(group, key=lambda c: c.pk))
    return (
        f"cycle-reminder:{ids}:{group[0].cycle_start}:{deadlines.on_time_until}:{days}",
        deadlines,
    )


def _cycle_reminder_send(group: list[Credential], report: Report | None, *, today: dt.date) -> bool:
    """Queue the group's reminder when `today` reaches a reminder day not yet reminded of."""
    due = _cycle_reminder_due(group, report, today=today, extended=extension_active(report))
    if due is None:
        return False
    key, deadlines = due
    days_left = (deadlines.on_time_until - today).days
    if emails.already_sent(key):
        return False
    scored = report_totals(report) if report is not None else score_without_report(group)
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


def invoice_reminders_due(*, today: dt.date) -> Iterator[int]:
    """Unpaid invoices to remind of on `today` (by default 14 days before they fall due and on the
    day), not yet reminded of, by id."""
    thresholds = invoice_reminder_days()
    due = []
    for invoice in unpaid_invoices_due(start=today, end=today + dt.timedelta(days=thresholds[0])):
        key = _invoice_reminder_key(invoice, today, thresholds)
        if key is not None:
            due.append((key, invoice.pk))
    for chunk in chunked(due):
        sent = set(
            Notification.objects.filter(key__in=[key for key, _ in chunk]).values_list(
                "key", flat=True
            )
        )
        yield from (pk for key, pk in chunk if key not in sent)


def _invoice_reminder_key(invoice, today: dt.date, thresholds: tuple[int, ...]) -> str | None:
    if today < invoice.payable_from:
        return None
    days = _threshold((invoice.due_on - today).days, thresholds)
    if days is None:
        return None
    return f"invoice-reminder:{invoice.pk}:{invoice.due_on}:{days}"


@transaction.atomic
def invoice_reminder_send_if_due(*, invoice_id: int, today: dt.date) -> bool:
    """Remind the member of an unpaid invoice on a reminder day not yet reminded of (never of an
    extension fee whose request was cancelled)."""
    invoice = invoice_get(invoice_id, lock=True)
    if invoice is None or invoice.status != "open" or invoice.total <= 0:
        return False
    if invoice.kind == "correction":
        return False
    key = _invoice_reminder_key(invoice, today, invoice_reminder_days())
    if key is None or emails.already_sent(key):
        return False
    if ExtensionRequest.objects.filter(
        status=ExtensionRequest.Status.CANCELLED, invoice_ref=invoice.pk
    ).exists():
        return False
    member = User.objects.get(pk=invoice.member_id)
    context: dict[str, Any] = {"invoice": invoice, "days_left": (invoice.due_on - today).days}
    if invoice.report_id:
        report = Report.objects.prefetch_related("credentials").get(pk=invoice.report_id)
        credentials = list(report.credentials.all())
        if credentials:
            context |= credential_context(credentials)
        if report.points_counted is not None:
            context["points_counted"] = rules.format_decimal(report.points_counted)
            context["points_required"] = rules.format_decimal(report.points_required or 0)
            context["point_name"] = rules.get_program(report.program).point_names[1]
    return (
        emails.queue(
            key=key,
            kind=Notification.Kind.INVOICE_REMINDER,
            member=member,
            invoice_ref=invoice.pk,
            context=context,
        )
        is not None
    )
