"""A report's review page: its entries and score, invoices, history, and the decisions on it.

The page shows the buttons this user may use; each opens the action's form (with a reason where
the member is affected) and calls one back-office function, which locks, checks, logs and emails.
The audit form (every entry of the report on one page), each entry's documents served to staff
(PDF and images inline) and the download of a paper report's scan are here too.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_replace, csp_update
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_sameorigin

from core.admin_helpers import audit_changes, reason_field
from recertification import rules
from recertification.entry_details import (
    category_columns,
    entry_cells,
    entry_pairs,
    readable_state,
)
from recertification.models import AuditDecision, Entry, EntryFile, Report
from recertification.selectors import ENTRIES_PREFETCH, ScoredReport, scored_report

from ..audits import audit_entries_decide, audited_score
from ..corrections import can_correct
from ..invoices import invoices_paid, report_invoices
from ..review import APPROVABLE, approval_blocker, report_history
from .report_actions import ACTIONS, available_actions, form_page

S = Report.Status


class AuditRowForm(forms.Form):
    """One entry's row of the audit form: its documents accepted or rejected, with a note."""

    entry = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=AuditDecision.Decision.choices,
        widget=forms.RadioSelect,
        label="Documents",
        required=False,
    )
    reason = forms.CharField(
        label="Note to the member",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text="Required when rejecting: the member sees it beside the entry and in the email.",
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("decision") == AuditDecision.Decision.REJECTED
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", "Give the reason for rejecting the entry.")
        return data


AuditFormSet = forms.formset_factory(AuditRowForm, extra=0, max_num=1000, absolute_max=1000)

# Documents shown inside the page: PDF in a frame, images as images; any other file downloads.
INLINE_TYPES = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}
_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def _documents(report: Report, files: list[EntryFile]) -> list[dict[str, Any]]:
    return [
        {
            "file": f,
            "url": reverse("admin:recertification_report_document", args=[report.pk, f.pk]),
            "inline": INLINE_TYPES.get(f.content_type, ""),
        }
        for f in files
    ]


def _tables(
    report: Report, scored: ScoredReport, decisions: dict[int, AuditDecision]
) -> list[dict[str, Any]]:
    """A table per category with an entry: the fields its kinds declare as labelled columns,
    each line's points, reason, documents and audit decision."""
    program = scored.program
    tables = []
    for category in program.categories:
        lines = scored.lines_in(category.code)
        if not lines:
            continue
        columns = category_columns(program, category.code)
        rows = [
            {
                "line": line,
                "cells": entry_cells(line.entry, columns, program),
                "decision": None if line.auto else decisions.get(line.entry.pk),
                "documents": [] if line.auto else _documents(report, line.entry.attached_files),
            }
            for line in lines
        ]
        uploads = [k.uploads.label for k in program.kinds_in(category.code) if k.uploads.max_files]
        tables.append(
            {
                "category": category,
                "columns": [c.label for c in columns],
                "documents_label": uploads[0] if uploads and uploads[0] else "Documents",
                "counted": scored.result.by_category.get(category.code, 0),
                "rows": rows,
                "width": len(columns) + 6,
            }
        )
    return tables


def _history(
    report: Report, scored: ScoredReport, *, entry_ids: list[int], invoices: list
) -> list[dict[str, Any]]:
    """The report's history, newest first, each record with the changes it made."""
    entry_type = Entry._meta.label_lower

    def readable(log, state):
        return readable_state(report.program, state) if log.object_type == entry_type else state

    return [
        {
            "log": log,
            "changes": audit_changes(readable(log, log.before), readable(log, log.after)),
        }
        for log in report_history(
            report,
            entry_ids=entry_ids,
            invoice_ids=[i.pk for i in invoices],
            credential_ids=[c.pk for c in scored.credentials],
        )
    ]


def _posted_entry(form) -> int | None:
    try:
        return int(form.data.get(form.add_prefix("entry")) or 0) or None
    except (TypeError, ValueError):
        return None


class ReportPageMixin:
    """The change view of ReportAdmin: the review page and the forms it links to."""

    def page_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/act/<slug:action>/",
                wrap(self.action_view),
                name="recertification_report_action",
            ),
            path(
                "<int:pk>/audit/",
                wrap(self.audit_view),
                name="recertification_report_audit",
            ),
            path(
                "<int:pk>/documents/<int:file_pk>/",
                wrap(self.document_view),
                name="recertification_report_document",
            ),
            path(
                "<int:pk>/scanned-report/",
                wrap(self.scanned_report_view),
                name="recertification_report_scan",
            ),
        ]

    def _report(self, request, pk) -> Report:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Report.objects.select_related("member", "decided_by"), pk=pk)

    @method_decorator(csp_update({"frame-src": ["'self'"]}))
    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            raise Http404("No such report") from None
        report = self._report(request, pk)
        return TemplateResponse(
            request,
            "admin/recertification/report/review.html",
            self.review_context(request, report),
        )

    def review_context(self, request, report: Report) -> dict[str, Any]:
        scored = scored_report(report)
        decisions = {d.entry_id: d for d in AuditDecision.objects.filter(report=report)}
        invoices = report_invoices(report)
        paid = invoices_paid(invoices)
        tables = _tables(report, scored, decisions)
        auditing = report.status == S.AUDIT
        entry_ids = [line.entry.pk for line in scored.lines if not line.auto]
        history = _history(report, scored, entry_ids=entry_ids, invoices=invoices)
        blocker = approval_blocker(report, paid=paid) if report.status in APPROVABLE else ""
        actions = available_actions(report, request.user, paid)
        if blocker:
            actions = [a for a in actions if a.name != "approve"]
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Report {report.pk}: {scored.report.designations} {report.member.display_name}",
            "report": report,
            "scored": scored,
            "tables": tables,
            "subtotals": rules.progress(scored.program, scored.result),
            "audited": audited_score(report) if auditing and decisions else None,
            "invoices": invoices,
            "paid": paid,
            "history": history,
            "actions": actions,
            "approve_blocker": blocker,
            "can_decide": auditing and ACTIONS["clear_audit"].allowed(request.user),
            "undecided": sum(1 for i in entry_ids if i not in decisions),
            "snapshot_total": (report.snapshot or {}).get("total"),
            # Corrections on the member's behalf: entries only while the report takes them.
            "correcting": can_correct(request.user),
            "correct_entries": report.is_editable and can_correct(request.user),
        }

    def action_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        found = ACTIONS.get(action)
        if found is None:
            raise Http404("No such action")
        report = self._report(request, pk)
        if not found.allowed(request.user):
            raise PermissionDenied
        form = forms.Form(request.POST or None)
        form.fields["reason"] = reason_field(found.reason_required)
        if request.method == "POST" and form.is_valid():
            try:
                found.run(report=report, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                self.message_user(
                    request, f"Report {report.pk}: {found.label.lower()} done.", messages.SUCCESS
                )
                return redirect("admin:recertification_report_change", report.pk)
        return form_page(self, request, [report], form, found.label, found.explanation)

    def audit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Every entry of a report under audit on one form: accept or reject each, one submit."""
        report = self._report(request, pk)
        if not ACTIONS["clear_audit"].allowed(request.user):
            raise PermissionDenied
        program = rules.get_program(report.program)
        # The entries in the order they were made, each with its files (one query each).
        prefetch_related_objects([report], ENTRIES_PREFETCH)
        entries = list(report.entries.all())
        existing = {d.entry_id: d for d in AuditDecision.objects.filter(report=report)}
        initial = [
            {
                "entry": e.pk,
                "decision": existing[e.pk].decision if e.pk in existing else "",
                "reason": existing[e.pk].reason if e.pk in existing else "",
            }
            for e in entries
        ]
        formset = AuditFormSet(request.POST or None, initial=initial, prefix="audit")
        by_pk = {e.pk: e for e in entries}
        if request.method == "POST" and formset.is_valid():
            chosen = [f.cleaned_data for f in formset.forms if f.cleaned_data.get("decision")]
            try:
                if any(row["entry"] not in by_pk for row in formset.cleaned_data if row):
                    raise ValidationError("That entry is not part of this report.")
                audit_entries_decide(
                    report=report,
                    decisions=[
                        (by_pk[row["entry"]], row["decision"], row.get("reason", ""))
                        for row in chosen
                    ],
                    actor=request.user,
                )
            except ValidationError as error:
                formset._non_form_errors = formset.error_class(error.messages)
            else:
                self.message_user(
                    request,
                    f"Report {report.pk}: {len(chosen)} decision{'s' if len(chosen) != 1 else ''} "
                    "saved.",
                    messages.SUCCESS,
                )
                return redirect("admin:recertification_report_change", report.pk)
        rows = []
        for form in formset.forms:
            entry = by_pk.get(form.initial.get("entry") or _posted_entry(form))
            rows.append(
                {
                    "form": form,
                    "entry": entry,
                    "pairs": entry_pairs(entry, program) if entry else [],
                    "documents": _documents(report, entry.attached_files) if entry else [],
                }
            )
        return TemplateResponse(
            request,
            "admin/recertification/report/audit.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Audit of report {report.pk}: {report.member.display_name}",
                "report": report,
                "formset": formset,
                "rows": rows,
            },
        )

    @method_decorator(xframe_options_sameorigin)
    @method_decorator(csp_replace({"frame-ancestors": ["'self'"], "object-src": ["'self'"]}))
    def document_view(self, request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
        """An entry's document for staff: PDF, PNG and JPEG inline (when the file is what its type
        says), any other file as a download; never sniffed by the browser, never cached."""
        report = self._report(request, pk)
        document = get_object_or_404(EntryFile, pk=file_pk, entry__reports=report)
        try:
            handle = document.file.open("rb")
        except OSError:
            raise Http404("The file is not available") from None
        start = handle.read(16)
        handle.seek(0)
        signatures = _SIGNATURES.get(document.content_type, ())
        inline = any(start.startswith(sig) for sig in signatures)
        response = FileResponse(
            handle,
            as_attachment=not inline,
            filename=document.original_name or "document",
            content_type=document.content_type if inline else "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def scanned_report_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = self._report(request, pk)
        if not report.scanned_report:
            raise Http404("This report has no scanned file")
        try:
            handle = report.scanned_report.open("rb")
        except OSError:
            raise Http404("The file is not available") from None
        response = FileResponse(
            handle, as_attachment=True, filename=report.scanned_report_name or "paper-report"
        )
        response["Cache-Control"] = "private, no-store"
        return response
