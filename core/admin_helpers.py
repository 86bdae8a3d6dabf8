"""What every app's admin shares: read-only records, a reason on every change (kept in the
audit log), the History page read from the audit log, streamed CSV."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .audit import log_action
from .formatting import format_date
from .models import AuditLog

REASON = "change_reason"


class AuditHistoryMixin:
    """The admin's History button shows the object's audit trail (core.models.AuditLog): when,
    who, what, why, and what changed in words; a member's history also lists every record
    logged against them."""

    history_per_page = 100

    def audit_history_filter(self, obj) -> Q:
        wanted = Q(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        if obj._meta.label == settings.AUTH_USER_MODEL:
            wanted |= Q(member=obj)
        return wanted

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        records = (
            AuditLog.objects.filter(self.audit_history_filter(obj))
            .select_related("actor", "member")
            .order_by("-at", "-id")
        )
        page = Paginator(records, self.history_per_page).get_page(request.GET.get("p"))
        opts = self.model._meta
        rows = [
            {
                "log": log,
                "action": log.action.replace("_", " ").capitalize(),
                "what": (
                    ""
                    if log.object_type == opts.label_lower and log.object_id == str(obj.pk)
                    else f"{log.object_type.split('.')[-1]} {log.object_id}"
                ),
                "changes": describe_changes(_model_of(log.object_type), log.before, log.after),
            }
            for log in page.object_list
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "object": obj,
            "opts": opts,
            "module_name": str(opts.verbose_name_plural).capitalize(),
            "rows": rows,
            "page": page,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/audit_history.html", context)


def _model_of(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _words(field: models.Field | None, value: Any) -> str:
    """A logged value as staff read it: choice labels, dates in the portal's format."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_words(None, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_words(field, v) for v in value)
    if field is not None and field.flatchoices:
        labels = {str(k): str(v) for k, v in field.flatchoices}
        if str(value) in labels:
            return labels[str(value)]
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
        return format_date(day) if len(value) == 10 else f"{format_date(day)} {value[11:16]}"
    return str(value)


def describe_changes(model: type[models.Model] | None, before, after) -> list[str]:
    """An audit record's before and after as lines such as "Status: Renew → Inactive": the
    lines of `audit_changes`, in the model's field labels and the values as staff read them."""
    before = before if isinstance(before, dict) else ({} if before is None else {"value": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"value": after})
    fields = {key: _field_of(model, key) for key in {*before, *after}}

    def label(key: str) -> str:
        return str(getattr(fields[key], "verbose_name", "") or key.replace("_", " ")).capitalize()

    return audit_changes(
        {label(key): _words(fields[key], value) for key, value in before.items()},
        {label(key): _words(fields[key], value) for key, value in after.items()},
    )


def _field_of(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


class RecordAdminMixin(AuditHistoryMixin):
    """Records made by the portal (emails sent, extensions requested): never added or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdminMixin(RecordAdminMixin):
    """History stays as it happened: no adding, editing or deleting through the admin."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def reason_field(required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label="Reason" if required else "Note (optional)",
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=help_text or "Kept in the history with who and when.",
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, QuerySet | list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | dt.date):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str | dict):
        return value
    return str(value)


class AuditedAdminMixin(AuditHistoryMixin):
    """Every add and change through this admin asks for a reason and leaves an AuditLog row.

    `audit_member(obj)` names the member the record belongs to (shown in their history).
    """

    def audit_member(self, obj):
        return getattr(obj, "member", None) or getattr(obj, "holder", None)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if REASON not in flatten_fieldsets(fieldsets):
            fieldsets.append(("Why", {"fields": [REASON]}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if "fields" not in kwargs:
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        if kwargs["fields"] is not None:
            kwargs["fields"] = [f for f in kwargs["fields"] if f != REASON]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {REASON: reason_field()})

    def save_model(self, request, obj, form, change):
        changed = [f for f in form.changed_data if f != REASON and "password" not in f]
        before = {f: _jsonable(form.initial.get(f)) for f in changed} if change else None
        super().save_model(request, obj, form, change)
        log_action(
            obj,
            "changed" if change else "added",
            actor=request.user,
            member=self.audit_member(obj),
            reason=form.cleaned_data.get(REASON, ""),
            before=before,
            after={f: _jsonable(form.cleaned_data.get(f)) for f in changed},
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """Streamed, so a roster of a hundred thousand rows never sits in memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def audit_changes(before: dict | None, after: dict | None) -> list[str]:
    """An audit record's change as "status: submitted → approved" lines."""
    before, after = before or {}, after or {}
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key in before and key in after:
            if before[key] != after[key]:
                lines.append(f"{key}: {before[key]} → {after[key]}")
        elif key in after:
            lines.append(f"{key}: {after[key]}")
        else:
            lines.append(f"{key}: {before[key]} → (removed)")
    return lines


CSV_CHUNK = 2000


def chunked(rows: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- exports of a filtered list --------------------------------------------------------------


class FilterRefused(Exception):
    """The list's filter or search values in the address are not ones the list accepts."""


def listed_rows(model_admin, request) -> QuerySet:
    """The rows of a model admin's list as filtered and searched on screen, every page.

    A filter value the list does not accept (a date that is not a date, a text where an id goes)
    raises FilterRefused, so that an export answers with a message instead of an error page.
    """
    try:
        # The list computes its filtered rows when it is built (unpaginated: `queryset`).
        return model_admin.get_changelist_instance(request).queryset
    except (IncorrectLookupParameters, ValidationError, ValueError, TypeError) as error:
        raise FilterRefused(str(error)) from None


def export_listed(model_admin, request, export) -> HttpResponse:
    """`export(rows)` of the list as filtered on screen; with filters the list does not accept,
    back to the list with a message, nothing exported."""
    try:
        rows = listed_rows(model_admin, request)
    except FilterRefused:
        model_admin.message_user(
            request,
            "The filters in the address are not ones this list offers, so nothing was exported. "
            "Choose the filters on the list again, then export.",
            messages.ERROR,
        )
        opts = model_admin.model._meta
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    return export(rows)
