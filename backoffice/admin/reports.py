"""Recertification in the staff admin: ReportAdmin, and the other recertification records.

ReportAdmin is the review queue (`queue`: the changelist, its bulk actions and CSV) and a report's
review page (`report_page`), over the decisions both share (`report_actions`). Reports change only
through those decisions, never the admin's own forms. Entries and audit decisions are read-only
lists; ProgramSettings holds the fees and the audit share, changed with a reason.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from core.admin_helpers import AuditedAdminMixin, AuditHistoryMixin, ReadOnlyAdminMixin
from recertification import rules
from recertification.entry_details import entry_pairs, kind_and_category
from recertification.models import AuditDecision, Entry, ProgramSettings, Report

from .dashboard import dashboard_urls
from .queue import ReportQueueMixin
from .report_page import ReportPageMixin


@admin.register(Report)
class ReportAdmin(AuditHistoryMixin, ReportQueueMixin, ReportPageMixin, admin.ModelAdmin):
    """The review queue and page; each action needs its own permission."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # reports change only through the actions

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            *dashboard_urls(self),
            *self.queue_urls(),
            *self.page_urls(),
            *super().get_urls(),
        ]


# --- other recertification records: read-only lists ---------------------------------------------


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False


class EntryCategoryFilter(admin.SimpleListFilter):
    """The categories of every program, by their labels."""

    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [
            (category.code, f"{program.name}: {category.label}")
            for program in rules.programs()
            for category in program.categories
        ]

    def queryset(self, request, queryset):
        return queryset.filter(category=self.value()) if self.value() else queryset


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """Entries as members made them, in the words members read: the kind and category by their
    labels, the details by the declaration's field labels (recertification.entry_details)."""

    list_display = [
        "id",
        "member",
        "program",
        "kind_label",
        "date",
        "year",
        "quantity",
        "created_at",
    ]
    list_filter = ["program", EntryCategoryFilter]
    search_fields = ["member__member_number", "member__email", "organization"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    exclude = ["reports", "kind", "category", "details", "year_key"]
    readonly_fields = ["kind_label", "category_label", "details_text"]
    ordering = ["-id"]

    @admin.display(description="kind", ordering="kind")
    def kind_label(self, entry: Entry) -> str:
        return kind_and_category(entry.program, entry.kind)[0]

    @admin.display(description="category")
    def category_label(self, entry: Entry) -> str:
        return kind_and_category(entry.program, entry.kind)[1]

    @admin.display(description="what the member entered")
    def details_text(self, entry: Entry) -> str:
        return "; ".join(f"{label}: {value}" for label, value in entry_pairs(entry)[1:] if value)


@admin.register(AuditDecision)
class AuditDecisionAdmin(ReadOnlyAdmin):
    list_display = ["report", "entry", "decision", "reason", "decided_by", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["report", "entry", "decided_by"]
    ordering = ["-decided_at"]

    def get_queryset(self, request):
        # A report's name lists its designations: read them for the page, not per row.
        return super().get_queryset(request).prefetch_related("report__credentials")


class ProgramSettingsForm(forms.ModelForm):
    """The currency is an ISO 4217 code (core.currencies), saved in capitals."""

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Fees and the audit share, changed by finance (fees) with a reason."""

    form = ProgramSettingsForm

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
        # The audit share and the review turnaround belong to reviewers' work; finance changes
        # the fees.
        if request.user.has_perm("recertification.audit_report"):
            return []
        return ["audit_rate", "review_turnaround_days"]
