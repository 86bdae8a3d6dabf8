"""Certificate issuance: one certificate per renewed credential cycle, with a random index in the
public status list, and whether a certificate is revoked. The documents made of a certificate
(PDF, Open Badge, status list) are in documents.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from urllib.parse import quote, urlencode

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.audit import log_action, signed_in
from core.tasks import in_batches
from members import emails
from members.models import Credential, Notification, readable_credentials
from recertification import rules
from recertification.models import Report, ReportCredential

from .deadlines import CLOSED_STATES, ONE_DAY, OPEN, RS
from .models import VERIFICATION_ALPHABET, VERIFICATION_CODE_LENGTH, Certificate
from .notices import credential_context

# Bits per W3C Bitstring Status List (the spec's minimum, so one list hides who is in it).
STATUS_LIST_SIZE = 131_072
# LinkedIn's add-to-profile address for a certification (its "Add to profile" button).
LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
# Certificates issued by the safety-net job only for approvals this recent.
CERTIFICATE_BACKFILL_DAYS = 30


def _status_index() -> int:
    """A random free index: random, not sequential, so an index says nothing about who or when."""
    lists = 1 + Certificate.objects.count() // (STATUS_LIST_SIZE // 2)
    for _ in range(50):
        index = secrets.randbelow(STATUS_LIST_SIZE * lists)
        if not Certificate.objects.filter(status_index=index).exists():
            return index
    raise RuntimeError("No free status list index found")  # pragma: no cover


def certificate_cycle(credential: Credential, report: Report | None) -> tuple[dt.date, dt.date]:
    """The cycle a certificate covers: the one after the approved report, else the current one."""
    if report is None:
        return credential.cycle_start, credential.cycle_end
    start = rules.next_cycle_start(report.cycle_end)
    if credential.cycle_start == start:
        return start, credential.cycle_end
    return start, rules.get_program(credential.program).cycle_end(start)


@transaction.atomic
def certificate_issue(
    *,
    credential: Credential,
    report: Report | None = None,
    actor=None,
    today: dt.date | None = None,
) -> Certificate:
    """The certificate of a renewed credential's cycle; idempotent (one per credential cycle).

    Call it after approval with the approved report (its next cycle is covered); without a
    report it covers the credential's current cycle. Valid from the approval day (or the cycle
    start, if earlier) through the cycle end.
    """
    today = today or timezone.localdate()
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("holder")
        .get(pk=credential.pk)
    )
    start, end = certificate_cycle(credential, report)
    existing = Certificate.objects.filter(credential=credential, cycle_start=start).first()
    if existing is not None:
        return existing
    _check_issuable(credential, report)
    certificate = _certificate_create(
        credential=credential,
        report=report,
        cycle=(start, end),
        valid_from=min(today, start),
        actor=actor,
    )
    _certificate_announce(certificate, credential=credential, report=report, actor=actor)
    return certificate


def _check_issuable(credential: Credential, report: Report | None) -> None:
    """Raise ValidationError unless the credential is open and the report (if any) approved."""
    if credential.status not in OPEN:
        raise ValidationError(
            f"The {credential.designation} credential is "
            f"{credential.get_status_display().lower()}: no certificate can be issued."
        )
    if report is not None and report.status != RS.APPROVED:
        raise ValidationError("A certificate is issued for an approved report only.")


def holder_name(holder) -> str:
    """The name a certificate is issued in: the holder's full name as on the profile."""
    return holder.get_full_name() or holder.username


def certificate_name_use_current(*, certificate: Certificate, actor, reason: str) -> Certificate:
    """Staff confirm a holder's change of legal name onto a certificate: the PDF, the badge and
    /verify/ show the new name from now on; the old one stays in the audit trail."""
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("credential__holder")
            .get(pk=certificate.pk)
        )
        new = holder_name(certificate.credential.holder)
        if new == certificate.holder_name:
            return certificate
        before = {"holder_name": certificate.holder_name}
        certificate.holder_name = new
        certificate.save(update_fields=["holder_name"])
        log_action(
            certificate,
            "name on certificate changed",
            actor=actor,
            member=certificate.credential.holder,
            reason=reason,
            before=before,
            after={"holder_name": new},
        )
    return certificate


def certificate_holder_name(certificate: Certificate) -> str:
    """The name to print: the one stored at issue (certificates from before it was stored: the
    holder's current name)."""
    return certificate.holder_name or holder_name(certificate.credential.holder)


def _certificate_create(
    *,
    credential: Credential,
    report: Report | None,
    cycle: tuple[dt.date, dt.date],
    valid_from: dt.date,
    actor,
) -> Certificate:
    """The new certificate row, with a random code and status index."""
    start, end = cycle
    for attempt in range(5):
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    credential=credential,
                    report=report,
                    cycle_start=start,
                    valid_from=valid_from,
                    valid_through=end,
                    status_index=_status_index(),
                    issued_at=timezone.now(),
                    issued_by=signed_in(actor),
                    holder_name=holder_name(credential.holder),
                )
            break
        except IntegrityError:
            # A code or index taken at the same moment (the credential row is locked, so not
            # the cycle): draw again.
            if attempt == 4:
                raise
    return certificate


def _certificate_announce(
    certificate: Certificate, *, credential: Credential, report: Report | None, actor
) -> None:
    """Record the issue in the audit log and queue the email that brings the certificate."""
    log_action(
        certificate,
        "certificate_issued",
        actor=actor,
        member=credential.holder,
        after={
            "credential": credential.designation,
            "code": certificate.code,
            "valid_from": certificate.valid_from,
            "valid_through": certificate.valid_through,
            "report": report.pk if report else None,
        },
    )
    emails.queue(
        key=f"certificate:{certificate.pk}",
        kind=Notification.Kind.CERTIFICATE_ISSUED,
        member=credential.holder,
        credential=credential,
        context=credential_context([credential])
        | {
            "certificate": certificate,
            "verify_url": certificate_verify_url(certificate),
            "renewed": report is not None,
        },
    )


def shown_certificates() -> QuerySet[Certificate]:
    """Certificates a page may show (the member's page, their PDF and badge, /verify/): those of
    readable credentials. One whose credential record is damaged cannot be described; the member
    is told the record needs staff attention (members.context_processors)."""
    return Certificate.objects.filter(readable_credentials("credential__"))


def normalize_code(raw: str) -> str | None:
    """A verification code as typed or printed (spaces, hyphens, lower case) in its stored form;
    None when it cannot be one."""
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != VERIFICATION_CODE_LENGTH or any(c not in VERIFICATION_ALPHABET for c in code):
        return None
    return code


def certificate_verify_url(certificate: Certificate) -> str:
    return emails.site_url("verify:certificate", certificate.code)


def certificate_name(certificate: Certificate) -> str:
    """The certification's name as the badge gives it: "IPMA-SCP – Senior Certified Professional"."""
    credential = certificate.credential
    return f"{credential.designation} – {credential.designation_name}"


def certificate_linkedin_url(certificate: Certificate) -> str:
    """LinkedIn's add-to-profile address, filled in: the certification's name and issuing body,
    the issue and expiry month, the public verification address and the verification code. Every
    value is percent-encoded (an "&" or "'" in a name, or any non-ASCII letter, survives)."""
    program = rules.get_program(certificate.credential.program)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate_name(certificate),
        "organizationName": program.long_name or program.name,
        "issueYear": certificate.valid_from.year,
        "issueMonth": certificate.valid_from.month,
        "expirationYear": certificate.valid_through.year,
        "expirationMonth": certificate.valid_through.month,
        "certUrl": certificate_verify_url(certificate),
        "certId": certificate.display_code,
    }
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params, quote_via=quote, safe='')}"


def certificate_current(certificate: Certificate, *, today: dt.date) -> bool:
    """Neither revoked nor expired: the certificate a member may share."""
    return not certificate_revoked(certificate) and certificate.valid_through >= today


def certificate_revoked(certificate: Certificate) -> bool:
    """Revoked for good once its credential lapsed or terminated, or while it is not open."""
    return certificate.revoked_at is not None or certificate.credential.status in CLOSED_STATES


def certificates_due(*, today: dt.date) -> Iterator[int]:
    """Safety net: credentials renewed by a recent approval that have no certificate, by id."""
    has_certificate = Certificate.objects.filter(
        credential=OuterRef("pk"), cycle_start=OuterRef("cycle_start")
    )
    candidates = (
        Credential.objects.filter(
            status__in=OPEN,
            renewed_on__gte=today - dt.timedelta(days=CERTIFICATE_BACKFILL_DAYS),
        )
        .exclude(Exists(has_certificate))
        .only("pk", "cycle_start")
    )
    for batch in in_batches(candidates):
        # Only those an approval renewed (the task's own check): a credential renewed otherwise,
        # by reinstatement or by hand, would get a task that does nothing every hour.
        renewed_by = set(
            ReportCredential.objects.filter(
                credential__in=[c.pk for c in batch], report__status=RS.APPROVED
            ).values_list("credential_id", "report__cycle_end")
        )
        yield from (c.pk for c in batch if (c.pk, c.cycle_start - ONE_DAY) in renewed_by)


@transaction.atomic
def certificate_issue_if_due(*, credential_id: int, today: dt.date) -> bool:
    """Issue the certificate of a credential renewed by an approval when it has none; False when it
    has one, or is not open, or no approved report renewed it."""
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .filter(pk=credential_id, status__in=OPEN)
        .first()
    )
    if credential is None:
        return False
    if Certificate.objects.filter(
        credential=credential, cycle_start=credential.cycle_start
    ).exists():
        return False
    link = (
        ReportCredential.objects.filter(
            credential=credential,
            report__status=RS.APPROVED,
            report__cycle_end=credential.cycle_start - ONE_DAY,
        )
        .select_related("report")
        .first()
    )
    if link is None:
        return False
    certificate_issue(credential=credential, report=link.report, today=today)
    return True
