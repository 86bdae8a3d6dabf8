"""The staff dashboard: the figures staff watch, each linked to the admin list that shows it.

Reports by program and status, how long the review queue has waited against the turnaround
staff promise, the audit share achieved this year against the target, renewals and lapses per
month (from the audit log, where each one is recorded with its time), revenue and unpaid
invoices by age, and the credentials in good standing. Five aggregate queries in all, whatever
the number of programs or rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.models import AuditLog
from members.models import Credential
from payments.models import Invoice
from recertification import rules
from recertification.audits import DEFAULT_AUDIT_RATE
from recertification.models import ProgramSettings, Report

from ..review import QUEUE_STATUSES
from .queue import overdue_condition, turnarounds

S = Report.Status
RENEWED = ("renewed", "reinstated")  # the credential's audit records (backoffice.review)
LAPSED = ("lapsed",)  # lifecycle.lapse
MONTHS = 12
AGE_BUCKETS = [("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None)]


@dataclass(frozen=True)
class Figure:
    key: str
    text: str
    url: str = ""


def _link(name: str, **params: Any) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def _reports(**params: Any) -> str:
    return _link("admin:recertification_report_changelist", **params)


def _months(today: dt.date) -> list[dt.date]:
    """The first day of this month and of the eleven before it, oldest first."""
    firsts = [today.replace(day=1)]
    for _ in range(MONTHS - 1):
        firsts.append((firsts[-1] - dt.timedelta(days=1)).replace(day=1))
    return firsts[::-1]


def _next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day))


def _percent(part: int, whole: int) -> str:
    return f"{Decimal(part * 100) / whole:.1f}%" if whole else "–"


def report_figures(now: dt.datetime, year_start: dt.datetime) -> dict[str, Any]:
    """Reports by program and status, the queue's wait, the audit share: two queries."""
    programs = rules.programs()
    found = {s.program: s for s in ProgramSettings.objects.all()}
    days = turnarounds(found)
    this_year = Q(submitted_at__gte=year_start, is_paper=False)
    rows = (
        Report.objects.order_by()
        .values("program", "status")
        .annotate(
            n=Count("id"),
            oldest=Min("submitted_at", filter=Q(status__in=QUEUE_STATUSES)),
            overdue=Count("id", filter=overdue_condition(now, days)),
            submitted=Count("id", filter=this_year),
            audited=Count("id", filter=this_year & Q(selected_for_audit=True)),
        )
    )
    counts: dict[tuple[str, str], int] = {}
    per_program = {
        p.code: {"waiting": 0, "overdue": 0, "oldest": None, "submitted": 0, "audited": 0}
        for p in programs
    }
    for row in rows:
        counts[row["program"], row["status"]] = row["n"]
        totals = per_program.get(row["program"])
        if totals is None:
            continue  # a program the portal no longer knows: its records need attention
        if row["status"] in QUEUE_STATUSES:
            totals["waiting"] += row["n"]
        totals["overdue"] += row["overdue"]
        totals["submitted"] += row["submitted"]
        totals["audited"] += row["audited"]
        if row["oldest"] and (totals["oldest"] is None or row["oldest"] < totals["oldest"]):
            totals["oldest"] = row["oldest"]
    by_status = [
        {
            "program": p,
            "cells": [
                Figure(
                    f"status:{p.code}:{status}",
                    str(counts.get((p.code, status), 0)),
                    _reports(status=status, program__exact=p.code),
                )
                for status in S.values
            ],
        }
        for p in programs
    ]
    waiting = []
    audits = []
    for p in programs:
        totals = per_program[p.code]
        oldest = totals["oldest"]
        waiting.append(
            {
                "program": p,
                "turnaround": days[p.code],
                "waiting": Figure(
                    f"waiting:{p.code}", str(totals["waiting"]), _reports(program__exact=p.code)
                ),
                "overdue": Figure(
                    f"overdue:{p.code}",
                    str(totals["overdue"]),
                    _reports(program__exact=p.code, waiting="overdue"),
                ),
                "oldest_days": (now - oldest).days if oldest else None,
            }
        )
        target = found[p.code].audit_rate if p.code in found else DEFAULT_AUDIT_RATE
        audits.append(
            {
                "program": p,
                "figure": Figure(
                    f"audit:{p.code}",
                    f"{totals['audited']} of {totals['submitted']} "
                    f"({_percent(totals['audited'], totals['submitted'])})",
                    _reports(
                        status="all",
                        program__exact=p.code,
                        selected_for_audit__exact=1,
                        is_paper__exact=0,
                        submitted_at__gte=str(year_start),
                    ),
                ),
                "target": f"{target * 100:.1f}%",
                "below": totals["submitted"] > 0
                and Decimal(totals["audited"]) < target * totals["submitted"],
            }
        )
    return {"statuses": S.choices, "by_status": by_status, "waiting": waiting, "audits": audits}


def credential_months(today: dt.date) -> list[dict[str, Any]]:
    """Renewals (and reinstatements) and lapses per month, last twelve months: one query."""
    firsts = _months(today)
    counts: dict[tuple[str, str], int] = {}
    rows = (
        AuditLog.objects.filter(
            object_type=Credential._meta.label_lower,
            action__in=[*RENEWED, *LAPSED],
            at__gte=_aware(firsts[0]),
        )
        .annotate(month=TruncMonth("at"))
        .order_by()
        .values("month", "action")
        .annotate(n=Count("id"))
    )
    for row in rows:
        month = (
            timezone.localtime(row["month"]) if timezone.is_aware(row["month"]) else row["month"]
        )
        key = f"{month:%Y-%m}"
        kind = "renewed" if row["action"] in RENEWED else "lapsed"
        counts[key, kind] = counts.get((key, kind), 0) + row["n"]

    def figure(kind: str, actions: tuple[str, ...], key: str, span: dict[str, str]) -> Figure:
        return Figure(
            f"{kind}:{key}",
            str(counts.get((key, kind), 0)),
            _link(
                "admin:core_auditlog_changelist",
                object_type=Credential._meta.label_lower,
                action__in=",".join(actions),
                **span,
            ),
        )

    months = []
    for first in firsts:
        key = f"{first:%Y-%m}"
        span = {"at__gte": str(_aware(first)), "at__lt": str(_aware(_next_month(first)))}
        months.append(
            {
                "month": first,
                "renewed": figure("renewed", RENEWED, key, span),
                "lapsed": figure("lapsed", LAPSED, key, span),
            }
        )
    return months


def _money(value: Decimal | None) -> str:
    return f"{value or Decimal('0'):,.2f}"


def invoice_figures(today: dt.date, year_start: dt.datetime) -> list[dict[str, Any]]:
    """Revenue this year and unpaid invoices by age, per currency: one query."""
    billed = ~Q(kind=Invoice.Kind.CORRECTION)
    paid = billed & Q(status=Invoice.Status.PAID, paid_at__gte=year_start)
    aggregates: dict[str, Any] = {
        "paid_n": Count("id", filter=paid),
        "paid_sum": Sum("total", filter=paid),
    }
    links: dict[str, dict[str, str]] = {}  # each bucket's bounds for the invoice list's filter
    for key, low, high in AGE_BUCKETS:
        newest = today - dt.timedelta(days=low)
        condition = billed & Q(status=Invoice.Status.OPEN, issued_on__lte=newest)
        # The list's own date filter takes "from" (>=) and "before" (<) bounds.
        links[key] = {"issued_on__lt": (newest + dt.timedelta(days=1)).isoformat()}
        if high is not None:
            oldest = today - dt.timedelta(days=high)
            condition &= Q(issued_on__gte=oldest)
            links[key]["issued_on__gte"] = oldest.isoformat()
        aggregates[f"{key}_n"] = Count("id", filter=condition)
        aggregates[f"{key}_sum"] = Sum("total", filter=condition)
    rows = Invoice.objects.order_by().values("currency").annotate(**aggregates)
    invoices = "admin:payments_invoice_changelist"
    return [
        {
            "currency": row["currency"],
            "paid": Figure(
                f"paid:{row['currency']}",
                _money(row["paid_sum"]),
                _link(
                    invoices,
                    status__exact="paid",
                    currency__exact=row["currency"],
                    paid_at__gte=str(year_start),
                ),
            ),
            "paid_count": row["paid_n"],
            "buckets": [
                Figure(
                    f"unpaid:{key}:{row['currency']}",
                    f"{row[f'{key}_n']} · {_money(row[f'{key}_sum'])}",
                    _link(
                        invoices,
                        status__exact="open",
                        currency__exact=row["currency"],
                        **links[key],
                    ),
                )
                for key, _, _ in AGE_BUCKETS
            ],
        }
        for row in sorted(rows, key=lambda r: r["currency"])
    ]


def good_standing() -> Figure:
    """Credentials in good standing (new or renewed, not lapsed): one query."""
    statuses = [str(s) for s in Credential.OPEN_STATUSES]
    count = Credential.all_objects.filter(status__in=statuses).count()
    return Figure(
        "good-standing",
        str(count),
        _link("admin:members_credential_changelist", status__in=",".join(statuses)),
    )


def dashboard_context(user) -> dict[str, Any]:
    now = timezone.now()
    today = timezone.localdate()
    year_start = _aware(dt.date(today.year, 1, 1))
    context: dict[str, Any] = {"year": today.year, **report_figures(now, year_start)}
    if user.has_perm("core.view_auditlog"):
        context["months"] = credential_months(today)
    if user.has_perm("payments.view_payment"):
        context["ages"] = [key for key, _, _ in AGE_BUCKETS]
        context["invoices"] = invoice_figures(today, year_start)
    if user.has_perm("members.view_credential"):
        context["good_standing"] = good_standing()
    return context


def dashboard_urls(model_admin) -> list:
    def dashboard_view(request: HttpRequest) -> HttpResponse:
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/dashboard.html",
            {
                **model_admin.admin_site.each_context(request),
                "opts": Report._meta,
                "title": "Dashboard",
                **dashboard_context(request.user),
            },
        )

    return [
        path(
            "dashboard/",
            model_admin.admin_site.admin_view(dashboard_view),
            name="backoffice_dashboard",
        )
    ]
