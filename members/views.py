"""Account and profile pages. Views stay thin: forms validate, services change state."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import log_action

from . import backends, emails, forms, ratelimit, selectors, verification
from .models import Credential, MemberNumberUnavailable, User

logger = logging.getLogger(__name__)


class SignInView(auth_views.LoginView):
    form_class = forms.SignInForm
    redirect_authenticated_user = True


class ResetPasswordView(auth_views.PasswordResetView):
    form_class = forms.ResetPasswordForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        limit = settings.ACCOUNT_EMAIL_RATE_LIMIT
        ip_ok = ratelimit.hit("reset-ip", ratelimit.client_address(self.request), limit=limit * 4)
        if not (ratelimit.hit("reset-email", ratelimit.account_key(email), limit=limit) and ip_ok):
            # Same page as a real request, so that the limit does not reveal whether the account exists.
            return redirect(self.success_url)
        return super().form_valid(form)


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    post_reset_login = True
    post_reset_login_backend = "members.backends.UsernameOrEmailBackend"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been reset and you are signed in.")
        return response


class _EmailTaken(Exception):
    """Another sign-up took the address between the check and the insert."""


def _create_account(form, attempts: int = 5) -> User:
    """Save a validated sign-up. Another sign-up can take the same username between the check and
    the insert (the next free one is used on the next try) or the same email (_EmailTaken)."""
    for _attempt in range(attempts):
        try:
            with transaction.atomic():
                return form.save()
        except MemberNumberUnavailable:
            raise
        except IntegrityError:
            if backends.account_for(form.cleaned_data["email"]) is not None:
                raise _EmailTaken from None
            form = forms.SignUpForm(form.data)
            form.is_valid()
            # Several sign-ups with the same local part race for the same next name: from the
            # second try on, a random one.
            form.spread_username = _attempt >= 1
    raise MemberNumberUnavailable("the account could not be created")


def _tell_the_owner(account: User, request) -> None:
    """Someone signed up with an address that has an account: tell its owner (who may have
    forgotten), at most ACCOUNT_EMAIL_RATE_LIMIT times an hour, and never the person typing."""
    limit = settings.ACCOUNT_EMAIL_RATE_LIMIT
    if not ratelimit.hit("signup-owner", ratelimit.account_key(account.email), limit=limit):
        return
    emails.account_email(
        to=account.email,
        subject="Your {site} account",
        template="registration/signup_taken_email.txt",
        context={"user": account},
    )


@require_http_methods(["GET", "POST"])
def signup(request):
    """Create an account and send the link that confirms its address; the answer is the same
    whether or not the address has an account already (its owner is emailed instead), so the
    page cannot be used to find out who is registered. Rate-limited per network."""
    if request.user.is_authenticated:
        return redirect("home")
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = ratelimit.client_address(request)
        if not ratelimit.hit("signup-ip", address, limit=settings.SIGNUP_RATE_LIMIT):
            return render(request, "429.html", status=429)
        email = form.cleaned_data["email"]
        existing = backends.account_for(email)
        if existing is None:
            try:
                with transaction.atomic():
                    user = _create_account(form)
                    verification.verification_send(user=user)
            except _EmailTaken:
                existing = backends.account_for(email)
            except MemberNumberUnavailable:
                logger.exception("no free member number for a new account")
                form.add_error(
                    None,
                    "We could not create your account just now; nothing was saved. "
                    "Please try again in a moment.",
                )
                return render(request, "registration/signup.html", {"form": form})
        if existing is not None:
            _tell_the_owner(existing, request)
        request.session["signup_email"] = email
        return redirect("signup_sent")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET"])
def signup_sent(request):
    """After a sign-up: check your inbox (the same page whether or not the address was new)."""
    return render(
        request, "registration/signup_sent.html", {"email": request.session.get("signup_email", "")}
    )


@require_http_methods(["GET", "POST"])
def find_account(request):
    """Email the usernames registered to an address; the answer never says whether there are any."""
    form = forms.FindAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        limit = settings.ACCOUNT_EMAIL_RATE_LIMIT
        # Counted per account (every spelling of its address), as the sign-in lockout is.
        allowed = ratelimit.hit("find-email", ratelimit.account_key(email), limit=limit)
        allowed = (
            ratelimit.hit("find-ip", ratelimit.client_address(request), limit=limit * 4) and allowed
        )
        account = backends.account_for(email) if allowed else None
        users = [account] if account is not None and account.is_active else []
        if users:
            # The same answer either way: a mail failure is logged and does not reveal the
            # account (Django's password reset does the same); the member can ask again.
            emails.account_email(
                to=users[0].email,
                subject="Your {site} account",
                template="registration/find_account_email.txt",
                context={"users": users},
            )
        messages.info(
            request,
            "If an account uses that email address, we have sent its username there. "
            "Check your inbox (and spam folder) in a few minutes.",
        )
        return redirect("login")
    return render(request, "registration/find_account.html", {"form": form})


def _log_name_change(user: User, before: dict) -> bool:
    """Audit a change of the member's name; True when the name changed."""
    after = {"first_name": user.first_name, "last_name": user.last_name}
    if after == before:
        return False
    log_action(user, "name changed", actor=user, member=user, before=before, after=after)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    # The name before the form binds to the account (validation writes the typed values onto it).
    name_before = {"first_name": request.user.first_name, "last_name": request.user.last_name}
    form = forms.ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            if form.new_email:
                verification.email_change_request(user=user, new_email=form.new_email)
            renamed = _log_name_change(user, name_before)
        if renamed and Credential.objects.filter(holder=user, certificates__isnull=False).exists():
            messages.info(
                request,
                "Your certificates keep the name they were issued in until staff confirm your "
                f"change of name; write to {settings.SUPPORT_EMAIL} if it is a change of legal name.",
            )
        if form.new_email:
            messages.success(
                request,
                f"Your profile has been saved. We have sent a link to {form.new_email}: your email "
                f"address changes when you open it. Until then we keep writing to {user.email}.",
            )
        else:
            messages.success(request, "Your profile has been saved.")
        return redirect("members:profile")
    return render(request, "members/profile.html", {"form": form, "active": "profile"})


def _email_link_allowed(request, scope: str) -> bool:
    """At most ACCOUNT_EMAIL_RATE_LIMIT links an hour per account for each kind of link."""
    return ratelimit.hit(scope, str(request.user.pk), limit=settings.ACCOUNT_EMAIL_RATE_LIMIT)


TOO_MANY_LINKS = (
    "We sent the link a few times already. Please check your inbox and spam folder, "
    "and try again in an hour."
)


@login_required
@require_POST
def email_verify_resend(request):
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    if request.user.email_verified_at is not None:
        messages.info(request, "Your email address is confirmed already.")
    elif not _email_link_allowed(request, "verify-link"):
        messages.warning(request, TOO_MANY_LINKS)
    else:
        verification.verification_send(user=request.user)
        messages.success(
            request,
            f"We have sent a new link to {request.user.email}. "
            f"It works for {verification.LINK_MAX_AGE.days} days.",
        )
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def email_verify(request, token: str):
    """The link from the verification email: a page with one button (a GET changes nothing, so
    a mail scanner that opens links does not verify the address)."""
    if request.method == "POST":
        try:
            verification.email_verify(user=request.user, token=token)
        except verification.LinkRefused as refused:
            messages.error(request, str(refused))
            return redirect("members:profile")
        messages.success(
            request, f"Thank you: your email address {request.user.email} is confirmed."
        )
        return redirect("home")
    context = {
        "title": "Confirm your email address",
        "address": request.user.email,
        "button": "Confirm my email address",
        "active": "profile",
    }
    return render(request, "members/email_confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def email_change_confirm(request, token: str):
    """The link sent to a new address: a page with one button that applies the change."""
    if request.method == "POST":
        try:
            new_email = verification.email_change_confirm(user=request.user, token=token)
        except verification.LinkRefused as refused:
            messages.error(request, str(refused))
            return redirect("members:profile")
        messages.success(request, f"Your email address is now {new_email}.")
        return redirect("members:profile")
    if not request.user.pending_email:
        messages.info(
            request,
            f"There is no email change waiting for confirmation. Your email address is "
            f"{request.user.email}.",
        )
        return redirect("members:profile")
    context = {
        "title": "Confirm your new email address",
        "address": request.user.pending_email,
        "button": "Use this email address",
        "active": "profile",
    }
    return render(request, "members/email_confirm.html", context)


@login_required
@require_POST
def email_change_resend(request):
    if not request.user.pending_email:
        messages.info(request, "There is no email change waiting for confirmation.")
    elif not _email_link_allowed(request, "change-link"):
        messages.warning(request, TOO_MANY_LINKS)
    else:
        verification.email_change_resend(user=request.user)
        messages.success(request, f"We have sent the link again to {request.user.pending_email}.")
    return redirect("members:profile")


@login_required
@require_POST
def email_change_cancel(request):
    if verification.email_change_cancel(user=request.user):
        messages.success(
            request, f"The email change is cancelled. Your email address is {request.user.email}."
        )
    return redirect("members:profile")


@login_required
@require_http_methods(["GET", "POST"])
def change_username(request):
    form = forms.ChangeUsernameForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Your username is now “{request.user.username}”.")
        return redirect("members:profile")
    return render(request, "members/change_username.html", {"form": form, "active": "username"})


class ChangePasswordView(auth_views.PasswordChangeView):
    template_name = "members/change_password.html"
    success_url = reverse_lazy("members:profile")
    extra_context = {"active": "password"}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


@login_required
def membership(request):
    records = selectors.membership_records_for(request.user)
    return render(request, "members/membership.html", {"records": records, "active": "membership"})


@login_required
def activities(request):
    context = {
        "credentials": selectors.credentials_for(request.user),
        "committees": selectors.committee_records_for(request.user),
        "active": "activities",
    }
    return render(request, "members/activities.html", context)
