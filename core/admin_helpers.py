"""What every app's admin shares: read-only records, a reason on every change (kept in the
audit log), streamed CSV."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.admin.utils import flatten_fieldsets
from django.db import models
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse

from .audit import log_action

REASON = "change_reason"


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


class AuditedAdminMixin:
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
