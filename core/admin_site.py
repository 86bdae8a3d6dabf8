"""The staff site: Django's admin with crafted row ids refused before any action runs.

Loaded while the app registry is built (INSTALLED_APPS names PortalAdminConfig), so it imports no
model; the pieces the apps' admins share are in core.admin_helpers."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

# The largest primary key a BigAutoField holds (PostgreSQL bigint, SQLite INTEGER).
MAX_ROW_ID = 2**63 - 1


def _is_row_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) <= MAX_ROW_ID


class PortalAdminSite(admin.AdminSite):
    site_header = "Recertification Portal – staff"
    site_title = "Recertification Portal staff"
    index_title = "Credentialing administration"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def checked(request, *args, **kwargs):
            ids = request.POST.getlist(ACTION_CHECKBOX_NAME) if request.method == "POST" else []
            # Every model here has integer keys; anything else (text, other scripts' digits, a
            # number past the 64-bit key range) would reach the database as a lookup value and
            # fail there, so it is dropped (Django then asks to select rows).
            if not all(_is_row_id(i) for i in ids):
                post = request.POST.copy()
                post.setlist(ACTION_CHECKBOX_NAME, [i for i in ids if _is_row_id(i)])
                request.POST = post
            return inner(request, *args, **kwargs)

        return checked


class PortalAdminConfig(AdminConfig):
    default_site = "core.admin_site.PortalAdminSite"
