"""Member emails: recorded once, each sent by its own task, retried over hours when sending fails.

`queue` writes a `Notification` row under its unique key inside the caller's transaction, and the
task that sends it (`send_email`) in the same transaction (core.tasks): a change
that rolls back leaves neither. A second call with the same key (a second run of a job, or a
concurrent one) finds the key and sends nothing. `deliver`, which the task calls, claims the row
with a conditional UPDATE before sending, so a row is sent by one worker only, and never again once
sent. A failed attempt is tried again after the next wait of settings.EMAIL_RETRY_MINUTES (1
minute, then 5, 15, 30, … 12 hours: ten attempts over about 28 hours), by a task queued to run
then; `retry_unsent` (hourly, in `run_lifecycle`) picks up what no task holds: rows whose process
stopped before sending, whose process died while sending (left "sending" for longer than
STALE_SENDING), and, with tasks run in process, the waits that are over.

A worker keeps its SMTP connection open from one email to the next (`_smtp_connection`), and all
workers together keep to settings.EMAIL_RATE_PER_SECOND (`_wait_for_sending_slot`).

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
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from core import site, tasks

from .models import Credential, Notification, User

logger = logging.getLogger(__name__)


def retry_waits() -> tuple[dt.timedelta, ...]:
    """The waits between attempts at an email (settings.EMAIL_RETRY_MINUTES), shortest first."""
    raw = str(getattr(settings, "EMAIL_RETRY_MINUTES", "1,5,15,30,60,120,240,480,720"))
    try:
        minutes = [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        minutes = []
    if not minutes or any(m < 1 for m in minutes):
        raise ImproperlyConfigured(
            "EMAIL_RETRY_MINUTES must list whole numbers of minutes, each at least 1."
        )
    return tuple(dt.timedelta(minutes=m) for m in minutes)


def max_attempts() -> int:
    return len(retry_waits()) + 1


# A pending row older than this was never sent (the process stopped after commit): send it.
STALE_PENDING = dt.timedelta(minutes=30)
# A row still "sending" this long after it was claimed belongs to a process that died: far longer
# than a send takes (the SMTP connection gives up after EMAIL_TIMEOUT, 20 s by default), so a row
# that is being sent right now is never claimed a second time.
STALE_SENDING = dt.timedelta(minutes=15)
# On the database queue, an email still waiting this long after its task was due has lost it (a
# worker died between taking the task and claiming the row): `retry_unsent` queues it again.
TASK_LOST_AFTER = dt.timedelta(hours=6)

# Emails about the account's address: sent whether or not the address is verified.
ACCOUNT_KINDS = frozenset(
    {
        Notification.Kind.EMAIL_VERIFY,
        Notification.Kind.EMAIL_CHANGE_CONFIRM,
        Notification.Kind.EMAIL_CHANGE_NOTICE,
        Notification.Kind.EMAIL_CHANGED,
    }
)


def _due(now: dt.datetime) -> Q:
    """Rows whose wait after a failed attempt is over (or that never failed)."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _abandoned(now: dt.datetime) -> Q:
    """Rows left "sending" by a process that died: claimed more than STALE_SENDING ago (or, for rows
    claimed before the claim time was recorded, created that long ago)."""
    cutoff = now - STALE_SENDING
    return Q(status=Notification.Status.SENDING) & (
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff)
    )


def _claimable(now: dt.datetime) -> Q:
    """Rows a process may claim for sending at `now`: waiting, failed with the wait over, or
    abandoned mid-send."""
    waiting = [Notification.Status.PENDING, Notification.Status.FAILED, Notification.Status.QUEUED]
    return (Q(status__in=waiting) & _due(now)) | _abandoned(now)


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
        _send_later([notification.pk])
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
    same few queries whatever its size. Held as `queue` would hold them; otherwise each is sent by
    its own task, queued with the rows. With tasks run in process, a batch larger than
    settings.EMAILS_SENT_AFTER_COMMIT is recorded "queued" for the next `retry_emails` run instead,
    so that a request never waits for hundreds of emails."""
    _check_kind(kind)
    keys = [m.key[:200] for m in messages]
    later = len(messages) > getattr(settings, "EMAILS_SENT_AFTER_COMMIT", 25) and tasks.in_process(
        send_email
    )
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
    _send_later([row.pk for row in rows if row.status == Notification.Status.PENDING])
    return rows


def release_held(member: User) -> int:
    """Send the notices held for `member` while the address was unverified, to the address as it
    is now (verified); called inside the transaction that verifies it, sent after commit."""
    held = Notification.objects.filter(member=member, status=Notification.Status.HELD)
    ids = list(held.order_by("created_at", "pk").values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        status=Notification.Status.PENDING, to_email=member.email
    )
    _send_later(ids)
    return len(ids)


def _send_later(ids: Iterable[int], *, run_after: dt.datetime | None = None) -> None:
    """Queue the sending task of each row in the caller's transaction (core.tasks)."""
    ids = list(ids)
    if not ids:
        return
    if run_after is None:
        tasks.enqueue_many(send_email, ({"notification_id": pk} for pk in ids))
    else:
        for pk in ids:
            tasks.enqueue(send_email, run_after=run_after, notification_id=pk)


# One SMTP connection per worker thread, kept open from one email to the next.
_smtp = threading.local()


def _smtp_connection():
    """This thread's connection, opened again when the mail settings changed since."""
    wanted = (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        getattr(settings, "EMAIL_PORT", 0),
    )
    connection = getattr(_smtp, "connection", None)
    if connection is not None and getattr(_smtp, "settings", None) != wanted:
        _smtp_drop()
        connection = None
    if connection is None:
        connection = _smtp.connection = get_connection()
        _smtp.settings = wanted
    return connection


def _smtp_drop() -> None:
    connection = getattr(_smtp, "connection", None)
    _smtp.connection = None
    if connection is not None:
        try:
            connection.close()
        except Exception:  # the connection is being dropped because it failed
            logger.debug("closing a failed SMTP connection failed", exc_info=True)


def _wait_for_sending_slot() -> None:
    """Keep every worker together to settings.EMAIL_RATE_PER_SECOND: each email takes a place in
    the current second's count in the cache (shared through Redis), and waits for the next second
    when the count is full. Without the cache (Redis down) emails are not held back."""
    rate = getattr(settings, "EMAIL_RATE_PER_SECOND", 0)
    if not rate:
        return
    while True:
        second = int(time.time())
        key = f"email-rate:{second}"
        try:
            cache.add(key, 0, timeout=5)
            taken = cache.incr(key)
        except ValueError:
            continue  # the count expired between add and incr: take the next second's
        except Exception:
            logger.warning("the email rate could not be counted; sending without it")
            return
        if taken <= rate:
            return
        time.sleep(max(0.0, second + 1 - time.time()))


def _send(message: EmailMultiAlternatives) -> None:
    """Send on this worker's open connection; a connection the server closed while it waited is
    opened again once before the attempt counts as failed."""
    connection = _smtp_connection()
    reused = getattr(connection, "connection", None) is not None
    try:
        _send_on(connection, message)
    except Exception:
        _smtp_drop()
        if not reused:
            raise
        try:
            _send_on(_smtp_connection(), message)
        except Exception:
            _smtp_drop()
            raise


def _send_on(connection, message: EmailMultiAlternatives) -> None:
    # Opened here, not by send(): a connection send() opens is closed after the one message.
    connection.open()
    message.connection = connection
    message.send()


def deliver(*, notification_id: int) -> bool:
    """Send one recorded email if no other process has claimed it; True when it went out.

    The claim is one conditional UPDATE: of two processes claiming the same row, the second finds
    it "sending" since just now and claims nothing.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(
        _claimable(now), pk=notification_id, attempts__lt=max_attempts()
    ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    if not notification.to_email:
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED,
            error="The member has no email address.",
            attempts=max_attempts(),
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
        _wait_for_sending_slot()
        _send(message)
    except Exception as exc:
        logger.exception("could not send notification %s", notification_id)
        _failed(notification, str(exc))
        return False
    # Keep what was sent, for the sent-email log in the admin.
    Notification.objects.filter(pk=notification_id).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), error="", body_text=text,
        body_html=html, next_attempt_at=None,
    )  # fmt: skip
    return True


@tasks.task(queue_name=tasks.EMAIL_QUEUE)
def send_email(notification_id: int) -> bool:
    """The task of one email: `deliver` (nothing when it is sent already, being sent by another
    worker, or waiting for its next attempt)."""
    return deliver(notification_id=notification_id)


def _failed(notification: Notification, error: str) -> None:
    """Record a failed attempt and, with attempts left, queue the next one after its wait."""
    waits = retry_waits()
    attempt = notification.attempts  # this attempt, counted by the claim
    next_at = timezone.now() + waits[attempt - 1] if attempt <= len(waits) else None
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED, error=error[:2000], next_attempt_at=next_at
        )
        if next_at is not None:
            _send_later([notification.pk], run_after=next_at)


Attachment = tuple[str, bytes, str]


def content(notification: Notification) -> tuple[str, str, list[Attachment]]:
    """Text, HTML and attached files of a recorded email: as stored, or made now from the stored
    records by the function settings.NOTIFICATION_CONTENT names for its kind."""
    path = getattr(settings, "NOTIFICATION_CONTENT", {}).get(notification.kind)
    if not path:
        return notification.body_text, notification.body_html, []
    text, html, files = import_string(path)(notification)
    return text, html, list(files)


def _unheld(now: dt.datetime, *, in_process: bool) -> Q:
    """Rows waiting to be sent that no task will send: with tasks run in process, those failed
    whose wait is over, those queued for this run and pending rows whose process stopped before
    sending; on the database queue, whose tasks cannot be lost with a commit, only rows older
    than TASK_LOST_AFTER (a worker that died between taking the task and claiming the row) and
    rows failed before their next attempt was queued."""
    S = Notification.Status
    if in_process:
        return (Q(status__in=[S.FAILED, S.QUEUED]) & _due(now)) | Q(
            status=S.PENDING, created_at__lt=now - STALE_PENDING
        )
    lost = now - TASK_LOST_AFTER
    return (
        Q(status=S.QUEUED)
        | Q(status=S.FAILED, next_attempt_at__isnull=True)
        | Q(status=S.FAILED, next_attempt_at__lt=lost)
        | Q(status=S.PENDING, created_at__lt=lost)
    )


def retry_unsent(*, batch: int = 1000, without_waiting: bool = False) -> int:
    """Send, or queue the sending of, every email no task holds (`_unheld`) and every email whose
    sending process died (still "sending" after STALE_SENDING); how many were sent (in process)
    or queued. Streams the rows a thousand at a time, however many there are.

    `without_waiting` (an operator's `retry_emails --now` once the mail server is back): failed
    emails with attempts left go now, not after the wait that follows their last attempt; a task
    already queued for the later attempt then finds the email sent and does nothing.

    An abandoned row with no attempt left is marked failed, so that staff see it in the admin
    (and can send it again) instead of a row "sending" for ever.
    """
    now = timezone.now()
    limit = max_attempts()
    if without_waiting:
        Notification.objects.filter(
            status=Notification.Status.FAILED, attempts__lt=limit, next_attempt_at__isnull=False
        ).update(next_attempt_at=None)
    Notification.objects.filter(_abandoned(now), attempts__gte=limit).update(
        status=Notification.Status.FAILED,
        error="Sending stopped before it finished (the sending process ended); no attempt left.",
    )
    in_process = tasks.in_process(send_email)
    wanted = Notification.objects.filter(
        _unheld(now, in_process=in_process) | _abandoned(now), attempts__lt=limit
    )
    done, after = 0, 0
    while True:
        ids = list(wanted.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        after = ids[-1]
        if in_process:
            done += sum(1 for pk in ids if deliver(notification_id=pk))
        else:
            with transaction.atomic():
                _send_later(ids)
            done += len(ids)


def send_again(ids: Iterable[int]) -> int:
    """Staff's "send again" of failed emails: one more attempt each, now, whatever the attempts
    before; how many were queued."""
    with transaction.atomic():
        failed = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(ids), status=Notification.Status.FAILED)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=failed).update(
            attempts=max_attempts() - 1, next_attempt_at=None
        )
        _send_later(failed)
    return len(failed)


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
