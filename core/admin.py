from django.contrib import admin

from .admin_helpers import ReadOnlyAdminMixin
from .models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False
    list_display = ["at", "actor", "member", "object_type", "object_id", "action", "reason"]
    list_filter = ["object_type", "action"]
    search_fields = ["=object_id", "=member__member_number", "=actor__username", "reason"]
    list_select_related = ["actor", "member"]
    ordering = ["-at", "-id"]
