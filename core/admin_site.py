"""The staff site: Django's admin with crafted row ids refused before any action runs.

Loaded while the app registry is built (INSTALLED_APPS names PortalAdminConfig), so it imports no
model; the pieces the apps' admins share are in core.admin_helpers."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# The largest primary key a BigAutoField holds (PostgreSQL bigint, SQLite INTEGER).
MAX_ROW_ID = 2**63 - 1


def _is_row_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) <= MAX_ROW_ID


class PortalAdminSite(admin.AdminSite):
    site_header = "Recertification Portal – staff"
    site_title = "Recertification Portal staff"
    index_title = "Credentialing administration"

    @staticmethod
    def _second_step_missing(request) -> bool:
        user = getattr(request, "user", None)
        if not (getattr(settings, "STAFF_TWO_FACTOR", False) and getattr(user, "is_staff", False)):
            return False
        return not (user.is_active and getattr(user, "is_verified", lambda: False)())

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and not self._second_step_missing(request)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def checked(request, *args, **kwargs):
            if self._second_step_missing(request):
                # Staff give the second step of sign-in before any admin page (production).
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('two_factor')}?{query}")
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
