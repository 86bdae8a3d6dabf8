"""Corrections staff make on a member's behalf, each with a permission and a reason, audited.

- Entries: added or corrected through the same services members use (`recertification.services.
  entry_create` / `entry_update`), so the rules score and refuse them exactly as they would the
  member's own; the history names the staff member and the reason.
- Points: an adjustment of a report's counted points (`PointsAdjustment`) with the reason the
  member reads on the portal; the scorer adds it to the rules engine's total in one place
  (`recertification.selectors.ScoredReport.total`). A report already submitted has its counted
  points moved by the same amount.
- Contact details: a reviewer corrects a member's postal address (saved, audited) and email (the
  member's own email-change service: the new address gets the confirmation link and changes once
  it is opened; the old address is told).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.audit import log_action
from members.models import Credential, User
from members.verification import email_change_request
from recertification.models import Entry, PointsAdjustment, Report
from recertification.services import entry_create, entry_update

from .common import lock_report, required_reason

PERMISSION = "recertification.correct_for_member"
ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")


def can_correct(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def _require(actor) -> None:
    if not can_correct(actor):
        raise PermissionDenied("Correcting a member's records needs the corrections permission.")


def _on_behalf(service, *, actor, reason: str, what: str, **arguments) -> Entry:
    """`service` (the member's own entry service) run by staff, with the permission and a reason."""
    _require(actor)
    return service(actor=actor, reason=required_reason(reason, what), **arguments)


def entry_add_for_member(
    *,
    member: User,
    program_code: str,
    values: dict,
    details: dict,
    credentials: list[Credential],
    actor,
    reason: str,
    files: list | None = None,
    repeat_of: int | None = None,
) -> Entry:
    """Add an entry for the member, scored and checked as the member's own would be."""
    return _on_behalf(
        entry_create,
        actor=actor,
        reason=reason,
        what="adding the entry on the member's behalf",
        member=member,
        program_code=program_code,
        values=values,
        details=details,
        credentials=credentials,
        files=files,
        repeat_of=repeat_of,
    )


def entry_correct_for_member(
    *,
    entry: Entry,
    values: dict,
    details: dict,
    actor,
    reason: str,
    credentials: list[Credential] | None = None,
    repeat_of: int | None = None,
) -> Entry:
    """Correct one of the member's entries (of a report still open), as the member could."""
    return _on_behalf(
        entry_update,
        actor=actor,
        reason=reason,
        what="correcting the entry",
        entry=entry,
        values=values,
        details=details,
        credentials=credentials,
        repeat_of=repeat_of,
    )


@transaction.atomic
def points_adjust(*, report: Report, points, actor, reason: str) -> PointsAdjustment:
    """Add (or, negative, take away) counted points on a report, with the reason the member sees."""
    _require(actor)
    reason = required_reason(reason, "adjusting the points")
    try:
        points = Decimal(str(points)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"points": "Enter the points to add or take away."}) from None
    if points == 0:
        raise ValidationError({"points": "Enter the points to add (or, negative, take away)."})
    report = lock_report(report)
    before = {
        "points_adjustment": report.points_adjustment,
        "points_counted": report.points_counted,
    }
    adjustment = PointsAdjustment.objects.create(
        report=report, points=points, reason=reason, made_by=actor
    )
    # Report.points_adjustment is a cache of the sum of the report's PointsAdjustment rows (so
    # scoring a report costs no extra query). This is its only writer, and it writes it under the
    # report's row lock, so two adjustments at once cannot lose one.
    report.points_adjustment += points
    fields = ["points_adjustment", "updated_at"]
    if not report.is_editable and report.points_counted is not None:
        # Counted at submission from the scorer's total: move it by the same amount.
        report.points_counted = max(report.points_counted + points, Decimal(0))
        fields.append("points_counted")
    report.save(update_fields=fields)
    log_action(
        report,
        "points adjusted",
        actor=actor,
        member=report.member,
        reason=reason,
        before=before,
        after={
            "points_adjustment": report.points_adjustment,
            "points_counted": report.points_counted,
            "change": points,
        },
    )
    return adjustment


@transaction.atomic
def contact_correct(*, member: User, actor, reason: str, email: str | None = None, **address):
    """Correct the member's postal address and (through the email-change service) email."""
    _require(actor)
    reason = required_reason(reason, "correcting the contact details")
    member = User.objects.select_for_update().get(pk=member.pk)
    changed = {f: v.strip() for f, v in address.items() if f in ADDRESS_FIELDS and v is not None}
    changed = {f: v for f, v in changed.items() if getattr(member, f) != v}
    if changed:
        before = {f: getattr(member, f) for f in changed}
        for field, value in changed.items():
            setattr(member, field, value)
        member.save(update_fields=list(changed))
        log_action(
            member, "address corrected", actor=actor, member=member, reason=reason,
            before=before, after=changed,
        )  # fmt: skip
    email = (email or "").strip()
    if email and email.lower() != member.email.lower():
        if User.objects.filter(email__iexact=email).exclude(pk=member.pk).exists():
            raise ValidationError({"email": "Another account uses this email address."})
        email_change_request(user=member, new_email=email)
        log_action(
            member, "email change requested by staff", actor=actor, member=member, reason=reason,
            before={"email": member.email}, after={"pending_email": email},
        )  # fmt: skip
    return member
