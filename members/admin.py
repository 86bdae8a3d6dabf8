"""Admin for the members app's own records: the emails sent (the outbox).

Members, credentials and the records behind automatic points are worked on in the staff back office
(backoffice/admin/members.py)."""

from __future__ import annotations

from django.contrib import admin, messages

from core.admin_helpers import RecordAdminMixin

from . import emails
from .models import Notification


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
