"""Staff views of CE providers: register a provider with its programs (and whether each approved
its courses) and its users; revoke API tokens; see courses and completions, and match an unmatched
completion to a member by hand.

Courses and completions are the providers' records: staff read them here and never edit them;
matching goes through `reporting.completion_match`, which emails the member like any report.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin_helpers import AuditedAdminMixin, ReadOnlyAdminMixin, reason_field
from members.models import Credential, User

from . import reporting, tokens
from .models import ApiToken, Completion, Course, Provider, ProviderProgram, ProviderUser


class ProviderProgramInline(admin.TabularInline):
    model = ProviderProgram
    fields = ["program", "approved"]
    extra = 0


class ProviderUserForm(forms.ModelForm):
    class Meta:
        model = ProviderUser
        fields = ["user"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user.is_staff or user.is_superuser:
            raise ValidationError("A staff account cannot work for a provider: create its own.")
        if Credential.all_objects.filter(holder=user).exists():
            raise ValidationError(
                "This account holds a certification: a provider's user needs an account of its own."
            )
        return user


class ProviderUserInline(admin.TabularInline):
    model = ProviderUser
    form = ProviderUserForm
    fields = ["user", "added_at"]
    readonly_fields = ["added_at"]
    raw_id_fields = ["user"]
    extra = 0


class ApiTokenInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ApiToken
    fields = ["name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "contact_name", "contact_email", "programs_list", "is_active"]
    list_filter = ["is_active", "programs__program"]
    search_fields = ["name", "contact_name", "contact_email"]
    fields = ["name", "contact_name", "contact_email", "contact_phone", "is_active"]
    inlines = [ProviderProgramInline, ProviderUserInline, ApiTokenInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("programs")

    @admin.display(description="reports to")
    def programs_list(self, provider: Provider) -> str:
        return ", ".join(
            p.get_program_display() + (" (approved)" if p.approved else "")
            for p in provider.programs.all()
        )


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "provider", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["provider"]
    search_fields = ["name", "prefix", "provider__name"]
    list_select_related = ["provider"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens (at once, for good)")
    def revoke(self, request, queryset):
        if not request.user.has_perm("providers.change_apitoken"):
            raise PermissionDenied
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.token_revoke(token=token, actor=request.user)
            count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(Course)
class CourseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "provider", "program", "kind", "starts_on", "ends_on", "quantity"]
    list_filter = ["program", "provider"]
    search_fields = ["title", "course_id", "provider__name"]
    list_select_related = ["provider"]
    date_hierarchy = "starts_on"


class MatchForm(forms.Form):
    member_number = forms.CharField(
        label="Member number",
        max_length=40,
        help_text="The member this completion belongs to (they must hold a certification of the "
        "course's program).",
    )
    reason = reason_field(help_text="How you know, e.g. “the provider confirmed the number”.")

    def clean_member_number(self):
        number = reporting.number_key(self.cleaned_data["member_number"])
        member = User.objects.filter(member_number=number).first()
        if member is None:
            raise ValidationError("No member has this member number.")
        self.member = member
        return number


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "completion_id",
        "provider",
        "course",
        "last_name",
        "member_number",
        "completed_on",
        "quantity",
        "status",
        "unmatched_reason",
        "match_link",
    ]
    list_filter = ["status", "channel", "provider"]
    search_fields = ["completion_id", "member_number", "last_name", "email", "course__title"]
    list_select_related = ["provider", "course", "member"]
    readonly_fields = [
        "provider",
        "course",
        "completion_id",
        "member_number",
        "last_name",
        "email",
        "completed_on",
        "quantity",
        "member",
        "status",
        "unmatched_reason",
        "matched_by",
        "matched_at",
        "entry",
        "decline_reason",
        "decided_at",
        "channel",
        "reported_at",
    ]
    fields = readonly_fields

    @admin.display(description="")
    def match_link(self, completion: Completion) -> str:
        if completion.status != Completion.Status.UNMATCHED:
            return ""
        url = reverse("admin:providers_completion_match", args=[completion.pk])
        return format_html('<a href="{}">Match to a member</a>', url)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/match/", wrap(self.match_view), name="providers_completion_match"),
            *super().get_urls(),
        ]

    def match_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("providers.match_completion"):
            raise PermissionDenied
        completion = get_object_or_404(
            Completion.objects.select_related("provider", "course"), pk=pk
        )
        if completion.status != Completion.Status.UNMATCHED:
            self.message_user(request, "This completion is matched already.", messages.WARNING)
            return redirect("admin:providers_completion_change", completion.pk)
        form = MatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reporting.completion_match(
                    completion=completion,
                    member=form.member,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                field = "member_number" if hasattr(error, "error_dict") else None
                for message in error.messages:
                    form.add_error(field, message)
            else:
                self.message_user(
                    request,
                    f"Completion {completion.completion_id} matched to member "
                    f"{form.member.member_number}; they are emailed to review it.",
                    messages.SUCCESS,
                )
                return redirect("admin:providers_completion_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Match completion {completion.completion_id}",
            "completion": completion,
            "form": form,
            "submit_label": "Match to this member",
        }
        return TemplateResponse(request, "providers/admin/match.html", context)
