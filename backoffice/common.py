"""The small pieces every staff state change shares: the reason it must give, and the row lock.

Staff decisions (review, audits, paper) are keyword-only and one transaction each; they lock the
report first with `lock_report` (then its credentials), and a decision that affects the member
takes its reason through `required_reason`, so the AuditLog row it leaves says why.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from recertification.models import Report


def required_reason(reason: str, what: str) -> str:
    """The reason, stripped; a ValidationError on the reason field when it is blank."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Give the reason for {what}; it is kept in the history."})
    return reason


def lock_report(report: Report) -> Report:
    """The report read again under select_for_update (its own row only), with its member."""
    return Report.objects.select_for_update(of=("self",)).select_related("member").get(pk=report.pk)
