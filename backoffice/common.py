"""The small pieces every staff state change shares: the reason it must give, and the row lock.

Staff decisions (review, audits, paper) are keyword-only and one transaction each; they lock the
report first with `lock_report` (then its credentials), and a decision that affects the member
takes its reason through `required_reason`, so the AuditLog row it leaves says why.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

# The report read again under select_for_update (its own row only), with its member: the same
# lock the invoices take, so staff decisions and billing lock a report one way.
from payments.invoices import lock_report as lock_report


def required_reason(reason: str, what: str) -> str:
    """The reason, stripped; a ValidationError on the reason field when it is blank."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Give the reason for {what}; it is kept in the history."})
    return reason
