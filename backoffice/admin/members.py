"""Staff pages for members, credentials and the records behind automatic points.

Every add and change asks for a reason and leaves an AuditLog row (AuditedAdminMixin); deleting
records goes through an action that asks for the reason. Lists filter through EXISTS subqueries
and skip the full count, so they stay quick with a hundred thousand members.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.admin_helpers import (
    AuditedAdminMixin,
    ReadOnlyAdminMixin,
    csv_response,
    reason_field,
)
from core.audit import log_action, snapshot
from members.models import CommitteeRecord, Credential, MembershipRecord, User
from recertification import rules

from .. import imports
from .paper import paper_report_view

# --- members --------------------------------------------------------------------------------------


class CredentialInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown for reference; a credential is changed on its own page, with a reason."""

    model = Credential
    extra = 0

    def get_queryset(self, request):
        return Credential.all_objects.select_related("holder")

    fields = [
        "program",
        "designation",
        "certified_since",
        "cycle_start",
        "cycle_end",
        "renewed_on",
        "status",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Records the portal cannot read (a program it does not know, or a designation of another
    program): member pages leave them out until staff correct them here."""

    title = "record"
    parameter_name = "record"

    def lookups(self, request, model_admin):
        return [("attention", "Needs attention")]

    def queryset(self, request, queryset):
        if self.value() == "attention":
            return queryset.unreadable()
        return queryset


class CredentialExistsFilter(admin.SimpleListFilter):
    """Members holding a credential with a given value, through EXISTS (no repeated rows)."""

    field = ""

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(Credential.objects.filter(holder=OuterRef("pk"), **{self.field: self.value()}))
        )


class HoldsProgramFilter(CredentialExistsFilter):
    title = "program"
    parameter_name = "program"
    field = "program"

    def lookups(self, request, model_admin):
        return [(p.code, p.name) for p in rules.programs()]


class HoldsStatusFilter(CredentialExistsFilter):
    title = "credential status"
    parameter_name = "credential_status"
    field = "status"

    def lookups(self, request, model_admin):
        return Credential.Status.choices


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = [
        "username",
        "member_number",
        "first_name",
        "last_name",
        "email",
        "organization",
        "is_staff",
    ]
    list_filter = [
        "is_staff",
        "is_superuser",
        "is_active",
        "groups",
        HoldsProgramFilter,
        HoldsStatusFilter,
    ]
    search_fields = ["username", "first_name", "last_name", "email", "=member_number"]
    ordering = ["last_name", "first_name"]
    readonly_fields = ["member_number", "last_login", "date_joined"]
    inlines = [CredentialInline]
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("username", "password", "member_number")}),
        (
            "Name and contact",
            {"fields": ("first_name", "last_name", "email", "phone", "organization")},
        ),
        ("Address", {"fields": ("street", "city", "state", "postal_code", "country")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def audit_member(self, obj):
        return obj

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts are deactivated (is_active), never deleted: history refers to them


# --- credentials ---------------------------------------------------------------------------------


@admin.register(Credential)
class CredentialAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "designation",
        "holder",
        "member_number",
        "program",
        "status",
        "cycle_start",
        "cycle_end",
        "renewed_on",
    ]
    list_filter = [
        NeedsAttentionFilter,
        "status",
        "program",
        "designation",
        ("cycle_end", admin.DateFieldListFilter),
    ]
    search_fields = [
        "holder__first_name",
        "holder__last_name",
        "holder__email",
        "=holder__member_number",
        "holder__username",
    ]
    search_help_text = "Name, email, username or exact member number."
    list_select_related = ["holder"]
    raw_id_fields = ["holder"]
    show_full_result_count = False
    ordering = ["-cycle_end", "id"]
    actions = ["export_roster"]
    ROSTER_HEADER = [
        "member_number",
        "last_name",
        "first_name",
        "email",
        "organization",
        "program",
        "designation",
        "status",
        "certified_since",
        "cycle_start",
        "cycle_end",
        "renewed_on",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # reports and history refer to credentials; set the status instead

    def get_queryset(self, request):
        # Every record, the ones member pages cannot read included: staff correct them here.
        queryset = Credential.all_objects.all()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    @admin.display(description="member number", ordering="holder__member_number")
    def member_number(self, credential: Credential) -> str:
        return credential.holder.member_number

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("roster.csv", wrap(self.roster_view), name="members_credential_roster"),
            path(
                "<int:pk>/paper-report/",
                wrap(self.paper_report),
                name="members_credential_paper_report",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"export_query": request.GET.urlencode(), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        credential = self.get_object(request, object_id)
        if (
            credential is not None
            and credential.status == Credential.Status.LAPSED
            and request.user.has_perm("recertification.record_paper_report")
        ):
            extra["paper_report_url"] = reverse(
                "admin:members_credential_paper_report", args=[credential.pk]
            )
        return super().change_view(request, object_id, form_url, extra)

    ROSTER_FIELDS = [
        "holder__member_number",
        "holder__last_name",
        "holder__first_name",
        "holder__email",
        "holder__organization",
        "program",
        "designation",
        "status",
        "certified_since",
        "cycle_start",
        "cycle_end",
        "renewed_on",
    ]

    def _roster(self, queryset) -> HttpResponse:
        statuses = dict(Credential.Status.choices)
        status_at = self.ROSTER_FIELDS.index("status")
        rows = (
            [statuses.get(v, v) if i == status_at else v for i, v in enumerate(row)]
            for row in queryset.values_list(*self.ROSTER_FIELDS).iterator(chunk_size=2000)
        )
        stamp = timezone.localdate().isoformat()
        return csv_response(f"credential-roster-{stamp}.csv", self.ROSTER_HEADER, rows)

    @admin.action(description="Export selected credentials to CSV (roster)", permissions=["view"])
    def export_roster(self, request, queryset):
        return self._roster(queryset)

    def roster_view(self, request: HttpRequest) -> HttpResponse:
        """The roster as filtered on screen, every page of it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._roster(self.get_changelist_instance(request).queryset)

    def paper_report(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("recertification.record_paper_report"):
            raise PermissionDenied
        credential = get_object_or_404(Credential.objects.select_related("holder"), pk=pk)
        return paper_report_view(self, request, credential)


# --- records behind automatic points: import, and delete with a reason -----------------------------


class RosterUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8 CSV; columns in docs/staff.md.")


class RosterApplyForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    reason = reason_field(help_text="E.g. “2025 national roster from the membership department”.")


class RecordAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Membership and committee records: audited changes, CSV import, delete with a reason."""

    roster: imports.Roster
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    show_full_result_count = False
    actions = ["delete_with_reason"]
    change_list_template = "admin/members/roster_change_list.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion needs a reason: delete_with_reason
        return actions

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        upload = RosterUploadForm()
        apply_form = None
        result = None
        error = ""
        if request.method == "POST" and "token" in request.POST:
            apply_form = RosterApplyForm(request.POST)
            try:
                roster, text, source = imports.unsign(request.POST.get("token", ""))
                if roster is not self.roster:
                    raise imports.RosterError("This preview is for another roster.")
                result = imports.preview(roster, text, source)
                if apply_form.is_valid():
                    created = imports.apply(
                        result, actor=request.user, reason=apply_form.cleaned_data["reason"]
                    )
                    self.message_user(
                        request,
                        f"Imported {source}: {created} new record(s); "
                        f"{result.count(imports.PRESENT)} already present, "
                        f"{result.count(imports.ERROR)} row(s) with errors skipped.",
                        messages.SUCCESS,
                    )
                    info = self.model._meta.app_label, self.model._meta.model_name
                    return redirect("admin:{}_{}_changelist".format(*info))
            except imports.RosterError as exc:
                error, result, apply_form = str(exc), None, None
        elif request.method == "POST":
            upload = RosterUploadForm(request.POST, request.FILES)
            if upload.is_valid():
                file = upload.cleaned_data["file"]
                try:
                    text = imports.read_text(file)
                    result = imports.preview(self.roster, text, file.name)
                    apply_form = RosterApplyForm(
                        initial={"token": imports.sign(self.roster, text, file.name)}
                    )
                except imports.RosterError as exc:
                    error = str(exc)
        return TemplateResponse(
            request,
            "admin/members/roster_import.html",
            self._import_context(request, upload, apply_form, result, error),
        )

    def _import_context(self, request, upload, apply_form, result, error) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import {self.roster.name} roster",
            "columns": self.roster.columns,
            "upload_form": upload,
            "apply_form": apply_form,
            "result": result,
            "error": error,
            "shown_rows": (result.rows[:500] if result else []),
        }

    @admin.action(description="Delete selected records (with a reason)", permissions=["delete"])
    def delete_with_reason(self, request, queryset):
        form = forms.Form(request.POST if "apply" in request.POST else None)
        form.fields["reason"] = reason_field()
        if form.is_bound and form.is_valid():
            count = 0
            for record in queryset.select_related("member"):
                log_action(
                    record,
                    "deleted",
                    actor=request.user,
                    member=record.member,
                    reason=form.cleaned_data["reason"],
                    before=snapshot(record, self.roster.columns[2:]),
                )
                record.delete()
                count += 1
            self.message_user(request, f"{count} record(s) deleted.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/members/delete_records.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Delete records",
                "records": list(queryset.select_related("member")[:500]),
                "form": form,
            },
        )


@admin.register(MembershipRecord)
class MembershipRecordAdmin(RecordAdmin):
    roster = imports.MEMBERSHIP
    list_display = ["member", "kind", "organization", "year", "created_at"]
    list_filter = ["kind", "year"]
    search_fields = [
        "member__first_name",
        "member__last_name",
        "member__email",
        "=member__member_number",
        "organization",
    ]


@admin.register(CommitteeRecord)
class CommitteeRecordAdmin(RecordAdmin):
    roster = imports.COMMITTEE
    list_display = ["member", "committee", "role", "year", "created_at"]
    list_filter = ["role", "year"]
    search_fields = [
        "member__first_name",
        "member__last_name",
        "member__email",
        "=member__member_number",
        "committee",
    ]
