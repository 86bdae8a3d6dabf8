"""Account and profile pages. Views stay thin: forms validate, services change state."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from core import site

from . import forms, ratelimit, selectors
from .models import MemberNumberUnavailable, User

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
        if not (ratelimit.hit("reset-email", email, limit=limit) and ip_ok):
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


class _TakenMeanwhile(Exception):
    def __init__(self, form):
        self.form = form


def _create_account(form, attempts: int = 3) -> User:
    """Save a validated sign-up. Another sign-up can take the same email or username between the
    check and the insert; the unique indexes refuse it, and the form, checked again, says why."""
    for _attempt in range(attempts):
        try:
            with transaction.atomic():
                return form.save()
        except MemberNumberUnavailable:
            raise
        except IntegrityError:
            form = forms.SignUpForm(form.data)
            if not form.is_valid():
                raise _TakenMeanwhile(form) from None
    raise MemberNumberUnavailable("the account could not be created")


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = _create_account(form)
        except _TakenMeanwhile as taken:
            return render(request, "registration/signup.html", {"form": taken.form})
        except MemberNumberUnavailable:
            logger.exception("no free member number for a new account")
            form.add_error(
                None,
                "We could not create your account just now; nothing was saved. "
                "Please try again in a moment.",
            )
            return render(request, "registration/signup.html", {"form": form})
        login(request, user, backend="members.backends.UsernameOrEmailBackend")
        messages.success(
            request,
            f"Welcome, {user.first_name}. Your username is “{user.username}”; you can also sign in with your email.",
        )
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def find_account(request):
    """Email the usernames registered to an address; the answer never says whether there are any."""
    form = forms.FindAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        limit = settings.ACCOUNT_EMAIL_RATE_LIMIT
        allowed = ratelimit.hit("find-email", email, limit=limit) and ratelimit.hit(
            "find-ip", ratelimit.client_address(request), limit=limit * 4
        )
        users = list(User.objects.filter(email__iexact=email, is_active=True)) if allowed else []
        if users:
            body = render_to_string(
                "registration/find_account_email.txt",
                {"users": users, "site_url": site.site_url(), "SITE_NAME": settings.SITE_NAME},
            )
            try:
                send_mail(f"Your {settings.SITE_NAME} account", body, None, [users[0].email])
            except Exception:
                # The same answer either way, so that a mail failure does not reveal the account
                # (Django's password reset does the same); the member can ask again.
                logger.exception("could not send the find-my-account email to user %s", users[0].pk)
        messages.info(
            request,
            "If an account uses that email address, we have sent its username there. "
            "Check your inbox (and spam folder) in a few minutes.",
        )
        return redirect("login")
    return render(request, "registration/find_account.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = forms.ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile has been saved.")
        return redirect("members:profile")
    return render(request, "members/profile.html", {"form": form, "active": "profile"})


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
