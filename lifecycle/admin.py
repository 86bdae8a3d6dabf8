"""Admin for the lifecycle records: certificates and NAMSS extensions.

Certificates are records: staff read them and never edit them by hand; state changes go through
the lifecycle modules (certificates, extensions) so that each one is audited.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from core.admin_helpers import ReadOnlyAdminMixin, RecordAdminMixin

from .certificates import certificate_revoked
from .extensions import extension_sync
from .models import Certificate, ExtensionRequest


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
        return certificate_revoked(obj)


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
            extension_sync(extension_id=pk, today=today)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{changed} extension(s) updated.", messages.SUCCESS)
