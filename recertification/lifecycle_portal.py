"""Member pages for NAMSS extensions and reinstatement (URLs in members/urls.py, under /profile/).

Views are thin: fetch the member's reports or credentials, call members.lifecycle, redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from members import lifecycle
from members.models import Credential

from . import selectors, services


@login_required
@require_http_methods(["GET", "POST"])
def extension(request: HttpRequest) -> HttpResponse:
    """Request a NAMSS extension (half the required credits documented, until 1 December)."""
    today = timezone.localdate()
    if request.method == "POST":
        try:
            pk = int(request.POST.get("report", ""))
        except ValueError:
            pk = 0
        report = selectors.report_for_member(request.user, pk)
        try:
            extension_obj = lifecycle.extension_request(
                report=report, member=request.user, today=today
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                f"Your extension is requested. Pay the extension fee and your deadline moves to "
                f"{extension_obj.new_deadline:%m/%d/%Y}.",
            )
        return redirect("members:extension")
    services.reports_ensure_open(member=request.user)
    terms = [
        t
        for t in (
            lifecycle.extension_terms(scored.report, today=today, scored=scored)
            for scored in selectors.current_reports(request.user)
        )
        if t is not None
    ]
    return render(
        request, "recertification/extension.html", {"terms": terms, "active": "extension"}
    )


@login_required
@require_GET
def reinstatement(request: HttpRequest) -> HttpResponse:
    """What a lapsed NAMSS certificant needs to reinstate within the grace period."""
    today = timezone.localdate()
    closed = list(
        Credential.objects.filter(
            holder=request.user,
            status__in=[Credential.Status.LAPSED, Credential.Status.TERMINATED],
        ).order_by("designation")
    )
    terms = [
        t for t in (lifecycle.reinstatement_terms(c, today=today) for c in closed) if t is not None
    ]
    with_terms = {t.credential.pk for t in terms}
    return render(
        request,
        "members/reinstatement.html",
        {
            "terms": terms,
            "others": [c for c in closed if c.pk not in with_terms],
            "active": "reinstatement",
        },
    )
