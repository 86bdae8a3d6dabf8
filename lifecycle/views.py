"""The member's lifecycle pages under /profile/: certificates (the list, the PDF and the Open Badges
file, sharing a current one; owner only, 404 otherwise), NAMSS extensions and reinstatement.

Views are thin: fetch the member's own records, call the lifecycle modules, render or redirect."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.formatting import format_date
from members.models import Credential
from recertification import opening, selectors

from . import documents, paper_form
from .certificates import (
    certificate_current,
    certificate_linkedin_url,
    certificate_revoked,
    certificate_verify_url,
    shown_certificates,
)
from .extensions import extension_request, extension_terms, extension_withdraw, live_extension
from .models import Certificate
from .reinstatement import (
    paper_report,
    paper_report_invoice,
    paper_report_open,
    reinstatement_terms,
)


def _certificate_of(member, pk: int) -> Certificate:
    return get_object_or_404(
        shown_certificates().select_related("credential__holder"), pk=pk, credential__holder=member
    )


@login_required
@require_GET
def certificates(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, certificates with their credentials (one join).
    items = list(
        shown_certificates()
        .filter(credential__holder=request.user)
        .select_related("credential")
        .order_by("-valid_through", "-pk")
    )
    today = timezone.localdate()
    for item in items:
        item.revoked = certificate_revoked(item)
        item.expired = not item.revoked and item.valid_through < today
        item.verify_url = certificate_verify_url(item)
        # Sharing (LinkedIn, the verification link) is offered for a current certificate only.
        if certificate_current(item, today=today):
            item.linkedin_url = certificate_linkedin_url(item)
    return render(
        request,
        "lifecycle/certificates.html",
        {
            "certificates": items,
            "shareable": [item for item in items if hasattr(item, "linkedin_url")],
            "active": "certificates",
        },
    )


@login_required
@require_GET
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate_of(request.user, pk)
    response = HttpResponse(documents.certificate_pdf(certificate), content_type="application/pdf")
    filename = f"{certificate.credential.designation}-certificate-{certificate.code}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def certificate_badge(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate_of(request.user, pk)
    body = json.dumps(documents.badge_credential(certificate), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"{certificate.credential.designation}-badge-{certificate.code}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


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
            extension_obj = extension_request(report=report, member=request.user, today=today)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                f"Your extension is requested. Pay the extension fee and your deadline moves to "
                f"{format_date(extension_obj.new_deadline)}.",
            )
        return redirect("lifecycle:extension")
    opening.reports_open_on_page_view(member=request.user)
    terms = [
        t
        for t in (
            extension_terms(scored.report, today=today, scored=scored)
            for scored in selectors.current_reports(request.user)
        )
        if t is not None
    ]
    return render(request, "lifecycle/extension.html", {"terms": terms, "active": "extension"})


@login_required
@require_POST
def extension_withdraw_view(request: HttpRequest, report: int) -> HttpResponse:
    """Withdraw the extension request of the member's own report before its fee is paid (the fee
    invoice is cancelled by a correction). The form names the request it was shown with, so a
    page left open since cannot withdraw a newer one."""
    report_obj = selectors.report_for_member(request.user, report)
    extension_obj = live_extension(report_obj)
    shown = request.POST.get("extension", "")
    if extension_obj is None or (shown and shown != str(extension_obj.pk)):
        messages.error(
            request,
            "There is no extension request to withdraw: it is already withdrawn or cancelled.",
        )
        return redirect("lifecycle:extension")
    try:
        withdrawn = extension_withdraw(extension_id=extension_obj.pk, member=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        fee = (
            f" Invoice {withdrawn.invoice} is cancelled by correction {withdrawn.correction}: "
            "you owe nothing for it."
            if withdrawn.correction
            else ""
        )
        messages.success(request, f"Your extension request is withdrawn.{fee}")
    return redirect("lifecycle:extension")


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
    items = [
        {
            "credential": c,
            "terms": reinstatement_terms(c, today=today),
            "paper": paper_report(c) if paper_report_open(c, today=today) else None,
        }
        for c in closed
    ]
    return render(
        request, "lifecycle/reinstatement.html", {"items": items, "active": "reinstatement"}
    )


def _lapsed_credential_of(member, pk: int, today) -> Credential:
    """The member's own credential that can still take a paper report; 404 otherwise."""
    credential = get_object_or_404(
        Credential.objects.select_related("holder"), pk=pk, holder=member
    )
    if not paper_report_open(credential, today=today):
        raise Http404("No paper report for this credential.")
    return credential


@login_required
@require_GET
def paper_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The paper Recertification Report of the member's lapsed credential, filled in."""
    credential = _lapsed_credential_of(request.user, pk, timezone.localdate())
    response = HttpResponse(paper_form.paper_report_pdf(credential), content_type="application/pdf")
    filename = f"{credential.designation}-recertification-report.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def paper_report_invoice_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or show again) the invoice for the paper report of the member's lapsed credential."""
    today = timezone.localdate()
    credential = _lapsed_credential_of(request.user, pk, today)
    try:
        invoice = paper_report_invoice(credential=credential, member=request.user, today=today)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("lifecycle:reinstatement")
    if invoice is None:
        return redirect("lifecycle:reinstatement")
    return redirect("payments:invoice", invoice.number)
