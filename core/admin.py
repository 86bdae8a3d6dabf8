from django.contrib import admin

from .admin_helpers import ReadOnlyAdminMixin
from .models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False
    list_display = ["at", "actor", "member", "object_type", "object_id", "action", "reason"]
    list_filter = ["object_type", "action"]
    search_fields = [
        "=object_id",
        "=member__member_number",
        "member__first_name",
        "member__last_name",
        "member__username",
        "member__email",
        "=actor__username",
        "reason",
    ]
    search_help_text = (
        "The member's name, username, email or exact member number; a staff username (exact); "
        "an object id (exact); a word of the reason."
    )
    list_select_related = ["actor", "member"]
    ordering = ["-at", "-id"]
