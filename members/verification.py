"""The account's email address: verified by a link before notices go to it, and changed only when
the link sent to the new address is opened.

Links are signed (django.core.signing, a salt per purpose), expire after LINK_MAX_AGE, and are
bound to the account and the address they were sent to; an email change's link is bound to the
request too (its time), so a newer request, a cancel or the change itself stops every earlier
link. Each function is keyword-only and one transaction; every change is in the audit log, and the
emails go through the outbox (members.emails), recorded in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import log_action

from . import emails
from .models import Notification, User

LINK_MAX_AGE = dt.timedelta(days=3)
VERIFY_SALT = "members.email-verify"
CHANGE_SALT = "members.email-change"


class LinkRefused(Exception):
    """A link that cannot be used; the message is safe to show to the member."""


class LinkInvalid(LinkRefused):
    pass


class LinkExpired(LinkRefused):
    pass


class LinkForAnotherAccount(LinkRefused):
    pass


class LinkUsed(LinkRefused):
    pass


class AddressTaken(LinkRefused):
    pass


MESSAGES = {
    LinkInvalid: "This link is not valid. Copy the whole link from the email, or ask for a new one.",
    LinkExpired: "This link has expired. Ask for a new one below.",
    LinkForAnotherAccount: "This link is for another account. Sign out, then sign in to the "
    "account the email was sent for and open the link again.",
}


def _refuse(kind: type[LinkRefused], message: str = "") -> LinkRefused:
    return kind(message or MESSAGES[kind])


def link_token(*, salt: str, user: User, **fields) -> str:
    """A signed token naming `user` (and `fields`) for an emailed link; one salt per purpose.

    Also the account set-up link of members.claim."""
    return signing.dumps({"u": user.pk, **fields}, salt=salt)


def read_link_token(token: str, *, salt: str) -> dict:
    """The payload of a token `link_token` made with this salt, at most LINK_MAX_AGE old;
    LinkExpired or LinkInvalid otherwise."""
    try:
        payload = signing.loads(token, salt=salt, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise _refuse(LinkExpired) from None
    except signing.BadSignature:
        raise _refuse(LinkInvalid) from None
    if not (isinstance(payload, dict) and isinstance(payload.get("u"), int)):
        raise _refuse(LinkInvalid)
    return payload


def _load(token: str, *, salt: str, user: User) -> dict:
    payload = read_link_token(token, salt=salt)
    if payload["u"] != user.pk:
        raise _refuse(LinkForAnotherAccount)
    return payload


def _key(kind: str, user: User) -> str:
    return f"{kind}:{user.pk}:{secrets.token_hex(8)}"


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


# --- verifying the address ---------------------------------------------------------------------


def verify_token(user: User) -> str:
    return link_token(salt=VERIFY_SALT, user=user, e=user.email.lower())


def verification_send(*, user: User) -> Notification | None:
    """Email the link that verifies the account's address."""
    return emails.queue(
        key=_key(Notification.Kind.EMAIL_VERIFY, user),
        kind=Notification.Kind.EMAIL_VERIFY,
        member=user,
        context={
            "link": emails.site_url("members:email_verify", verify_token(user)),
            "days": LINK_MAX_AGE.days,
        },
    )


@transaction.atomic
def email_verify(*, user: User, token: str) -> bool:
    """Mark the address verified and send the notices held for it; False when it already was."""
    payload = _load(token, salt=VERIFY_SALT, user=user)
    user = _lock(user)
    if payload.get("e") != user.email.lower():
        raise _refuse(
            LinkUsed,
            "This link was sent to an address your account no longer uses. "
            "Ask for a new one below.",
        )
    if user.email_verified_at is not None:
        return False
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    log_action(user, "email verified", actor=user, member=user, after={"email": user.email})
    emails.release_held(user)
    return True


# --- changing the address ----------------------------------------------------------------------


def _requested(user: User) -> int:
    return (
        int(user.pending_email_requested_at.timestamp()) if user.pending_email_requested_at else 0
    )


def change_token(user: User) -> str:
    return link_token(salt=CHANGE_SALT, user=user, e=user.pending_email.lower(), r=_requested(user))


def _send_change_link(user: User) -> None:
    emails.queue(
        key=_key(Notification.Kind.EMAIL_CHANGE_CONFIRM, user),
        kind=Notification.Kind.EMAIL_CHANGE_CONFIRM,
        member=user,
        to_email=user.pending_email,
        context={
            "new_email": user.pending_email,
            "link": emails.site_url("members:email_change_confirm", change_token(user)),
            "days": LINK_MAX_AGE.days,
        },
    )


@transaction.atomic
def email_change_request(*, user: User, new_email: str) -> User:
    """Keep `new_email` pending, send it the link that applies it, and tell the current address.

    The current address keeps receiving every email until the link is opened.
    """
    user = _lock(user)
    user.pending_email = new_email.strip()
    user.pending_email_requested_at = timezone.now()
    user.save(update_fields=["pending_email", "pending_email_requested_at"])
    log_action(
        user,
        "email change requested",
        actor=user,
        member=user,
        before={"email": user.email},
        after={"pending_email": user.pending_email},
    )
    _send_change_link(user)
    # The current address hears of it, with no link that completes the change: if the member did
    # not ask, they write to support (and change their password).
    emails.queue(
        key=_key(Notification.Kind.EMAIL_CHANGE_NOTICE, user),
        kind=Notification.Kind.EMAIL_CHANGE_NOTICE,
        member=user,
        to_email=user.email,
        context={"new_email": user.pending_email, "old_email": user.email},
    )
    return user


@transaction.atomic
def email_change_resend(*, user: User) -> bool:
    """Send the pending address its link again (the same request: earlier links keep working)."""
    user = _lock(user)
    if not user.pending_email:
        return False
    _send_change_link(user)
    return True


@transaction.atomic
def email_change_cancel(*, user: User) -> bool:
    user = _lock(user)
    if not user.pending_email:
        return False
    pending = user.pending_email
    user.pending_email = ""
    user.pending_email_requested_at = None
    user.save(update_fields=["pending_email", "pending_email_requested_at"])
    log_action(
        user, "email change cancelled", actor=user, member=user, before={"pending_email": pending}
    )
    return True


def email_change_confirm(*, user: User, token: str) -> str:
    """Apply the pending address the link was sent to; returns it.

    The address must still be free (case-insensitive) when the link is opened: if another account
    took it meanwhile, the request is dropped and AddressTaken says so.
    """
    payload = _load(token, salt=CHANGE_SALT, user=user)
    try:
        return _email_change_apply(user=user, payload=payload)
    except _Taken as taken:
        _drop_pending(user=user, address=taken.address)
        raise _refuse(
            AddressTaken,
            f"{taken.address} is now used by another account, so your email address was not "
            f"changed. Enter another address below, or write to {settings.SUPPORT_EMAIL}.",
        ) from None


class _Taken(Exception):
    def __init__(self, address: str):
        self.address = address


@transaction.atomic
def _email_change_apply(*, user: User, payload: dict) -> str:
    user = _lock(user)
    pending = user.pending_email
    if not pending or payload.get("e") != pending.lower() or payload.get("r") != _requested(user):
        raise _refuse(
            LinkUsed,
            "This link has been used already, or a newer request replaced it. Your email address "
            f"is {user.email}.",
        )
    if User.objects.filter(email__iexact=pending).exclude(pk=user.pk).exists():
        raise _Taken(pending)
    old = user.email
    user.email = pending
    user.pending_email = ""
    user.pending_email_requested_at = None
    user.email_verified_at = timezone.now()  # the link proved the new address receives our email
    try:
        with transaction.atomic():
            user.save(
                update_fields=[
                    "email",
                    "pending_email",
                    "pending_email_requested_at",
                    "email_verified_at",
                ]
            )
    except IntegrityError:  # taken between the check and the update (the unique index)
        raise _Taken(pending) from None
    log_action(
        user,
        "email changed",
        actor=user,
        member=user,
        before={"email": old},
        after={"email": pending},
    )
    emails.queue(
        key=_key(Notification.Kind.EMAIL_CHANGED, user),
        kind=Notification.Kind.EMAIL_CHANGED,
        member=user,
        to_email=old,
        context={"new_email": pending, "old_email": old},
    )
    emails.release_held(user)
    return pending


@transaction.atomic
def _drop_pending(*, user: User, address: str) -> None:
    user = _lock(user)
    if user.pending_email.lower() != address.lower():
        return
    user.pending_email = ""
    user.pending_email_requested_at = None
    user.save(update_fields=["pending_email", "pending_email_requested_at"])
    log_action(
        user,
        "email change dropped",
        member=user,
        reason="The new address is used by another account.",
        before={"pending_email": address},
    )
