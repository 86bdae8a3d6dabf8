"""Public good-standing lookup (/verify/), the badge-file check, the badge status list and the
issuer profile.

Shows only name, designation, status and valid-through date: never an email, address, member
number or points. Lookups and badge checks are rate-limited per client address.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from members import ratelimit
from members.models import Credential, designation_choices

from . import badge_check, documents
from .certificates import certificate_holder_name, normalize_code, shown_certificates
from .standing import standing

MAX_NAME_RESULTS = 25
MALFORMED = (
    "That is not a verification code. A code has 12 letters and digits, printed on the "
    "certificate as three groups of four (for example ABCD-EFGH-JKMN)."
)


def verify_rate_limit() -> tuple[int, int]:
    """(lookups, seconds) allowed per client address; settings VERIFY_RATE_LIMIT / _WINDOW."""
    return (
        int(getattr(settings, "VERIFY_RATE_LIMIT", 30)),
        int(getattr(settings, "VERIFY_RATE_WINDOW", 600)),
    )


class LookupForm(forms.Form):
    code = forms.CharField(label="Verification code", max_length=40, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    designation = forms.ChoiceField(label="Designation", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["designation"].choices = [("", "Choose…"), *designation_choices()]

    def clean(self):
        data = super().clean()
        code, last_name = data.get("code", "").strip(), data.get("last_name", "").strip()
        if code:
            normalized = normalize_code(code)
            if normalized is None:
                self.add_error("code", MALFORMED)
            data["code"] = normalized
        elif last_name and data.get("designation"):
            data["last_name"] = last_name
        else:
            raise forms.ValidationError(
                "Enter a verification code, or a last name and a designation."
            )
        return data


class BadgeFileForm(forms.Form):
    badge = forms.FileField(
        label="Badge file",
        help_text="The .json file the certificant downloaded from their Certificates page.",
        widget=forms.FileInput(attrs={"accept": badge_check.ACCEPT}),
        error_messages={
            "required": "Choose a badge file to check.",
            "empty": "The file is empty. Choose the badge file (.json) to check.",
            "invalid": "No file was received. Choose the badge file (.json) again.",
        },
    )


def _too_many(request: HttpRequest) -> HttpResponse | None:
    limit, window = verify_rate_limit()
    if ratelimit.hit(
        "verify", ratelimit.client_address(request), limit=limit, window_seconds=window
    ):
        return None
    response = render(
        request, "lifecycle/verify_limited.html", {"minutes": max(1, window // 60)}, status=429
    )
    response["Retry-After"] = str(window)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    # Results name people: keep them out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """The form; by name and designation it lists matches, by code it goes to the code's page."""
    asked = any(request.GET.get(name) for name in ("code", "last_name", "designation"))
    form = LookupForm(request.GET if asked else None)
    results = None
    if asked:
        valid = form.is_valid()
        if valid and form.cleaned_data["code"]:
            # Counted once, on the code's page.
            return redirect("verify:certificate", code=form.cleaned_data["code"])
        limited = _too_many(request)
        if limited is not None:
            return limited
        if valid:
            credentials = (
                Credential.objects.filter(
                    holder__last_name__iexact=form.cleaned_data["last_name"],
                    designation=form.cleaned_data["designation"],
                )
                .select_related("holder")
                .order_by("holder__last_name", "holder__first_name", "pk")[:MAX_NAME_RESULTS]
            )
            results = [standing(c) for c in credentials]
    status = 400 if form.is_bound and not form.is_valid() else 200
    return _private(
        render(
            request,
            "lifecycle/verify.html",
            {"form": form, "results": results, "badge_form": BadgeFileForm()},
            status=status,
        )
    )


@never_cache
@require_GET
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    limited = _too_many(request)
    if limited is not None:
        return limited
    normalized = normalize_code(code)
    context = {"form": LookupForm(), "badge_form": BadgeFileForm(), "code": code[:40]}
    if normalized is None:
        return _private(
            render(
                request, "lifecycle/verify_result.html", context | {"error": MALFORMED}, status=400
            )
        )
    found = (
        shown_certificates().select_related("credential__holder").filter(code=normalized).first()
    )
    if found is None:
        return _private(
            render(
                request,
                "lifecycle/verify_result.html",
                context
                | {
                    "error": "No certificate found with this verification code. Check the code "
                    "on the certificate, or search by last name and designation."
                },
                status=404,
            )
        )
    return _private(
        render(
            request,
            "lifecycle/verify_result.html",
            context
            | {
                "standing": standing(found.credential, name=certificate_holder_name(found)),
                "display_code": found.display_code,
            },
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
def check_badge(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: is the uploaded file a genuine badge of this portal, still current?"""
    if request.method == "GET":
        return _private(
            render(request, "lifecycle/badge_check.html", {"badge_form": BadgeFileForm()})
        )
    limited = _too_many(request)
    if limited is not None:
        return limited
    form = BadgeFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _private(
            render(request, "lifecycle/badge_check.html", {"badge_form": form}, status=400)
        )
    result = badge_check.check_upload(form.cleaned_data["badge"])
    return _private(
        render(
            request,
            "lifecycle/badge_check.html",
            {"badge_form": BadgeFileForm(), "result": result},
            status=200 if result.readable else 400,
        )
    )


def _json(document: dict, *, max_age: int) -> HttpResponse:
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


@require_GET
def status_list(request: HttpRequest, list_number: int) -> HttpResponse:
    """The W3C Bitstring Status List of badge revocations (bit set: lapsed or terminated)."""
    if list_number < 1 or list_number > documents.status_list_numbers():
        raise Http404("No such status list")
    return _json(documents.status_list_credential(list_number), max_age=300)


@require_GET
def issuer(request: HttpRequest) -> HttpResponse:
    """The Open Badges issuer profile with the key that signs the badges."""
    return _json(documents.issuer_profile(), max_age=3600)


@require_GET
def issuer_key(request: HttpRequest, number: int) -> HttpResponse:
    """The signing key on its own (a Multikey), at the address the badges' proofs name."""
    if number != documents.KEY_NUMBER:
        raise Http404("No such key")
    return _json(documents.issuer_key(), max_age=3600)
