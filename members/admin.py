"""Admin for the members app's own records: the emails sent (the outbox), and the claim requests
staff decide (members/claim.py).

Members, credentials and the records behind automatic points are worked on in the staff back office
(backoffice/admin/members.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin_helpers import RecordAdminMixin
from core.audit import log_action

from . import claim, emails
from .models import ClaimRequest, Notification


@admin.register(Notification)
class NotificationAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "to_email",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["to_email", "subject", "key", "member__last_name", "member__member_number"]
    list_select_related = ["member"]
    readonly_fields = [
        "key",
        "kind",
        "member",
        "credential",
        "invoice_ref",
        "to_email",
        "subject",
        "body_text",
        "status",
        "attempts",
        "error",
        "created_at",
        "claimed_at",
        "next_attempt_at",
        "sent_at",
    ]
    exclude = ["body_html"]
    actions = ["send_again"]
    date_hierarchy = "created_at"

    @admin.action(description="Send failed emails again")
    def send_again(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True))
        queued = emails.send_again(selected)
        skipped = len(selected) - queued
        if queued:
            self.message_user(
                request, f"{queued} failed email(s) queued to send again.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} selected email(s) left alone: only failed emails are sent again.",
                messages.WARNING,
            )


class ClaimDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[
            (
                "approve",
                "Approve: set the typed email on the record and send the set-up link to it",
            ),
            ("refuse", "Refuse: the typed address is told we could not link the account"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="For staff: kept with the decision in the history, never sent. Required when "
        "refusing.",
    )

    class Meta:
        model = ClaimRequest
        fields = ["note"]

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == "refuse" and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the request is refused.")
        if decision == "approve":
            problem = claim.approval_problem(self.instance)
            if problem:
                self.add_error("decision", problem)
        return data


@admin.register(ClaimRequest)
class ClaimRequestAdmin(admin.ModelAdmin):
    """Requests to link an account to a record whose email on file is missing or another.

    Staff who may change members decide an open request once; everyone who may see members sees
    the requests. Decisions go through members.claim, which leaves the audit record.
    """

    form = ClaimDecisionForm
    list_display = [
        "created_at",
        "member_number",
        "member",
        "email",
        "email_on_file",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["email", "last_name", "=member__member_number", "member__last_name"]
    search_help_text = "Email or last name typed, exact member number, or the record's last name."
    list_select_related = ["member", "decided_by"]
    date_hierarchy = "created_at"
    RECORD = ["member", "member_number", "email_on_file", "email", "last_name", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "members.view_user"
        )

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = request.user.has_perm("members.change_user")
        return allowed and (obj is None or obj.status == ClaimRequest.Status.OPEN)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            decision = ["status", "decision", "note"]
        else:
            decision = ["status", "decided_by", "decided_at", "note"]
        return [("Asked", {"fields": self.RECORD}), ("Decision", {"fields": decision})]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            return [*self.RECORD, "status"]
        return [*self.RECORD, "status", "decided_by", "decided_at", "note"]

    @admin.display(description="member number", ordering="member__member_number")
    def member_number(self, obj: ClaimRequest) -> str:
        return obj.member.member_number

    @admin.display(description="email on file")
    def email_on_file(self, obj: ClaimRequest) -> str:
        return obj.member.email or "(none)"

    def save_model(self, request, obj, form, change):
        note = form.cleaned_data.get("note", "")
        try:
            if form.cleaned_data["decision"] == "approve":
                claim.claim_request_approve(claim_request=obj, actor=request.user, note=note)
                self.message_user(
                    request,
                    f"Approved: {obj.email} is now the record's email, and the set-up link "
                    "has been sent there.",
                    messages.SUCCESS,
                )
            else:
                claim.claim_request_refuse(claim_request=obj, actor=request.user, note=note)
                self.message_user(request, "Refused.", messages.SUCCESS)
        except claim.ClaimError as error:
            self.message_user(request, str(error), messages.ERROR)


# --- two-step sign-in devices -------------------------------------------------------------------
# django-otp's own admin shows a device's secret key and QR code to other staff, which would let
# them sign in as its owner: replaced by a list staff read, and delete to reset a member's or
# colleague's two-step sign-in (after checking who is asking: docs/deployment.md).

admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


class _DeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__email", "user__last_name", "user__member_number"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # set up by the person, with their own phone (members.two_factor)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        log_action(obj.user, "two-step sign-in reset", actor=request.user, member=obj.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for device in queryset.select_related("user"):
            log_action(
                device.user, "two-step sign-in reset", actor=request.user, member=device.user
            )
        super().delete_queryset(request, queryset)


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(_DeviceAdmin):
    pass


@admin.register(StaticDevice)
class RecoveryCodesAdmin(_DeviceAdmin):
    pass
