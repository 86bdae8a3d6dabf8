"""The staff side of recertification: the review queue, a report's review page and its actions.

Nothing here changes a report directly: every button and bulk action opens a small form (with a
reason where the member is affected) and calls one function of `backoffice.services`, which
locks, checks, logs and emails. Lists use EXISTS subqueries, not joins, so rows never repeat and
the number of queries per page does not grow with the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.admin_helpers import (
    CSV_CHUNK,
    AuditedAdminMixin,
    ReadOnlyAdminMixin,
    audit_changes,
    chunked,
    csv_response,
    reason_field,
)
from members.models import Credential
from recertification import rules
from recertification.models import AuditDecision, Entry, ProgramSettings, Report, ReportCredential
from recertification.selectors import scored_report

from .. import services as staff

S = Report.Status
BULK_LIMIT = 200


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _fmt(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        return timezone.localtime(day).strftime("%Y-%m-%d %H:%M")
    return day.isoformat()


# --- the review queue: filters ------------------------------------------------------------------


class QueueStatusFilter(admin.SimpleListFilter):
    """Defaults to the review queue: submitted reports not yet approved or returned."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("queue", "Review queue (submitted, undecided)"), *S.choices, ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "queue"
        if value == "queue":
            return queryset.filter(status__in=staff.QUEUE_STATUSES)
        if value in S.values:
            return queryset.filter(status=value)
        return queryset

    def choices(self, changelist):
        value = self.value() or "queue"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class DesignationFilter(admin.SimpleListFilter):
    title = "designation"
    parameter_name = "designation"

    def lookups(self, request, model_admin):
        return [(code, code) for p in rules.programs() for code in p.credentials]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(
                ReportCredential.objects.filter(
                    report=OuterRef("pk"), credential__designation=self.value()
                )
            )
        )


class PaidFilter(admin.SimpleListFilter):
    title = "paid"
    parameter_name = "paid"

    def lookups(self, request, model_admin):
        return [("yes", "Paid"), ("waived", "Fee waived"), ("no", "Not paid")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(staff.paid_condition())
        if self.value() == "waived":
            return queryset.filter(fee_waived=True)
        if self.value() == "no":
            return queryset.exclude(staff.paid_condition()).filter(fee_waived=False)
        return queryset


# --- actions on reports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportAction:
    name: str
    label: str
    permission: str  # codename in this app
    reason_required: bool
    explanation: str
    run: Callable[..., Report]

    def allowed(self, user) -> bool:
        return user.has_perm(f"recertification.{self.permission}")


def _approve(*, report: Report, actor, reason: str) -> Report:
    if report.is_paper:
        return staff.paper_report_approve(report=report, actor=actor, reason=reason)
    return staff.report_approve(report=report, actor=actor, reason=reason)


ACTIONS: dict[str, ReportAction] = {
    a.name: a
    for a in [
        ReportAction(
            "approve",
            "Approve",
            "approve_report",
            False,
            "Approval renews the credential (a lapsed one is reinstated): status Renew, renewed "
            "today, the next cycle from the day after this one ends. The member is emailed and can "
            "enter points for the new cycle at once.",
            _approve,
        ),
        ReportAction(
            "return",
            "Return for correction",
            "return_report",
            True,
            "The report opens again for the member, who is emailed this reason.",
            staff.report_return,
        ),
        ReportAction(
            "waive_fee",
            "Waive fee",
            "waive_fee",
            True,
            "The open invoice is cancelled (a correction invoice records it) and the report goes "
            "on to review as if paid.",
            staff.report_waive_fee,
        ),
        ReportAction(
            "select_audit",
            "Select for audit",
            "audit_report",
            True,
            "The member is asked for documents for each entry (“Audit: documents needed”) once "
            "the fee is paid.",
            staff.report_select_for_audit,
        ),
        ReportAction(
            "clear_audit",
            "Clear audit",
            "audit_report",
            False,
            "Every entry must be accepted or rejected first; the accepted ones must still meet "
            "the requirement. The report goes back to review.",
            staff.audit_clear,
        ),
        ReportAction(
            "fail_audit",
            "Fail audit",
            "audit_report",
            True,
            "The report is returned to the member, who is emailed this reason.",
            staff.audit_fail,
        ),
    ]
}


def available_actions(report: Report, user, paid: bool) -> list[ReportAction]:
    """The buttons a report's page shows this user."""
    names = []
    if report.status in staff.APPROVABLE:
        names.append("approve")
    if report.status in staff.RETURNABLE:
        names.append("return")
    if report.status in staff.RETURNABLE and not (report.fee_waived or paid):
        names.append("waive_fee")
    if report.status in staff.APPROVABLE and not (
        report.selected_for_audit and report.audit_outcome == ""
    ):
        names.append("select_audit")
    if report.status == S.AUDIT:
        names += ["clear_audit", "fail_audit"]
    return [ACTIONS[n] for n in names if ACTIONS[n].allowed(user)]


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


# --- the review queue and page ------------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "member",
        "member_number",
        "designation_list",
        "program",
        "status",
        "submitted_at",
        "points",
        "paid",
        "selected_for_audit",
        "is_paper",
    ]
    list_display_links = ["id", "member"]
    list_filter = [
        QueueStatusFilter,
        "program",
        DesignationFilter,
        ("submitted_at", admin.DateFieldListFilter),
        PaidFilter,
        "selected_for_audit",
        "audit_outcome",
        "is_paper",
    ]
    search_fields = ["member__last_name", "member__email", "member__member_number"]
    search_help_text = "Name, email, member number or invoice number."
    list_select_related = ["member"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["-submitted_at", "-id"]
    actions = [
        "export_csv",
        "bulk_approve",
        "bulk_return",
        "bulk_waive_fee",
        "bulk_select_audit",
        "bulk_clear_audit",
    ]

    # --- permissions: each action needs its own --------------------------------------------------

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # reports change only through the actions below

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_approve_permission(self, request) -> bool:
        return ACTIONS["approve"].allowed(request.user)

    def has_return_permission(self, request) -> bool:
        return ACTIONS["return"].allowed(request.user)

    def has_waive_permission(self, request) -> bool:
        return ACTIONS["waive_fee"].allowed(request.user)

    def has_audit_permission(self, request) -> bool:
        return ACTIONS["select_audit"].allowed(request.user)

    # --- the list -----------------------------------------------------------------------------------

    def action_checkbox(self, obj):
        """Django's row checkbox, made with format_html: the same HTML as its CheckboxInput
        widget, without a trip through the form template engine for each of the 50 rows."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("snapshot", "return_reason")
            .annotate(is_paid=staff.paid_column())
            .prefetch_related(
                Prefetch(
                    "credentials", queryset=Credential.objects.only("id", "designation", "program")
                )
            )
        )

    def get_search_results(self, request, queryset, search_term):
        # Each word picks the lookups it can match, so most searches are index lookups; none
        # joins a many-valued relation, so no row repeats.
        for word in search_term.split()[:5]:
            if staff.looks_like_invoice_number(word):
                condition = staff.invoice_number_condition(word)
            elif word.isdigit():
                condition = Q(member__member_number=word)
                if not staff.invoice_numbers_have_prefix():
                    condition |= staff.invoice_number_condition(word)
            elif "@" in word:
                condition = Q(member__email__icontains=word)
            else:
                condition = (
                    Q(member__first_name__icontains=word)
                    | Q(member__last_name__icontains=word)
                    | Q(member__email__icontains=word)
                )
            queryset = queryset.filter(condition)
        return queryset, False

    @admin.display(description="member number", ordering="member__member_number")
    def member_number(self, report: Report) -> str:
        return report.member.member_number

    @admin.display(description="designation")
    def designation_list(self, report: Report) -> str:
        return report.designations

    @admin.display(description="points", ordering="points_counted")
    def points(self, report: Report) -> str:
        if report.points_counted is None:
            return "–"
        return f"{rules.format_decimal(report.points_counted)} / {rules.format_decimal(report.points_required)}"

    @admin.display(description="paid", boolean=True, ordering="is_paid")
    def paid(self, report: Report) -> bool:
        return bool(getattr(report, "is_paid", False)) or report.fee_waived

    # --- URLs ------------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export.csv", wrap(self.export_view), name="recertification_report_export"),
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
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"export_query": request.GET.urlencode(), **(extra_context or {})}
        return super().changelist_view(request, extra)

    # --- the review page ---------------------------------------------------------------------------

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
        invoices = staff.report_invoices(report)
        paid = staff.invoices_paid(invoices)
        categories = {c.code: c.label for c in scored.program.categories}
        lines = [
            {
                "line": line,
                "category": categories.get(line.kind.category, line.kind.category),
                "decision": None if line.auto else decisions.get(line.entry.pk),
                "files": [] if line.auto else line.entry.attached_files,
            }
            for line in scored.lines
        ]
        entry_ids = [line.entry.pk for line in scored.lines if not line.auto]
        history = [
            {"log": log, "changes": audit_changes(log.before, log.after)}
            for log in staff.report_history(
                report,
                entry_ids=entry_ids,
                invoice_ids=[i.pk for i in invoices],
                credential_ids=[c.pk for c in scored.credentials],
            )
        ]
        blocker = (
            staff.approval_blocker(report, paid=paid) if report.status in staff.APPROVABLE else ""
        )
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
        return self._form_page(request, [report], form, found.label, found.explanation)

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
                staff.audit_entry_decide(
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
        return self._form_page(
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

    def _form_page(self, request, reports, form, title, explanation, **extra) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/recertification/report/action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "reports": reports,
                "form": form,
                "explanation": explanation,
                **extra,
            },
        )

    # --- bulk actions from the queue: the same form, then each report in turn ---------------------

    def _bulk(self, request, queryset, name: str):
        action = ACTIONS[name]
        if not action.allowed(request.user):
            raise PermissionDenied
        count = queryset.count()
        if count > BULK_LIMIT:
            self.message_user(
                request,
                f"Select at most {BULK_LIMIT} reports at a time ({count} selected).",
                messages.WARNING,
            )
            return None
        form = forms.Form(request.POST if "apply" in request.POST else None)
        form.fields["reason"] = reason_field(action.reason_required)
        if form.is_bound and form.is_valid():
            done, refused = 0, []
            for report in queryset.order_by("pk"):
                try:
                    action.run(
                        report=report, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except ValidationError as error:
                    refused.append(f"report {report.pk}: {' '.join(error.messages)}")
            self.message_user(request, f"{action.label}: {done} report(s) done.", messages.SUCCESS)
            if refused:
                self.message_user(request, "Not done – " + "; ".join(refused), messages.WARNING)
            return None
        return self._form_page(
            request,
            list(queryset.select_related("member").order_by("pk")),
            form,
            f"{action.label}: {count} report(s)",
            action.explanation,
            bulk_action=f"bulk_{name}",
        )

    @admin.action(description="Approve selected reports", permissions=["approve"])
    def bulk_approve(self, request, queryset):
        return self._bulk(request, queryset, "approve")

    @admin.action(description="Return selected reports for correction", permissions=["return"])
    def bulk_return(self, request, queryset):
        return self._bulk(request, queryset, "return")

    @admin.action(description="Waive the fee of selected reports", permissions=["waive"])
    def bulk_waive_fee(self, request, queryset):
        return self._bulk(request, queryset, "waive_fee")

    @admin.action(description="Select for audit", permissions=["audit"])
    def bulk_select_audit(self, request, queryset):
        return self._bulk(request, queryset, "select_audit")

    @admin.action(description="Clear audit of selected reports", permissions=["audit"])
    def bulk_clear_audit(self, request, queryset):
        return self._bulk(request, queryset, "clear_audit")

    # --- CSV ----------------------------------------------------------------------------------------

    QUEUE_HEADER = [
        "report",
        "member_number",
        "last_name",
        "first_name",
        "email",
        "program",
        "designations",
        "cycle_start",
        "cycle_end",
        "status",
        "submitted_at",
        "points_counted",
        "points_required",
        "paid",
        "fee_waived",
        "selected_for_audit",
        "audit_outcome",
        "paper",
        "decided_at",
    ]

    QUEUE_FIELDS = [
        "pk",
        "member__member_number",
        "member__last_name",
        "member__first_name",
        "member__email",
        "program",
        "cycle_start",
        "cycle_end",
        "status",
        "submitted_at",
        "points_counted",
        "points_required",
        "is_paid",
        "fee_waived",
        "selected_for_audit",
        "audit_outcome",
        "is_paper",
        "decided_at",
    ]

    def queue_rows(self, queryset) -> Iterator[list[Any]]:
        """Plain values in chunks, with one query per chunk for the designations."""
        statuses = dict(S.choices)
        # Every row is read here, so one pass over the paid invoices (EXISTS) beats a lookup per row.
        values = (
            queryset.prefetch_related(None)
            .annotate(is_paid=staff.paid_condition())
            .values_list(*self.QUEUE_FIELDS)
        )
        for chunk in chunked(values.iterator(chunk_size=CSV_CHUNK), CSV_CHUNK):
            designations: dict[int, list[str]] = {}
            links = ReportCredential.objects.filter(report_id__in=[r[0] for r in chunk])
            for report_id, code in links.values_list("report_id", "credential__designation"):
                designations.setdefault(report_id, []).append(code)
            for (pk, number, last, first, email, program, start, end, status, submitted,
                 counted, required, paid, waived, audit, outcome, paper, decided) in chunk:  # fmt: skip
                yield [
                    pk, number, last, first, email, program,
                    " + ".join(sorted(designations.get(pk, []))),
                    start, end, statuses.get(status, status), _fmt(submitted), counted, required,
                    _yes(paid), _yes(waived), _yes(audit), outcome, _yes(paper), _fmt(decided),
                ]  # fmt: skip

    def _export(self, queryset) -> HttpResponse:
        stamp = timezone.localdate().isoformat()
        return csv_response(
            f"review-queue-{stamp}.csv", self.QUEUE_HEADER, self.queue_rows(queryset)
        )

    @admin.action(description="Export selected reports to CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(queryset)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The queue as filtered and searched on screen, every page of it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._export(self.get_changelist_instance(request).queryset)


# --- other recertification records: read-only lists ---------------------------------------------


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "member", "program", "kind", "date", "year", "quantity", "created_at"]
    list_filter = ["program", "category"]
    search_fields = ["member__member_number", "member__email", "kind", "organization"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    exclude = ["reports"]
    ordering = ["-id"]


@admin.register(AuditDecision)
class AuditDecisionAdmin(ReadOnlyAdmin):
    list_display = ["report", "entry", "decision", "reason", "decided_by", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["report", "entry", "decided_by"]
    ordering = ["-decided_at"]

    def get_queryset(self, request):
        # A report's name lists its designations: read them for the page, not per row.
        return super().get_queryset(request).prefetch_related("report__credentials")


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Fees and the audit share, changed by finance (fees) with a reason."""

    list_display = [
        "program",
        "currency",
        "recertification_fee",
        "late_fee",
        "extension_fee",
        "reinstatement_fee",
        "audit_rate",
        "updated_at",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        # The audit share belongs to reviewers' work; finance changes the fees.
        if request.user.has_perm("recertification.audit_report"):
            return []
        return ["audit_rate"]
