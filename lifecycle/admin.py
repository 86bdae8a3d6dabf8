"""Admin for the lifecycle records: certificates and NAMSS extensions.

Certificates are records: staff read them and never edit them by hand; state changes go through
the lifecycle modules (certificates, extensions) so that each one is audited.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F, Value
from django.db.models.functions import Concat, Trim
from django.utils import timezone

from core.admin_helpers import ReadOnlyAdminMixin, RecordAdminMixin

from .certificates import certificate_name_use_current, certificate_revoked
from .extensions import extension_sync
from .models import Certificate, ExtensionRequest


class NameDiffersFilter(admin.SimpleListFilter):
    """Certificates whose printed name is no longer the holder's name on the profile: a change
    of name waiting for staff to confirm it (or to leave it, if it is not a legal name change)."""

    title = "name on the certificate"
    parameter_name = "name"

    def lookups(self, request, model_admin):
        return [("differs", "Differs from the profile")]

    def queryset(self, request, queryset):
        if self.value() != "differs":
            return queryset
        profile_name = Trim(
            Concat(
                F("credential__holder__first_name"), Value(" "), F("credential__holder__last_name")
            )
        )
        return queryset.annotate(profile_name=profile_name).exclude(holder_name=F("profile_name"))


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "display_code",
        "holder_name",
        "credential",
        "valid_from",
        "valid_through",
        "issued_at",
        "is_revoked",
    ]
    list_filter = [
        NameDiffersFilter,
        "credential__program",
        "credential__designation",
        "valid_through",
    ]
    actions = ["use_current_name"]
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
        "holder_name",
        "revoked_at",
        "revoked_reason",
    ]
    ordering = ["-issued_at"]

    def has_use_current_name_permission(self, request) -> bool:
        return request.user.has_perm("lifecycle.change_certificate")

    @admin.action(
        description="Confirm the holder's change of legal name on the selected certificates",
        permissions=["use_current_name"],
    )
    def use_current_name(self, request, queryset):
        changed = 0
        for certificate in queryset.select_related("credential__holder"):
            before = certificate.holder_name
            updated = certificate_name_use_current(
                certificate=certificate,
                actor=request.user,
                reason="Change of legal name confirmed by staff.",
            )
            changed += updated.holder_name != before
        self.message_user(
            request,
            f"{changed} certificate(s) now show the holder's current name; the old name is kept "
            "in each certificate's history.",
            messages.SUCCESS,
        )

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
