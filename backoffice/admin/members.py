"""Staff pages for members, credentials and the records behind automatic points.

Every add and change asks for a reason and leaves an AuditLog row (AuditedAdminMixin); deleting
records goes through an action that asks for the reason. Lists filter through EXISTS subqueries
and skip the full count, so they stay quick with a hundred thousand members.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.admin_helpers import (
    AuditedAdminMixin,
    ReadOnlyAdminMixin,
    csv_response,
    export_listed,
    reason_field,
)
from core.audit import log_action, snapshot
from core.formatting import format_date
from core.models import AuditLog
from lifecycle.deadlines import credential_deadlines
from members.models import CommitteeRecord, Credential, MembershipRecord, Notification, User
from payments.models import Payment
from payments.selectors import invoices_for
from recertification import rules
from recertification.models import Report, ReportCredential

from .. import imports
from ..corrections import ADDRESS_FIELDS, can_correct, contact_correct
from ..erasure import personal_data_erase
from ..models import MemberNote
from ..notes import NOTE_MAX, member_note_add
from ..review import QUEUE_STATUSES
from .paper import paper_report_view

# --- members --------------------------------------------------------------------------------------


# What makes a credential count: only an Administrator changes them by hand (with a reason, in the
# audit log); everyone else goes through the services (approval, lapse, reinstatement).
STANDING_FIELDS = (
    "holder",
    "program",
    "designation",
    "certified_since",
    "cycle_start",
    "cycle_end",
    "renewed_on",
    "status",
)


class CredentialInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown for reference; a credential is changed on its own page, with a reason."""

    model = Credential
    extra = 0

    def get_queryset(self, request):
        return Credential.all_objects.select_related("holder")

    fields = [name for name in STANDING_FIELDS if name != "holder"]
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


# --- a member's page: the read-only overview and internal notes ----------------------------------

OVERVIEW_ROWS = 50  # emails and history rows shown; the full lists are linked


class MemberNoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text="Staff only: the member never sees it. Kept as written, with who and when.",
    )


def member_overview(member: User) -> dict:
    """What staff read of one member, a query per section whatever the record's size."""
    reports = list(
        Report.objects.filter(member=member)
        .select_related("assigned_to")
        .defer("snapshot")
        .prefetch_related(
            Prefetch("credentials", queryset=Credential.all_objects.only("id", "designation"))
        )
        .order_by("-cycle_start", "-id")
    )
    invoices = list(
        invoices_for(member).prefetch_related(
            Prefetch("payments", queryset=Payment.objects.order_by("created_at", "id"))
        )
    )
    history = AuditLog.objects.filter(member=member).select_related("actor")
    return {
        "member": member,
        "credentials": list(Credential.all_objects.filter(holder=member).order_by("designation")),
        "reports": reports,
        "invoices": invoices,
        "emails": list(Notification.objects.filter(member=member)[:OVERVIEW_ROWS]),
        "history": list(history[:OVERVIEW_ROWS]),
        "notes": list(MemberNote.objects.filter(member=member).select_related("author")),
    }


class EraseForm(forms.Form):
    member_number = forms.CharField(
        label="Type the member number to confirm",
        max_length=12,
        help_text="Erasing cannot be undone.",
    )
    reason = reason_field(
        help_text="How and when the person asked (for example: email of 11/30/2026 to support)."
    )

    def __init__(self, *args, member: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_member_number(self) -> str:
        typed = self.cleaned_data["member_number"].strip()
        if typed != self.member.member_number:
            raise ValidationError("That is not this member's number.")
        return typed


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

    # A reviewer (the corrections permission, not change_user) corrects the email and postal
    # address only, with a reason: backoffice.corrections.contact_correct.
    CORRECTABLE = ("email", *ADDRESS_FIELDS)

    def _correcting(self, request) -> bool:
        return not request.user.has_perm("members.change_user") and can_correct(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) or self._correcting(request)

    def user_change_password(self, request, id, form_url=""):
        if self._correcting(request):
            raise PermissionDenied  # contact details only: never the password
        return super().user_change_password(request, id, form_url)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self._correcting(request):
            every = [f for _, options in self.fieldsets for f in options["fields"]]
            return [f for f in every if f not in self.CORRECTABLE]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change and self._correcting(request):
            data = form.cleaned_data
            contact_correct(
                member=obj,
                actor=request.user,
                reason=data.get("change_reason", ""),
                email=data.get("email"),
                **{f: data.get(f) for f in ADDRESS_FIELDS},
            )
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)

    # --- the member's page: overview and internal notes (member_overview, MemberNote) ----------

    change_form_template = "admin/members/user/change_form.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/notes/add/",
                self.admin_site.admin_view(self.note_add_view),
                name="members_user_note_add",
            ),
            path(
                "<int:pk>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="members_user_erase",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The member the change view read already: the overview does not read it again.
        if obj is not None and self.has_view_permission(request, obj):
            context["overview"] = member_overview(obj)
            # The links to the corrections on the member's behalf (backoffice/admin/corrections.py).
            context["can_correct"] = can_correct(request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _member_page(self, request, template: str, member: User, title: str, form) -> HttpResponse:
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "member": member,
                "form": form,
            },
        )

    def note_add_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """An internal note: any staff account that may see the member may add one."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        member = get_object_or_404(User, pk=pk)
        form = MemberNoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                member_note_add(member=member, author=request.user, text=form.cleaned_data["text"])
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                self.message_user(request, "Note added.", messages.SUCCESS)
                return redirect("admin:members_user_change", member.pk)
        return self._member_page(
            request,
            "admin/members/user/note_add.html",
            member,
            f"Internal note on {member.display_name}",
            form,
        )

    def erase_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Erase a person's personal data on their request (backoffice/erasure.py): Administrators."""
        if not request.user.has_perm("members.delete_user"):
            raise PermissionDenied
        member = get_object_or_404(User, pk=pk)
        form = EraseForm(request.POST or None, member=member)
        if request.method == "POST" and form.is_valid():
            try:
                personal_data_erase(
                    member=member, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                self.message_user(
                    request,
                    f"The personal data of member {member.member_number} is erased; invoices, "
                    "payments and the audit trail are kept.",
                    messages.SUCCESS,
                )
                return redirect("admin:members_user_change", member.pk)
        return self._member_page(
            request,
            "admin/members/user/erase.html",
            member,
            f"Erase the personal data of {member.display_name}",
            form,
        )


# --- credentials ---------------------------------------------------------------------------------

# A report in one of these keeps a credential open after its cycle ends, while staff decide.
AWAITING_DECISION = (*QUEUE_STATUSES, Report.Status.RETURNED)


def _length(start, end) -> str:
    days = (end - start).days + 1
    if days < 365:
        return f"{days} days"
    years = round(days / 365.25)
    return f"{years} year{'s' if years != 1 else ''}"


class CredentialAdminForm(forms.ModelForm):
    """A credential as its program declares it: a designation of the program, the program's cycle
    length, and a status that agrees with the dates. Each refusal is worded at its field."""

    class Meta:
        model = Credential
        fields = [*STANDING_FIELDS, "first_dual_cycle"]

    def clean(self):
        data = super().clean()
        # The program of the form, or (where the field is read-only for this user) the record's.
        code = data.get("program") or getattr(self.instance, "program", None)
        try:
            program = rules.get_program(code) if code else None
        except (KeyError, ValueError):
            program = None
        if program is None:
            return data
        today = timezone.localdate()
        designation = data.get("designation")
        if designation and designation not in program.credentials:
            self.add_error(
                "designation",
                f"{designation} is not a designation of {program.name}; choose one of "
                f"{', '.join(program.credentials)}.",
            )
        for name, what in (("certified_since", "certification"), ("renewed_on", "renewal")):
            day = data.get(name)
            if day is not None and day > today:
                self.add_error(
                    name,
                    f"The {what} date {format_date(day)} is in the future: enter the date it "
                    "happened.",
                )
        since, start, end = (
            data.get("certified_since"),
            data.get("cycle_start"),
            data.get("cycle_end"),
        )
        if since and start and start < since:
            self.add_error(
                "certified_since",
                f"The certification date ({format_date(since)}) is after the start of the cycle "
                f"({format_date(start)}): a cycle starts on or after the certification date.",
            )
        adding = self.instance.pk is None
        changed = set(self.changed_data)
        if start and end and (adding or changed & {"program", "cycle_start", "cycle_end"}):
            expected = program.cycle_end(start)
            if end != expected:
                self.add_error(
                    "cycle_end",
                    f"A {program.name} cycle starting on {format_date(start)} ends on "
                    f"{format_date(expected)} ({program.cycle.description.rstrip('.')}); "
                    f"{format_date(end)} would make a cycle of {_length(start, end)}. A new "
                    "certificant's first cycle starts on the certification date.",
                )
        if data.get("first_dual_cycle") and not any(
            r.first_dual_cycle for r in program.requirements
        ):
            self.add_error(
                "first_dual_cycle",
                f"{program.name} has no first cycle as a dual certificant; leave this unticked.",
            )
        status = data.get("status")
        if status and end and (adding or changed & {"program", "status", "cycle_end"}):
            self._check_status(program, status, start, end, today)
        return data

    def _check_status(self, program, status, start, end, today) -> None:
        label = Credential.Status(status).label
        if status in (Credential.Status.LAPSED, Credential.Status.TERMINATED) and end >= today:
            self.add_error(
                "status",
                f"{label} is for a credential whose cycle is over, and this cycle has not ended "
                f"(it ends on {format_date(end)}). Keep New or Renew, or enter the cycle that "
                "ended.",
            )
        elif status in Credential.OPEN_STATUSES and end < today:
            candidate = Credential(program=program.code, cycle_start=start, cycle_end=end)
            lapses_on = credential_deadlines(candidate, extended=True).lapses_on
            awaiting = (
                self.instance.pk is not None
                and ReportCredential.objects.filter(
                    credential_id=self.instance.pk,
                    cycle_start=start,
                    report__status__in=AWAITING_DECISION,
                ).exists()
            )
            if today >= lapses_on and not awaiting:
                self.add_error(
                    "status",
                    f"{label} is for a current cycle, and this cycle ended on {format_date(end)}: "
                    f"by the {program.name} calendar the credential is lapsed from "
                    f"{format_date(lapses_on)} unless a report of that cycle awaits a decision. "
                    "Enter the new cycle, or set the status Lapsed.",
                )


@admin.register(Credential)
class CredentialAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = CredentialAdminForm

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("members.change_credential_standing"):
            readonly += [name for name in STANDING_FIELDS if name not in readonly]
        return readonly

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
        return export_listed(self, request, self._roster)

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
