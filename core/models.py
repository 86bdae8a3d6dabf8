"""The audit log: every app writes it, so it sits below them all; and the site's pages version."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .pages_version import new_version


class AuditLog(models.Model):
    """Who changed what, when, why, with the state before and after."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_logs",
    )
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    action = models.CharField(max_length=40)
    reason = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        # The table keeps the name it was created with in the recertification app.
        db_table = "recertification_auditlog"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} #{self.object_id}"


class PagesVersion(models.Model):
    """The site-wide part of a member page's version: one row (id 1), changed by the database
    whenever a setting every member page shows changes (core.pages_version)."""

    value = models.BigIntegerField(default=new_version, editable=False)

    class Meta:
        db_table = "core_pagesversion"

    def __str__(self) -> str:
        return f"Pages version {self.value}"
