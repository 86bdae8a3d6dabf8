"""The back office's own records: internal notes on members.

(The app's post_migrate signal also creates the staff groups once every app's permissions are
there.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MemberNote(models.Model):
    """An internal note staff keep on a member: added, never changed or deleted, never shown to
    the member (backoffice.notes.member_note_add, audited)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_notes"
    )
    text = models.TextField(max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"])]
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return f"Note on member {self.member_id} ({self.created_at:%Y-%m-%d})"
