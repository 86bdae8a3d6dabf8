"""The staff site: Django's admin with crafted row ids refused before any action runs."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME


class RecordAdminMixin:
    """Records made by the portal (emails sent, extensions requested): never added or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdminMixin(RecordAdminMixin):
    """History stays as it happened: no adding, editing or deleting through the admin."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PortalAdminSite(admin.AdminSite):
    site_header = "Recertification Portal – staff"
    site_title = "Recertification Portal staff"
    index_title = "Credentialing administration"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def checked(request, *args, **kwargs):
            ids = request.POST.getlist(ACTION_CHECKBOX_NAME) if request.method == "POST" else []
            # Every model here has integer keys; anything else would reach the database as a
            # lookup value and fail there, so it is dropped (Django then asks to select rows).
            if any(not i.isdigit() for i in ids):
                post = request.POST.copy()
                post.setlist(ACTION_CHECKBOX_NAME, [i for i in ids if i.isdigit()])
                request.POST = post
            return inner(request, *args, **kwargs)

        return checked


class PortalAdminConfig(AdminConfig):
    default_site = "members.admin_site.PortalAdminSite"
