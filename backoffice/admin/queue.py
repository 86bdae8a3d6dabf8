"""The review queue: the reports changelist with its filters, columns, search, bulk actions and CSV.

Nothing here changes a report directly: a bulk action opens the action's form (with a reason where
the member is affected), then runs it on each selected report in turn. Lists use EXISTS
subqueries, not joins, so rows never repeat and the number of queries per page does not grow with
the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone

from core.admin_helpers import CSV_CHUNK, chunked, csv_response, export_listed, reason_field
from members.models import Credential, readable_credentials
from recertification import rules
from recertification.models import ProgramSettings, Report, ReportCredential

from ..assignment import assignable_staff, report_assign
from ..audits import files_since_selection
from ..invoices import (
    invoice_number_condition,
    invoice_numbers_have_prefix,
    looks_like_invoice_number,
    paid_column,
    paid_condition,
)
from ..review import QUEUE_STATUSES
from .report_actions import ACTIONS, form_page

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


# --- filters --------------------------------------------------------------------------------------


class QueueStatusFilter(admin.SimpleListFilter):
    """Defaults to the review queue: submitted reports not yet approved or returned."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("queue", "Review queue (submitted, undecided)"), *S.choices, ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "queue"
        if value == "queue":
            return queryset.filter(status__in=QUEUE_STATUSES)
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
            return queryset.filter(paid_condition())
        if self.value() == "waived":
            return queryset.filter(fee_waived=True)
        if self.value() == "no":
            return queryset.exclude(paid_condition()).filter(fee_waived=False)
        return queryset


def _audit_pending() -> Q:
    return Q(selected_for_audit=True, audit_outcome="")


def documents_received_condition() -> Q:
    """Reports under audit whose member uploaded documents since the selection (for filters)."""
    return _audit_pending() & Q(Exists(files_since_selection()))


def documents_received_column() -> Case:
    """The column for the rows shown: looked up only for reports under audit, by index."""
    return Case(
        When(
            _audit_pending(),
            then=Exists(files_since_selection()),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


class DocumentsFilter(admin.SimpleListFilter):
    """Reports under audit with documents uploaded since the selection, or still waiting."""

    title = "audit documents"
    parameter_name = "documents"

    def lookups(self, request, model_admin):
        return [("received", "Documents received"), ("waiting", "Waiting for documents")]

    def queryset(self, request, queryset):
        if self.value() == "received":
            return queryset.filter(documents_received_condition())
        if self.value() == "waiting":
            return queryset.filter(_audit_pending()).exclude(Exists(files_since_selection()))
        return queryset


def turnarounds(found: dict[str, ProgramSettings] | None = None) -> dict[str, int]:
    """Each program's promised review turnaround in days (ProgramSettings, else the default);
    `found`: the settings already read, by program."""
    if found is None:
        found = {
            s.program: s for s in ProgramSettings.objects.only("program", "review_turnaround_days")
        }
    default = ProgramSettings._meta.get_field("review_turnaround_days").default
    return {
        p.code: found[p.code].review_turnaround_days if p.code in found else default
        for p in rules.programs()
    }


def overdue_condition(now: dt.datetime, days: dict[str, int]) -> Q:
    """Reports in the queue waiting longer than their program's turnaround."""
    condition = Q(pk__in=[])
    for program, limit in days.items():
        condition |= Q(program=program, submitted_at__lt=now - dt.timedelta(days=limit))
    return Q(status__in=QUEUE_STATUSES) & condition


class WaitingFilter(admin.SimpleListFilter):
    """Reports waiting longer than the turnaround staff promise (ProgramSettings)."""

    title = "waiting"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("overdue", "Longer than the promised turnaround")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(overdue_condition(timezone.now(), turnarounds()))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    """ "My queue": the signed-in reviewer's open reports; "Unassigned": nobody's."""

    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "My queue (assigned to me, open)"), ("none", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user, status__in=QUEUE_STATUSES)
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class AssigneeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} ({obj.username})"


def assign_form(data=None) -> forms.Form:
    form = forms.Form(data)
    form.fields["assignee"] = AssigneeChoice(
        queryset=assignable_staff(),
        required=False,
        empty_label="Nobody (unassign)",
        label="Assign to",
    )
    form.fields["reason"] = reason_field(False)
    return form


ASSIGN_EXPLANATION = (
    "The report shows in the reviewer's “My queue”. The change is kept in the report's "
    "history with who made it and the note."
)


# --- the queue ------------------------------------------------------------------------------------


class QueueChangeList(ChangeList):
    """The queue's page of reports reads only what its rows show (ReportQueueMixin.ROW_FIELDS);
    the filtered queryset the actions and the CSV export use keeps every field."""

    def get_results(self, request):
        super().get_results(request)
        # The page's designations come as (report, designation) rows, not Credential instances.
        page = list(self.result_list.prefetch_related(None).only(*self.model_admin.ROW_FIELDS))
        named: dict[int, list[str]] = {report.pk: [] for report in page}
        links = ReportCredential.objects.filter(
            readable_credentials("credential__"), report_id__in=named
        ).values_list("report_id", "credential__designation")
        for report_id, designation in links:
            named[report_id].append(designation)
        for report in page:
            report.known_designations = " + ".join(sorted(named[report.pk]))
        self.result_list = page


class ReportQueueMixin:
    """The changelist of ReportAdmin: what the queue lists, how it is searched and exported."""

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
        "documents",
        "is_paper",
        "assignee",
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
        AssignedFilter,
        DocumentsFilter,
        WaitingFilter,
    ]
    search_fields = ["member__last_name", "member__email", "member__member_number"]
    search_help_text = "Name, email, member number or invoice number."
    list_select_related = ["member", "assigned_to"]
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
        "bulk_assign",
    ]

    # What a row shows: its columns and the report's name (designations and cycle) in the label
    # of its checkbox. A column reading another field must add it here, or each row costs a query
    # (tests/staff/test_list_query_counts.py).
    ROW_FIELDS = (
        "id",
        "program",
        "status",
        "submitted_at",
        "points_counted",
        "points_required",
        "fee_waived",
        "selected_for_audit",
        "is_paper",
        "cycle_start",
        "cycle_end",
        "member",
        "member__first_name",
        "member__last_name",
        "member__member_number",
        "member__username",
        "assigned_to",
        "assigned_to__username",
    )

    # --- the list -----------------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("snapshot", "return_reason")
            .annotate(is_paid=paid_column(), documents_received=documents_received_column())
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
            if looks_like_invoice_number(word):
                condition = invoice_number_condition(word)
            elif word.isdigit():
                condition = Q(member__member_number=word)
                if not invoice_numbers_have_prefix():
                    condition |= invoice_number_condition(word)
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

    @admin.display(description="audit documents", ordering="documents_received")
    def documents(self, report: Report) -> str:
        return "documents received" if getattr(report, "documents_received", False) else ""

    @admin.display(description="assigned to", ordering="assigned_to__username")
    def assignee(self, report: Report) -> str:
        return report.assigned_to.username if report.assigned_to_id else ""

    def queue_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("export.csv", wrap(self.export_view), name="recertification_report_export"),
            path("<int:pk>/assign/", wrap(self.assign_view), name="recertification_report_assign"),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"export_query": request.GET.urlencode(), **(extra_context or {})}
        return super().changelist_view(request, extra)

    # --- bulk actions from the queue: the same form, then each report in turn ---------------------

    def has_approve_permission(self, request) -> bool:
        return ACTIONS["approve"].allowed(request.user)

    def has_return_permission(self, request) -> bool:
        return ACTIONS["return"].allowed(request.user)

    def has_waive_permission(self, request) -> bool:
        return ACTIONS["waive_fee"].allowed(request.user)

    def has_audit_permission(self, request) -> bool:
        return ACTIONS["select_audit"].allowed(request.user)

    def has_assign_permission(self, request) -> bool:
        """Whoever decides reports (reviewers, administrators) shares them out."""
        return ACTIONS["approve"].allowed(request.user)

    # --- assignment: the bulk action and the report page's form --------------------------------

    @admin.action(description="Assign to…", permissions=["assign"])
    def bulk_assign(self, request, queryset):
        if not self.has_assign_permission(request):
            raise PermissionDenied

        def assign(report: Report, data: dict) -> None:
            report_assign(
                report=report, assignee=data["assignee"], actor=request.user, reason=data["reason"]
            )

        def summary(done: int, data: dict) -> str:
            who = data["assignee"].username if data["assignee"] else "nobody"
            return f"{done} report(s) assigned to {who}."

        return self._each_selected(
            request,
            queryset,
            assign_form(request.POST if "apply" in request.POST else None),
            label="Assign to",
            explanation=ASSIGN_EXPLANATION,
            bulk_action="bulk_assign",
            run=assign,
            summary=summary,
        )

    def assign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not (self.has_view_permission(request) and self.has_assign_permission(request)):
            raise PermissionDenied
        report = get_object_or_404(Report.objects.select_related("member"), pk=pk)
        form = assign_form(request.POST if request.method == "POST" else None)
        if not form.is_bound:
            form.initial = {"assignee": report.assigned_to_id}
        if form.is_bound and form.is_valid():
            try:
                report_assign(
                    report=report, assignee=form.cleaned_data["assignee"], actor=request.user,
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                self.message_user(
                    request, f"Report {report.pk}: assignment saved.", messages.SUCCESS
                )
                return redirect("admin:recertification_report_change", report.pk)
        return form_page(self, request, [report], form, "Assign to…", ASSIGN_EXPLANATION)

    def _each_selected(
        self,
        request,
        queryset,
        form,
        *,
        label: str,
        explanation: str,
        bulk_action: str,
        run: Callable[[Report, dict], None],
        summary: Callable[[int, dict], str],
    ) -> HttpResponse | None:
        """A bulk action: at most BULK_LIMIT reports; its form first, then `run` on each report
        in turn. A report the action refuses is named in a warning; the others go ahead."""
        count = queryset.count()
        if count > BULK_LIMIT:
            self.message_user(
                request,
                f"Select at most {BULK_LIMIT} reports at a time ({count} selected).",
                messages.WARNING,
            )
            return None
        if not (form.is_bound and form.is_valid()):
            return form_page(
                self,
                request,
                list(queryset.select_related("member").order_by("pk")),
                form,
                f"{label}: {count} report(s)",
                explanation,
                bulk_action=bulk_action,
            )
        done, refused = 0, []
        for report in queryset.order_by("pk"):
            try:
                run(report, form.cleaned_data)
                done += 1
            except ValidationError as error:
                refused.append(f"report {report.pk}: {' '.join(error.messages)}")
        self.message_user(request, summary(done, form.cleaned_data), messages.SUCCESS)
        if refused:
            self.message_user(request, "Not done – " + "; ".join(refused), messages.WARNING)
        return None

    def _bulk(self, request, queryset, name: str):
        action = ACTIONS[name]
        if not action.allowed(request.user):
            raise PermissionDenied
        form = forms.Form(request.POST if "apply" in request.POST else None)
        form.fields["reason"] = reason_field(action.reason_required)
        return self._each_selected(
            request,
            queryset,
            form,
            label=action.label,
            explanation=action.explanation,
            bulk_action=f"bulk_{name}",
            run=lambda report, data: action.run(
                report=report, actor=request.user, reason=data["reason"]
            ),
            summary=lambda done, data: f"{action.label}: {done} report(s) done.",
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
            .annotate(is_paid=paid_condition())
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
        return export_listed(self, request, self._export)
