"""Everything the portal holds about a member, for the member: one ZIP with `data.json` and the
files they uploaded (Profile › My data).

`data.json` holds the profile, credentials, reports with their entries (kinds and categories in
words), invoices with their lines and payments, certificates, the emails sent, membership and
committee records, and the audit trail of what was done on the member's records (actions and
dates; staff are named by role, not by name). The files are the member's uploads and the scans of
their paper reports. Served by the lifecycle app because it reads every app below it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import zipfile
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.models import AuditLog
from members.models import CommitteeRecord, Credential, MembershipRecord, Notification, User
from payments.models import Invoice
from providers.models import Completion
from recertification import rules
from recertification.models import Entry, EntryFile, Report

from .models import Certificate

logger = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row(obj, fields: list[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _kind_label(program: str, kind: str) -> str:
    try:
        return rules.get_program(program).kind(kind).label
    except (KeyError, ValueError):
        return kind


def member_data(member: User) -> dict[str, Any]:
    """The member's records as plain JSON values."""
    profile = _row(
        member,
        ["username", "member_number", "first_name", "last_name", "email", "organization", "phone",
         "street", "city", "state", "postal_code", "country", "date_joined", "last_login"],
    )  # fmt: skip
    credentials = [
        _row(
            c,
            [
                "program",
                "designation",
                "certified_since",
                "cycle_start",
                "cycle_end",
                "renewed_on",
                "status",
            ],
        )  # fmt: skip
        for c in Credential.all_objects.filter(holder=member)
    ]
    entries = []
    for entry in Entry.objects.filter(member=member).prefetch_related("files").order_by("pk"):
        row = _row(entry, ["id", "program", "date", "year", "quantity", "organization", "group",
                           "approved", "details", "created_at"])  # fmt: skip
        row["kind"] = _kind_label(entry.program, entry.kind)
        row["source"] = entry.source_note
        row["files"] = [f"files/entries/{f.pk}-{f.original_name}" for f in entry.files.all()]
        entries.append(row)
    reports = [
        _row(r, ["id", "program", "cycle_start", "cycle_end", "status", "submitted_at",
                 "decided_at", "points_counted", "points_required", "is_paper", "return_reason"])
        | {"entries": sorted(e.pk for e in r.entries.all())}
        for r in Report.objects.filter(member=member).order_by("pk").prefetch_related(
            Prefetch("entries", queryset=Entry.objects.only("pk"))
        )
    ]  # fmt: skip
    invoices = []
    for invoice in Invoice.objects.filter(member=member).prefetch_related("lines", "payments"):
        row = _row(invoice, ["number", "kind", "status", "description", "currency", "issued_on",
                             "due_on", "total", "paid_at", "billing_name", "billing_address"])  # fmt: skip
        row["lines"] = [_row(line, ["description", "amount"]) for line in invoice.lines.all()]
        row["payments"] = [
            _row(
                p,
                [
                    "method",
                    "status",
                    "amount",
                    "currency",
                    "check_number",
                    "check_date",
                    "confirmed_at",
                    "refunded_at",
                ],
            )  # fmt: skip
            for p in invoice.payments.all()
        ]
        invoices.append(row)
    certificates = [
        _row(c, ["code", "holder_name", "valid_from", "valid_through", "issued_at", "revoked_at"])
        | {"designation": c.credential.designation}
        for c in Certificate.objects.filter(credential__holder=member).select_related("credential")
    ]
    emails = [
        _row(n, ["kind", "to_email", "subject", "status", "created_at", "sent_at"])
        for n in Notification.objects.filter(member=member).order_by("created_at")
    ]
    records = {
        "membership": [
            _row(r, ["kind", "organization", "year"])
            for r in MembershipRecord.objects.filter(member=member)
        ],
        "committees": [
            _row(r, ["committee", "role", "year"])
            for r in CommitteeRecord.objects.filter(member=member)
        ],
    }
    reported = [
        _row(c, ["completion_id", "member_number", "last_name", "email", "completed_on",
                 "quantity", "status", "decline_reason", "reported_at", "decided_at"])
        | {"provider": c.provider.name, "course": c.course.title, "entry": c.entry_id}
        for c in Completion.objects.filter(member=member)
        .select_related("provider", "course")
        .order_by("reported_at", "pk")
    ]  # fmt: skip
    trail = [
        {
            "when": _plain(a.at),
            "action": a.action,
            "by": "you" if a.actor_id == member.pk else ("staff" if a.actor_id else "the portal"),
            "reason": a.reason,
        }
        for a in AuditLog.objects.filter(member=member).order_by("at", "pk")
    ]
    return {
        "exported_at": _plain(timezone.now()),
        "profile": profile,
        "credentials": credentials,
        "reports": reports,
        "entries": entries,
        "invoices": invoices,
        "certificates": certificates,
        "emails_sent": emails,
        "records": records,
        "reported_by_providers": reported,
        "history": trail,
    }


def member_archive(member: User) -> bytes:
    """The ZIP: data.json and the member's files (a file the storage cannot read is listed in
    data.json under `files_missing`, never a failed download)."""
    data = member_data(member)
    missing: list[str] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for upload in EntryFile.objects.filter(entry__member=member).order_by("pk"):
            name = f"files/entries/{upload.pk}-{upload.original_name}"
            try:
                with upload.file.open("rb") as handle:
                    archive.writestr(name, handle.read())
            except Exception:
                logger.exception("my data: entry file %s could not be read", upload.pk)
                missing.append(name)
        for report in Report.objects.filter(member=member).exclude(scanned_report=""):
            name = f"files/paper-reports/{report.pk}-{report.scanned_report_name or 'scan'}"
            try:
                with report.scanned_report.open("rb") as handle:
                    archive.writestr(name, handle.read())
            except Exception:
                logger.exception("my data: scanned report %s could not be read", report.pk)
                missing.append(name)
        data["files_missing"] = missing
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
    return buffer.getvalue()


@never_cache
@login_required
@require_GET
def my_data(request):
    member = request.user
    body = member_archive(member)
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="my-data-{member.member_number}-{stamp}.zip"'
    )
    return response
