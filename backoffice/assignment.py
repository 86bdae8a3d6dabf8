"""Who works on a report: staff assign it to a reviewer (or to nobody), with an audit record.

Keyword-only, one transaction, the report's row locked; assigning the same person again is a
no-op. Only active staff accounts can be given reports.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from core.audit import log_action
from recertification.models import Report

from .common import lock_report


def assignable_staff() -> QuerySet:
    """The accounts a report can be given to: active staff, by name."""
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


def _name(user) -> str | None:
    return user.username if user is not None else None


@transaction.atomic
def report_assign(*, report: Report, assignee, actor, reason: str = "") -> Report:
    """Give the report to `assignee` (None: to nobody) and log who did it and why."""
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise ValidationError("Reports can be assigned to active staff accounts only.")
    report = lock_report(report)
    if report.assigned_to_id == (assignee.pk if assignee is not None else None):
        return report
    before = {"assigned_to": _name(report.assigned_to)}
    report.assigned_to = assignee
    report.save(update_fields=["assigned_to", "updated_at"])
    log_action(
        report,
        "assigned" if assignee is not None else "unassigned",
        actor=actor,
        member=report.member,
        reason=(reason or "").strip(),
        before=before,
        after={"assigned_to": _name(assignee)},
    )
    return report
