"""Admin for the lifecycle models: certificates, sent emails, NAMSS extensions.

Imported from members/admin.py (`from . import admin_lifecycle  # noqa: F401`). Certificates and
emails are records: staff read them and never edit them by hand; state changes go through
members.lifecycle so that each one is audited.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from . import emails, lifecycle
from .admin_site import ReadOnlyAdminMixin, RecordAdminMixin
from .models import Certificate, ExtensionRequest, Notification


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "display_code",
        "credential",
        "valid_from",
        "valid_through",
        "issued_at",
        "is_revoked",
    ]
    list_filter = ["credential__program", "credential__designation", "valid_through"]
    search_fields = [
        "code",
        "credential__holder__last_name",
        "credential__holder__email",
        "credential__holder__member_number",
    ]
    list_select_related = ["credential__holder"]
    readonly_fields = [
        "credential",
        "report",
        "cycle_start",
        "valid_from",
        "valid_through",
        "code",
        "status_index",
        "issued_at",
        "issued_by",
        "revoked_at",
        "revoked_reason",
    ]
    ordering = ["-issued_at"]

    @admin.display(boolean=True, description="revoked")
    def is_revoked(self, obj: Certificate) -> bool:
        return lifecycle.certificate_revoked(obj)


@admin.register(Notification)
class NotificationAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "sent_at"]
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
        "sent_at",
    ]
    exclude = ["body_html"]
    actions = ["send_again"]
    date_hierarchy = "created_at"

    @admin.action(description="Send failed emails again")
    def send_again(self, request, queryset):
        failed = queryset.filter(status=Notification.Status.FAILED)
        # Give staff one more attempt than the automatic retries.
        failed.update(attempts=emails.MAX_ATTEMPTS - 1)
        sent = sum(
            1 for pk in failed.values_list("pk", flat=True) if emails.deliver(notification_id=pk)
        )
        self.message_user(request, f"{sent} email(s) sent.", messages.SUCCESS)


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = [
        "report",
        "member",
        "status",
        "requested_at",
        "new_deadline",
        "credits_documented",
        "credits_needed",
        "invoice_ref",
    ]
    list_filter = ["status", "new_deadline"]
    search_fields = ["member__last_name", "member__email", "member__member_number"]
    list_select_related = ["member", "report"]

    def get_queryset(self, request):
        # A report's name lists its designations: read them for the page, not per row.
        return super().get_queryset(request).prefetch_related("report__credentials")

    readonly_fields = [
        "member",
        "report",
        "status",
        "requested_at",
        "new_deadline",
        "credits_documented",
        "credits_needed",
        "invoice_ref",
        "activated_at",
        "cancelled_at",
        "cancel_reason",
    ]
    actions = ["activate_paid"]

    @admin.action(description="Activate the selected extensions whose fee is paid")
    def activate_paid(self, request, queryset):
        today = timezone.localdate()
        changed = sum(
            lifecycle.extension_sync(extension_id=pk, today=today)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{changed} extension(s) updated.", messages.SUCCESS)
