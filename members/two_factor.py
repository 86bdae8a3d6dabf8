"""Two-step sign-in: a code from an authenticator app (TOTP) after the password, with one-time
recovery codes for a lost phone. Built on django-otp (docs/dependencies.md).

- Staff: required before the admin opens when settings.STAFF_TWO_FACTOR is on (production:
  core.admin_site checks it on every admin page). A staff member without a device is sent to set
  one up.
- Members: optional; once a member has set it up, every sign-in asks for the code
  (`SecondStepMiddleware`).

Whether a session still owes its second step is decided once, at sign-in, and kept in the session
(`SECOND_STEP_KEY`), so that pages of members without two-step sign-in run no query for it.
Codes are checked by django-otp's devices, which slow down repeated wrong codes (throttling);
each code is also counted per account by members.ratelimit.
"""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import log_action

from . import ratelimit

SECOND_STEP_KEY = "second_step_required"
RECOVERY_CODES = 10
CODE_ATTEMPTS_PER_HOUR = 20


def staff_must_use_it(user) -> bool:
    return bool(getattr(settings, "STAFF_TWO_FACTOR", False) and user.is_staff)


def has_second_step(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def second_step_owed(request) -> bool:
    """True while this signed-in session has not given the second step it needs."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return False
    verified = getattr(user, "is_verified", lambda: False)()
    return bool(request.session.get(SECOND_STEP_KEY)) and not verified


def note_sign_in(sender, request, user, **kwargs) -> None:
    """At sign-in: does this session owe a second step? (user_logged_in receiver)"""
    if request is not None and hasattr(request, "session"):
        request.session[SECOND_STEP_KEY] = staff_must_use_it(user) or has_second_step(user)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


class SecondStepMiddleware:
    """A member or staff session that owes its second step sees only the two-step pages and
    sign-out until it gives it."""

    # The providers' API authenticates by bearer token, never by the session: it answers in JSON.
    OPEN_PREFIXES = ("/static/", "/healthz", "/readyz", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if second_step_owed(request) and not self._open(request.path):
            return redirect(
                f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)

    def _open(self, path: str) -> bool:
        allowed = (reverse("two_factor"), reverse("two_factor_setup"), reverse("logout"))
        return path in allowed or path.startswith(self.OPEN_PREFIXES)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery "
        "codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _new_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    device.token_set.bulk_create([StaticToken(device=device, token=code) for code in codes])
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return codes


def _match(user, code: str):
    """The device that accepts the code (each device slows down repeated wrong codes itself)."""
    return next(
        (device for device in devices_for_user(user, confirmed=True) if device.verify_token(code)),
        None,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """The second step of sign-in: a code from the app, or a recovery code."""
    user = request.user
    if not has_second_step(user):
        query = urlencode({"next": _safe_next(request, "")})
        return redirect(f"{reverse('two_factor_setup')}?{query}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.hit("second-step", f"account:{user.pk}", limit=CODE_ATTEMPTS_PER_HOUR):
            form.add_error("code", "Too many codes tried. Wait an hour, or contact us.")
        else:
            device = _match(user, form.cleaned_data["code"])
            if device is None:
                form.add_error("code", "That code is not right, or has been used. Try the newest "
                               "code from your app.")  # fmt: skip
            else:
                otp_login(request, device)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        f"You signed in with a recovery code; {left} left. Set up your app again "
                        "from Two-step sign-in if you lost your phone.",
                    )
                return redirect(_safe_next(request, reverse("home")))
    return render(
        request, "registration/two_factor.html", {"form": form, "next": _safe_next(request, "")}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up the authenticator app: scan the code, type one code to prove it works; then the
    recovery codes, shown once."""
    user = request.user
    if has_second_step(user) and second_step_owed(request):
        # A new device is set up only after the second step of this session.
        query = urlencode({"next": reverse("two_factor_setup")})
        return redirect(f"{reverse('two_factor')}?{query}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.hit("second-step", f"account:{user.pk}", limit=CODE_ATTEMPTS_PER_HOUR):
            form.add_error("code", "Too many codes tried. Wait an hour, or contact us.")
        elif not device.verify_token(form.cleaned_data["code"]):
            form.add_error("code", "That code is not right. Check the time on your phone, then "
                           "type the newest code.")  # fmt: skip
        else:
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user, confirmed=True).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(user)
                log_action(user, "two-step sign-in set up", actor=user, member=user)
            otp_login(request, device)
            return render(
                request,
                "registration/two_factor_codes.html",
                {"codes": codes, "next": _safe_next(request, reverse("home"))},
            )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": staff_must_use_it(user),
        "is_on": has_second_step(user),
        "off_form": TurnOffForm(),
        "next": _safe_next(request, ""),
    }
    return render(request, "registration/two_factor_setup.html", context)


class TurnOffForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


@never_cache
@login_required
@require_http_methods(["POST"])
def two_factor_off(request):
    """A member turns two-step sign-in off (their password, in a session that gave its second
    step); staff cannot where it is required."""
    user = request.user
    form = TurnOffForm(request.POST)
    if staff_must_use_it(user) or second_step_owed(request):
        messages.error(request, "Two-step sign-in cannot be turned off for this account.")
    elif not form.is_valid() or not user.check_password(form.cleaned_data["password"]):
        messages.error(request, "That password is not right; two-step sign-in stays on.")
    else:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            log_action(user, "two-step sign-in turned off", actor=user, member=user)
        request.session[SECOND_STEP_KEY] = False
        messages.success(request, "Two-step sign-in is off: your password alone signs you in.")
    return redirect("two_factor_setup")
