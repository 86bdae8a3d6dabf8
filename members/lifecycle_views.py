"""The member's certificates: the list, the PDF and the Open Badges file. Owner only (404 otherwise)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import certificates as documents
from . import lifecycle
from .models import Certificate


def _certificate_of(member, pk: int) -> Certificate:
    return get_object_or_404(
        Certificate.objects.select_related("credential__holder"), pk=pk, credential__holder=member
    )


@login_required
@require_GET
def certificates(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, certificates with their credentials (one join).
    items = list(
        Certificate.objects.filter(credential__holder=request.user)
        .select_related("credential")
        .order_by("-valid_through", "-pk")
    )
    for item in items:
        item.revoked = lifecycle.certificate_revoked(item)
        item.verify_url = lifecycle.certificate_verify_url(item)
    return render(
        request, "members/certificates.html", {"certificates": items, "active": "certificates"}
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
