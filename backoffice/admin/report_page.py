"""A report's review page: its entries and score, invoices, history, and the decisions on it.

The page shows the buttons this user may use; each opens the action's form (with a reason where
the member is affected) and calls one back-office function, which locks, checks, logs and emails.
Audit decisions on single entries and the download of a paper report's scan are here too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from core.admin_helpers import audit_changes, reason_field
from recertification import rules
from recertification.models import AuditDecision, Entry, Report
from recertification.selectors import ScoredReport, scored_report

from ..audits import audit_entry_decide
from ..invoices import invoices_paid, report_invoices
from ..review import APPROVABLE, approval_blocker, report_history
from .report_actions import ACTIONS, available_actions, form_page

S = Report.Status


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=AuditDecision.Decision.choices, widget=forms.RadioSelect, label="Documents"
    )
    reason = reason_field(
        required=False, help_text="Required when rejecting: the member sees it if the audit fails."
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("decision") == AuditDecision.Decision.REJECTED
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", "Give the reason for rejecting the entry.")
        return data


def _lines(scored: ScoredReport, decisions: dict[int, AuditDecision]) -> list[dict[str, Any]]:
    """The scored lines of the page, each with its category label, audit decision and files."""
    categories = {c.code: c.label for c in scored.program.categories}
    return [
        {
            "line": line,
            "category": categories.get(line.kind.category, line.kind.category),
            "decision": None if line.auto else decisions.get(line.entry.pk),
            "files": [] if line.auto else line.entry.attached_files,
        }
        for line in scored.lines
    ]


def _history(
    report: Report, scored: ScoredReport, *, entry_ids: list[int], invoices: list
) -> list[dict[str, Any]]:
    """The report's history, newest first, each record with the changes it made."""
    return [
        {"log": log, "changes": audit_changes(log.before, log.after)}
        for log in report_history(
            report,
            entry_ids=entry_ids,
            invoice_ids=[i.pk for i in invoices],
            credential_ids=[c.pk for c in scored.credentials],
        )
    ]


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
                "<int:pk>/entries/<int:entry_pk>/audit/",
                wrap(self.audit_entry_view),
                name="recertification_report_audit_entry",
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
        lines = _lines(scored, decisions)
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
            "lines": lines,
            "invoices": invoices,
            "paid": paid,
            "history": history,
            "actions": actions,
            "approve_blocker": blocker,
            "can_decide": report.status == S.AUDIT and ACTIONS["clear_audit"].allowed(request.user),
            "undecided": sum(1 for i in entry_ids if i not in decisions),
            "snapshot_total": (report.snapshot or {}).get("total"),
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

    def audit_entry_view(self, request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
        report = self._report(request, pk)
        if not ACTIONS["clear_audit"].allowed(request.user):
            raise PermissionDenied
        entry = get_object_or_404(
            Entry.objects.prefetch_related("files"), pk=entry_pk, reports=report
        )
        existing = AuditDecision.objects.filter(report=report, entry=entry).first()
        initial = {"decision": existing.decision, "reason": existing.reason} if existing else {}
        form = DecisionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                audit_entry_decide(
                    report=report,
                    entry=entry,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                self.message_user(request, "Decision saved.", messages.SUCCESS)
                return redirect("admin:recertification_report_change", report.pk)
        kind = rules.get_program(entry.program).kind(entry.kind)
        return form_page(
            self,
            request,
            [report],
            form,
            f"Audit: {kind.short} ({entry.date or entry.year})",
            "Accept the entry when its documents support it; reject it with a reason otherwise.",
            entry=entry,
        )

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
