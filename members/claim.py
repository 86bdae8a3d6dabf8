"""Link an account to a certification record nobody has signed in to ("Already certified?").

Certificants migrated from an earlier system, or entered by staff, have a record (a `User` with
their credentials) with no usable password that nobody has signed in to. Instead of signing up
for a second, empty account, the person types the record's member number, a credential's
certification date, their last name and an email:

- the details match a claimable record (`is_claimable`) and the email is the one on file: the
  address on file is sent a signed link (`make_token`, a members.verification link token) that
  expires after LINK_MAX_AGE and stops working once the account changes (a password set, a
  sign-in, a new email), so it works once;
- they match, but the record has no email on file or the email typed is another: a
  `ClaimRequest` for staff, who approve (the typed email is set on the record and the link sent
  there) or refuse (members/admin.py);
- they do not match: nothing.

The page answers the same in all three cases, and the route is paused per client address and
per member number after a few attempts (`paused_for`), so member numbers cannot be tested.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import time
import unicodedata
from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core import site
from core.audit import log_action

from . import emails, ratelimit
from . import forms as member_forms
from .models import ClaimRequest, Credential, User
from .verification import LINK_MAX_AGE, LinkRefused, link_token, read_link_token

logger = logging.getLogger(__name__)

SALT = "members.claim"
# Attempts per fixed window (clock hours): from one client address, and on one member number
# from any address. Form errors do not count: they are answered without reading any record.
ATTEMPTS_PER_ADDRESS = 10
ATTEMPTS_PER_NUMBER = 5
WINDOW_SECONDS = 3600
# The link's token, moved from the address into the session (as Django's password reset does),
# so that the set-up page's address holds no secret for the Referer header or the history.
SESSION_KEY = "_claim_token"

MEMBER_NUMBER = re.compile(r"[A-Za-z0-9-]{1,12}")
# Typographic apostrophes and their look-alikes count as the plain one: O’Connor is O'Connor.
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


# --- matching -----------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """A last name compared without case, accents or spaces: NFKC, casefold, marks removed.

    Letters that only look alike stay different: a dotless ı is not an i, a Cyrillic о is not
    an o (neither decomposes into a Latin letter and a mark).
    """
    text = unicodedata.normalize("NFKC", name.translate(APOSTROPHES)).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())


def is_claimable(user: User) -> bool:
    """A record a person may link an account to: active, not staff, never signed in to, and
    without a password anyone could sign in with (unusable, or none at all)."""
    return (
        user.is_active
        and not user.is_staff
        and not user.is_superuser
        and user.last_login is None
        and (not user.password or not user.has_usable_password())
    )


def find_record(*, member_number: str, certified_since: dt.date, last_name: str) -> User | None:
    """The claimable record with this member number, a credential certified on that date (in any
    status) and this last name; None otherwise."""
    typed = name_key(last_name)
    if not typed:
        return None
    certified = Credential._base_manager.filter(
        holder=OuterRef("pk"), certified_since=certified_since
    )
    user = User.objects.filter(Exists(certified), member_number=member_number).first()
    if user is None or not is_claimable(user) or name_key(user.last_name) != typed:
        return None
    return user


def claim_ask(*, member_number: str, certified_since: dt.date, last_name: str, email: str) -> str:
    """Act on the details typed; "link", "request" or "none" (for tests and logs, never shown)."""
    user = find_record(
        member_number=member_number, certified_since=certified_since, last_name=last_name
    )
    if user is None:
        return "none"
    if user.email.strip() and user.email.strip().lower() == email.lower():
        send_link(user)
        return "link"
    claim_request_record(member=user, email=email, last_name=last_name)
    return "request"


def claim_request_record(*, member: User, email: str, last_name: str) -> ClaimRequest:
    """One open request per record and email: asking again adds nothing."""
    with transaction.atomic():
        existing = ClaimRequest.objects.filter(
            member=member, email__iexact=email, status=ClaimRequest.Status.OPEN
        ).first()
        if existing is not None:
            return existing
        request = ClaimRequest.objects.create(member=member, email=email, last_name=last_name)
        log_action(
            request,
            "claim request made",
            member=member,
            after={"email": email, "last_name": last_name},
        )
    return request


# --- the link -----------------------------------------------------------------------------------


def _fingerprint(user: User) -> str:
    """What the link is bound to: it stops matching once a password is set, the account is
    signed in to, its email changes or it is deactivated."""
    state = "|".join(
        str(part)
        for part in (
            user.pk,
            user.password,
            user.last_login,
            user.email.strip().lower(),
            user.is_active,
            user.member_number,
        )
    )
    return salted_hmac(SALT, state).hexdigest()[:32]


def make_token(user: User) -> str:
    return link_token(salt=SALT, user=user, f=_fingerprint(user))


def _token_data(token: str) -> tuple[int, str] | None:
    try:
        data = read_link_token(token, salt=SALT)
    except LinkRefused:  # altered, expired, or not a set-up link
        return None
    return data["u"], str(data.get("f", ""))


def _valid_for(user: User | None, fingerprint: str) -> bool:
    return (
        user is not None
        and is_claimable(user)
        and constant_time_compare(_fingerprint(user), fingerprint)
    )


def user_for_token(token: str) -> User | None:
    """The record a link may still set up, or None (expired, altered, used, account changed)."""
    data = _token_data(token)
    if data is None:
        return None
    user = User.objects.filter(pk=data[0]).first()
    return user if _valid_for(user, data[1]) else None


def link_days() -> int:
    return LINK_MAX_AGE.days


def send_link(user: User) -> None:
    """Email the set-up link to the record's address on file; a failure is logged, not shown
    (the page answers the same either way)."""
    url = site.site_url() + reverse("claim_link", args=[make_token(user)])
    emails.account_email(
        to=user.email,
        subject="Set up your {site} account",
        template="registration/claim_email.txt",
        context={"user": user, "url": url, "days": link_days()},
    )


def _send_link_to(user_id: int) -> None:
    send_link(User.objects.get(pk=user_id))


class LinkUsed(Exception):
    """The link no longer sets up the account (expired, used, or the account changed)."""


class UsernameTaken(Exception):
    pass


def claim_complete(*, token: str, username: str, password: str) -> User:
    """Set the chosen username and password on the record the link names, under its row lock;
    LinkUsed when the link no longer works (a second tab, a second device, a stale page)."""
    data = _token_data(token)
    if data is None:
        raise LinkUsed
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data[0]).first()
        if not _valid_for(user, data[1]):
            raise LinkUsed
        user.username = username
        user.set_password(password)
        user.email_verified_at = timezone.now()  # the link proved the address on file
        try:
            with transaction.atomic():
                user.save(update_fields=["username", "password", "email_verified_at"])
        except IntegrityError:
            raise UsernameTaken from None
        log_action(
            user,
            "account claimed",
            actor=user,
            member=user,
            after={"username": username, "email": user.email},
        )
        # Notices recorded while the address was unproven (after staff set it) go out now.
        emails.release_held(user)
    return user


# --- staff decisions ----------------------------------------------------------------------------


class ClaimError(Exception):
    """A claim request that cannot be decided as asked; the message says why."""


def approval_problem(claim_request: ClaimRequest) -> str:
    """Why the request cannot be approved now, or ""."""
    member = claim_request.member
    if not is_claimable(member):
        return (
            "The account has been signed in to or has a password: it cannot be claimed any more. "
            "Refuse the request."
        )
    taken = User.objects.filter(email__iexact=claim_request.email).exclude(pk=member.pk)
    if taken.exists():
        return (
            "Another account already uses this email address. Refuse the request, or ask the "
            "person to sign in to that account."
        )
    return ""


def _locked_open(claim_request: ClaimRequest) -> ClaimRequest:
    locked = ClaimRequest.objects.select_for_update().get(pk=claim_request.pk)
    if locked.status != ClaimRequest.Status.OPEN:
        raise ClaimError("This request has been decided already.")
    return locked


def _decide(request: ClaimRequest, status: str, actor: User, note: str) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "note"])


def claim_request_approve(*, claim_request: ClaimRequest, actor: User, note: str = "") -> None:
    """Set the typed email on the record and send the set-up link to it (after commit); the
    record's other open requests are refused."""
    with transaction.atomic():
        request = _locked_open(claim_request)
        member = User.objects.select_for_update().get(pk=request.member_id)
        request.member = member
        problem = approval_problem(request)
        if problem:
            raise ClaimError(problem)
        before = {"email": member.email, "status": request.status}
        member.email = request.email
        # Proven only when the link sent to it is opened (claim_complete).
        member.email_verified_at = None
        fields = ["email", "email_verified_at"]
        try:
            with transaction.atomic():
                member.save(update_fields=fields)
        except IntegrityError:
            raise ClaimError(approval_problem(request) or "The email could not be set.") from None
        _decide(request, ClaimRequest.Status.APPROVED, actor, note)
        log_action(
            request,
            "claim request approved",
            actor=actor,
            member=member,
            reason=note,
            before=before,
            after={"email": member.email, "status": request.status},
        )
        others = ClaimRequest.objects.select_for_update().filter(
            member=member, status=ClaimRequest.Status.OPEN
        )
        for other in others:
            _decide(
                other,
                ClaimRequest.Status.REFUSED,
                actor,
                f"Another request for this record was approved (request {request.pk}).",
            )
            log_action(
                other,
                "claim request refused",
                actor=actor,
                member=member,
                reason=other.note,
                before={"status": ClaimRequest.Status.OPEN},
                after={"status": other.status},
            )
        transaction.on_commit(partial(_send_link_to, member.pk))


def claim_request_refuse(*, claim_request: ClaimRequest, actor: User, note: str) -> None:
    """Refuse with a note for staff; the typed address is told, without the note."""
    if not note.strip():
        raise ClaimError("Say why the request is refused.")
    with transaction.atomic():
        request = _locked_open(claim_request)
        _decide(request, ClaimRequest.Status.REFUSED, actor, note)
        log_action(
            request,
            "claim request refused",
            actor=actor,
            member=request.member,
            reason=note,
            before={"status": ClaimRequest.Status.OPEN},
            after={"status": request.status},
        )
        transaction.on_commit(partial(_send_refusal, request.email))


def _send_refusal(email: str) -> None:
    emails.account_email(
        to=email,
        subject="Your {site} account request",
        template="registration/claim_refused_email.txt",
        context={},
    )


# --- rate limits --------------------------------------------------------------------------------


def paused_for(request, member_number: str) -> int:
    """Count one attempt from this client and on this member number; the minutes until the
    current window ends when either is over its limit, else 0.

    Windows are clock hours (the window's number is part of the key), so the page can say when
    the pause ends.
    """
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    by_address = ratelimit.hit(
        "claim-ip",
        f"{ratelimit.client_address(request)}|{window}",
        limit=ATTEMPTS_PER_ADDRESS,
        window_seconds=WINDOW_SECONDS,
    )
    by_number = ratelimit.hit(
        "claim-number",
        f"{member_number}|{window}",
        limit=ATTEMPTS_PER_NUMBER,
        window_seconds=WINDOW_SECONDS,
    )
    if by_address and by_number:
        return 0
    return max(1, math.ceil((WINDOW_SECONDS - now % WINDOW_SECONDS) / 60))


# --- forms --------------------------------------------------------------------------------------


class ClaimForm(forms.Form):
    member_number = forms.CharField(
        label="Member number",
        max_length=40,
        help_text="On your certificate and on letters from us.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    certified_since = forms.DateField(
        label="Certification date",
        help_text="The date you were first certified, as on your certificate.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="Where we will write to you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_member_number(self) -> str:
        number = "".join(self.cleaned_data["member_number"].split())
        if not MEMBER_NUMBER.fullmatch(number):
            raise forms.ValidationError(
                "Enter the member number as it is printed: letters, digits and dashes, up to 12."
            )
        return number

    def clean_certified_since(self) -> dt.date:
        day = self.cleaned_data["certified_since"]
        if day > timezone.localdate():
            raise forms.ValidationError("A certification date cannot be in the future.")
        return day

    def clean_last_name(self) -> str:
        name = self.cleaned_data["last_name"].strip()
        if not name_key(name):
            raise forms.ValidationError("Enter your last name.")
        return name

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()


class ClaimAccountForm(member_forms.NewPasswordForm, member_forms.ChangeUsernameForm):
    """The username (the rules of every username) and a password (Django's validators)."""

    field_order = ["username", "password1", "password2"]

    class Meta(member_forms.ChangeUsernameForm.Meta):
        labels = {"username": "Username"}
        help_texts = {
            "username": "Letters, digits and . + - _ only. You can also sign in with your email."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "Password"


# --- views --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def claim_start(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = ClaimForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        details = form.cleaned_data
        minutes = paused_for(request, details["member_number"])
        if minutes:
            return render(
                request, "registration/claim_limited.html", {"minutes": minutes}, status=429
            )
        claim_ask(**details)
        return render(
            request,
            "registration/claim_sent.html",
            {"email": details["email"], "days": link_days()},
        )
    return render(request, "registration/claim.html", {"form": form})


def _link_invalid(request):
    request.session.pop(SESSION_KEY, None)
    return render(request, "registration/claim_link_invalid.html", {"days": link_days()})


def _signed_in(request):
    """A link opened while signed in to an account: that account stays as it is."""
    request.session.pop(SESSION_KEY, None)
    messages.info(
        request,
        "You are signed in. To set up the account the link is for, sign out and open the "
        "link again.",
    )
    return redirect("home")


@never_cache
@require_http_methods(["GET"])
def claim_link(request, token: str):
    if user_for_token(token) is None:
        return _link_invalid(request)
    if request.user.is_authenticated:
        return _signed_in(request)
    request.session[SESSION_KEY] = token
    return redirect("claim_account")


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def claim_account(request):
    token = request.session.get(SESSION_KEY, "")
    user = user_for_token(token) if token else None
    if user is None:
        return _link_invalid(request)
    if request.user.is_authenticated:
        return _signed_in(request)
    record = {"name": user.get_full_name(), "member_number": user.member_number}
    initial = {"username": member_forms.unique_username_for(user.email)}
    data = request.POST if request.method == "POST" else None
    form = ClaimAccountForm(data, instance=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user = claim_complete(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except LinkUsed:
            return _link_invalid(request)
        except UsernameTaken:
            form.add_error("username", "This username is taken. Please choose another.")
        else:
            request.session.pop(SESSION_KEY, None)
            login(request, user, backend="members.backends.UsernameOrEmailBackend")
            messages.success(
                request,
                f"Welcome, {user.first_name}. Your account is ready: sign in with "
                f"“{user.username}” or your email.",
            )
            return redirect("home")
    return render(request, "registration/claim_account.html", {"form": form, "record": record})
