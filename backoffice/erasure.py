"""Erasing a person's personal data on their request, keeping what the law requires.

Erased: the name, contact details, username and sign-in of the account, the free text of their
entries (titles, descriptions, providers; not the fields their points are counted by) and every file they uploaded, the scans of their paper
reports, the bodies and addresses of the emails sent to them, their two-step sign-in devices and
claim requests, the name and email CE providers reported for them (a pending credit is declined); their certificates are revoked and no longer name them.

Kept: the member number (issued invoices and payments refer to it), the invoices and payments as
issued (the billing name and address on an issued invoice stay, as tax law requires), the points
records without their free text, the credentials' dates and status, and the audit trail, which
gains a record of the erasure with the staff member and the reason.

One transaction, the account row locked; the files are deleted from storage after commit, so that
a failure leaves everything as it was.
"""

from __future__ import annotations

import logging
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import log_action
from lifecycle.models import Certificate
from members.models import ClaimRequest, Notification, User
from providers.models import Completion
from recertification.models import Entry, EntryFile, Report

ERASED = "Erased"

logger = logging.getLogger(__name__)


def _delete_files(storage_names: list[tuple]) -> None:
    for storage, name in storage_names:
        try:
            storage.delete(name)
        except Exception:  # a file already gone, or storage down: the rows are gone already
            logger.exception("erasure: file %s could not be deleted; delete it by hand", name)


@transaction.atomic
def personal_data_erase(*, member: User, actor, reason: str) -> User:
    """Erase `member`'s personal data (see the module docstring); ValidationError for a staff
    account or without a reason."""
    if not reason.strip():
        raise ValidationError("Give the reason (for example the date and channel of the request).")
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.is_staff:
        raise ValidationError("Staff accounts are closed by an administrator, not erased here.")
    files: list[tuple] = []
    uploads = EntryFile.objects.filter(entry__member=member)
    files += [(u.file.storage, u.file.name) for u in uploads if u.file]
    uploads.delete()
    # The free text goes; the scoring fields (kind, dates, quantity, the organization or event a
    # cap counts by) stay, so that reports already scored keep their totals.
    Entry.objects.filter(member=member).update(details={})
    for report in Report.objects.filter(member=member).exclude(scanned_report=""):
        files.append((report.scanned_report.storage, report.scanned_report.name))
    Report.objects.filter(member=member).exclude(scanned_report="").update(
        scanned_report="", scanned_report_name=""
    )
    Notification.objects.filter(member=member).update(
        to_email="erased@erased.invalid", body_text="", body_html=""
    )
    Certificate.objects.filter(credential__holder=member, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason="Personal data erased at the holder's request"
    )
    Certificate.objects.filter(credential__holder=member).update(holder_name=ERASED)
    # What CE providers reported of the person: the name and email they typed (the completion and
    # the member number stay, so the provider's record and an accepted entry stay explained).
    Completion.objects.filter(member=member).update(last_name=ERASED, email="")
    Completion.objects.filter(member=member, status=Completion.Status.PENDING).update(
        status=Completion.Status.DECLINED,
        decline_reason="Personal data erased",
        decided_at=timezone.now(),
    )
    ClaimRequest.objects.filter(member=member).delete()
    TOTPDevice.objects.filter(user=member).delete()
    StaticDevice.objects.filter(user=member).delete()
    erased_fields = ["first_name", "last_name", "email", "username", "organization", "phone",
                     "street", "city", "state", "postal_code", "country", "pending_email"]  # fmt: skip
    member.first_name, member.last_name = ERASED, f"member {member.member_number}"
    member.username = f"erased-{member.pk}"
    member.email = f"erased-{member.pk}@erased.invalid"
    for name in ("organization", "phone", "street", "city", "state", "postal_code", "country",
                 "pending_email"):  # fmt: skip
        setattr(member, name, "")
    member.is_active = False
    member.email_verified_at = None
    member.set_unusable_password()
    member.save()
    log_action(
        member,
        "personal data erased",
        actor=actor,
        member=member,
        reason=reason,
        after={
            "erased": erased_fields
            + ["entry texts and files", "email bodies", "names and emails providers reported"]
        },
    )
    transaction.on_commit(partial(_delete_files, files))
    return member
