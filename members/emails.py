"""Member emails: recorded once, sent after commit, retried when sending fails.

`queue` writes a `Notification` row under its unique key inside the caller's transaction and
sends it when that transaction commits; a second call with the same key (a second run of a job,
or a concurrent one) finds the key and sends nothing. `deliver` claims a row with a conditional
UPDATE before sending, so a row is sent by one process only; `retry_unsent` picks up rows whose
sending failed, whose process stopped before sending, or whose process died while sending (a row
left "sending" for longer than STALE_SENDING).

Lifecycle emails are rendered from templates/emails/<kind>*; staff decisions pass their own
rendered `message`. A kind listed in settings.NOTIFICATION_CONTENT (the payment receipt) is
recorded with its subject only and made when it is sent, body and attached files, by the
function named there: the payment's transaction then holds its row locks for one INSERT, not for
template and PDF rendering, and a retry makes the same email again. An SMTP failure never reaches
the caller: the change that sent the email has committed already, and the row waits for
`retry_emails`.

A member whose address is not verified yet (self sign-up, until the link is opened) gets no
notice: `queue` records it "held", and `release_held` sends what waited once the address is
verified. The emails about the address itself (ACCOUNT_KINDS: the verification link, an email
change's link and the notices to the old address) are never held; nor are the password-reset and
find-my-account emails, which are sent by members.views, not through this outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from core import site

from .models import Credential, Notification, User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A pending row older than this was never sent (the process stopped after commit): send it.
STALE_PENDING = dt.timedelta(minutes=30)
# A row still "sending" this long after it was claimed belongs to a process that died: far longer
# than a send takes (the SMTP connection gives up after EMAIL_TIMEOUT, 20 s by default), so a row
# that is being sent right now is never claimed a second time.
STALE_SENDING = dt.timedelta(minutes=15)

# Emails about the account's address: sent whether or not the address is verified.
ACCOUNT_KINDS = frozenset(
    {
        Notification.Kind.EMAIL_VERIFY,
        Notification.Kind.EMAIL_CHANGE_CONFIRM,
        Notification.Kind.EMAIL_CHANGE_NOTICE,
        Notification.Kind.EMAIL_CHANGED,
    }
)


def _abandoned(now: dt.datetime) -> Q:
    """Rows left "sending" by a process that died: claimed more than STALE_SENDING ago (or, for rows
    claimed before the claim time was recorded, created that long ago)."""
    cutoff = now - STALE_SENDING
    return Q(status=Notification.Status.SENDING) & (
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff)
    )


def _claimable(now: dt.datetime) -> Q:
    """Rows a process may claim for sending at `now`: waiting, failed, or abandoned mid-send."""
    waiting = [Notification.Status.PENDING, Notification.Status.FAILED, Notification.Status.QUEUED]
    return Q(status__in=waiting) | _abandoned(now)


def site_url(name: str, *args: Any) -> str:
    """An absolute address of a named page, or the site root if the page is not installed.

    On the portal's address (`core.site`): the request's host in development, else SITE_URL.
    """
    base = site.site_url()
    try:
        return base + reverse(name, args=args)
    except NoReverseMatch:
        return base + "/"


def base_context(member: User, shared: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every email's template reads; `shared` (from `shared_context`) when one batch emails
    many members, so the site's addresses are worked out once."""
    return {"member": member, "name": member.display_name} | (shared or shared_context())


def shared_context() -> dict[str, Any]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": site.site_url(),
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "portal_url": site_url("recertification:portal"),
        "transactions_url": site_url("payments:transactions"),
        "certificates_url": site_url("lifecycle:certificates"),
    }


def render_subject(kind: str, context: dict[str, Any]) -> str:
    subject = render_to_string(f"emails/{kind}_subject.txt", context)
    return " ".join(subject.split())[:300]


def render(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an email from templates/emails/<kind>*."""
    subject = render_subject(kind, context)
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", context)
    return subject, text, html


def already_sent(key: str) -> bool:
    return Notification.objects.filter(key=key).exists()


def _check_kind(kind: str) -> None:
    if kind not in Notification.Kind.values:
        # The admin's sent-email log names and filters rows by kind: a new kind goes into
        # Notification.Kind (and its migration) first.
        raise ValueError(f"{kind!r} is not a Notification.Kind")


def _status(kind: str, member: User, *, later: bool = False) -> str:
    """Held for a member whose address is not verified (but the account's own emails); else
    pending (sent after commit), or queued for the next email run (`later`)."""
    if kind not in ACCOUNT_KINDS and member.email_verified_at is None:
        return Notification.Status.HELD
    return Notification.Status.QUEUED if later else Notification.Status.PENDING


def queue(
    *,
    key: str,
    kind: str,
    member: User,
    context: dict[str, Any],
    credential: Credential | None = None,
    invoice_ref: int | None = None,
    message: tuple[str, str, str] | None = None,
    to_email: str = "",
) -> Notification | None:
    """Record the email under `key` and send it after commit; None when the key is recorded already.

    `message` is (subject, text, html) already rendered; without it the email is rendered from
    templates/emails/<kind>* with `context`. A notice to a member whose address is not verified
    is recorded "held" and sent by `release_held` once it is.
    """
    _check_kind(kind)
    if already_sent(key):
        return None
    if message is None:
        subject, text, html = render(kind, base_context(member) | context)
    else:
        subject, text, html = message
        subject = " ".join(subject.split())[:300]
    status = _status(kind, member)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key[:200],
                kind=kind,
                member=member,
                credential=credential,
                invoice_ref=invoice_ref,
                to_email=to_email or member.email,
                subject=subject,
                body_text=text,
                body_html=html,
                status=status,
            )
    except IntegrityError:
        return None  # a concurrent run recorded it first; that run sends it
    if status == Notification.Status.PENDING:
        transaction.on_commit(partial(deliver, notification_id=notification.pk))
    return notification


@dataclass(frozen=True)
class Message:
    """One email of a batch (`queue_many`): its unique key, the member and the template context."""

    key: str
    member: User
    context: dict[str, Any]


def queue_many(*, kind: str, messages: list[Message]) -> list[Notification]:
    """`queue` for many members at once, rendered from templates/emails/<kind>*: the keys already
    recorded are read in one query and the new rows written in one INSERT, so a batch costs the
    same few queries whatever its size. Held as `queue` would hold them; otherwise a batch of up to
    settings.EMAILS_SENT_AFTER_COMMIT is sent after commit, and a larger one is recorded "queued"
    for the next `retry_emails` run, so that a request never waits for hundreds of emails."""
    _check_kind(kind)
    keys = [m.key[:200] for m in messages]
    later = len(messages) > getattr(settings, "EMAILS_SENT_AFTER_COMMIT", 25)
    made_when_sent = kind in getattr(settings, "NOTIFICATION_CONTENT", {})
    shared = shared_context()
    recorded = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    rows = []
    for key, message in zip(keys, messages, strict=True):
        if key in recorded:
            continue
        recorded.add(key)
        member = message.member
        context = base_context(member, shared) | message.context
        if made_when_sent:
            # The body is made when it is sent (settings.NOTIFICATION_CONTENT): only the subject
            # now, so a batch of thousands is not thousands of renderings in the request.
            subject, text, html = render_subject(kind, context), "", ""
        else:
            subject, text, html = render(kind, context)
        rows.append(
            Notification(
                key=key,
                kind=kind,
                member=member,
                to_email=member.email,
                subject=subject,
                body_text=text,
                body_html=html,
                status=_status(kind, member, later=later),
            )
        )
    if not rows:
        return []
    try:
        with transaction.atomic():
            Notification.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent run recorded some of them first: record the rest one by one.
        rows = [
            n
            for m in messages
            if (n := queue(key=m.key, kind=kind, member=m.member, context=m.context))
        ]
        return rows
    for row in rows:
        if row.status == Notification.Status.PENDING:
            transaction.on_commit(partial(deliver, notification_id=row.pk))
    return rows


def release_held(member: User) -> int:
    """Send the notices held for `member` while the address was unverified, to the address as it
    is now (verified); called inside the transaction that verifies it, sent after commit."""
    held = Notification.objects.filter(member=member, status=Notification.Status.HELD)
    ids = list(held.order_by("created_at", "pk").values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        status=Notification.Status.PENDING, to_email=member.email
    )
    for pk in ids:
        transaction.on_commit(partial(deliver, notification_id=pk))
    return len(ids)


def deliver(*, notification_id: int) -> bool:
    """Send one recorded email if no other process has claimed it; True when it went out.

    The claim is one conditional UPDATE: of two processes claiming the same row, the second finds
    it "sending" since just now and claims nothing.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(
        _claimable(now), pk=notification_id, attempts__lt=MAX_ATTEMPTS
    ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    if not notification.to_email:
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED, error="The member has no email address."
        )
        return False
    try:
        text, html, files = content(notification)
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.to_email],
            reply_to=[settings.SUPPORT_EMAIL],
        )
        if html:
            message.attach_alternative(html, "text/html")
        for filename, data, mimetype in files:
            message.attach(filename, data, mimetype)
        message.send()
    except Exception as exc:
        logger.exception("could not send notification %s", notification_id)
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED, error=str(exc)[:2000]
        )
        return False
    # Keep what was sent, for the sent-email log in the admin.
    Notification.objects.filter(pk=notification_id).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), error="", body_text=text,
        body_html=html,
    )  # fmt: skip
    return True


Attachment = tuple[str, bytes, str]


def content(notification: Notification) -> tuple[str, str, list[Attachment]]:
    """Text, HTML and attached files of a recorded email: as stored, or made now from the stored
    records by the function settings.NOTIFICATION_CONTENT names for its kind."""
    path = getattr(settings, "NOTIFICATION_CONTENT", {}).get(notification.kind)
    if not path:
        return notification.body_text, notification.body_html, []
    text, html, files = import_string(path)(notification)
    return text, html, list(files)


def retry_unsent() -> int:
    """Send failed rows (up to MAX_ATTEMPTS), pending rows left behind by a stopped process, and
    rows whose sending process died (still "sending" after STALE_SENDING).

    An abandoned row with no attempt left is marked failed, so that staff see it in the admin
    (and can send it again) instead of a row "sending" for ever.
    """
    now = timezone.now()
    Notification.objects.filter(_abandoned(now), attempts__gte=MAX_ATTEMPTS).update(
        status=Notification.Status.FAILED,
        error="Sending stopped before it finished (the sending process ended); no attempt left.",
    )
    ids = list(
        Notification.objects.filter(
            Q(status__in=[Notification.Status.FAILED, Notification.Status.QUEUED])
            | Q(status=Notification.Status.PENDING, created_at__lt=now - STALE_PENDING)
            | _abandoned(now),
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    return sum(1 for pk in ids if deliver(notification_id=pk))


def account_email(*, to: str, subject: str, template: str, context: dict[str, Any]) -> bool:
    """An email about the account itself (a sign-in link, a username reminder, a notice to the
    owner of an address): sent at once, never held for a verified address, never recorded in the
    outbox; a failure is logged and not raised, so that the page answers the same either way.
    The template is rendered with SITE_NAME, SUPPORT_EMAIL and site_url besides `context`."""
    body = render_to_string(
        template,
        {"SITE_NAME": settings.SITE_NAME, "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
         "site_url": site.site_url()} | context,
    )  # fmt: skip
    try:
        send_mail(subject.format(site=settings.SITE_NAME), body, None, [to])
    except Exception:
        logger.exception("could not send the account email %s", template)
        return False
    return True
