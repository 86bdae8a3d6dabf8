"""The review queue's result table: Django's own headers and results template, with the rows made
in Python in one pass over the page of reports.

Django's `result_list` renders every cell through `items_for_result` (a field lookup, a display
function, `format_html` and, for each linked cell, a `reverse()`); on a queue page of 50 rows and
14 columns that was half of the page's cost. Here each column is planned once per page (its CSS
class, how its value is displayed, whether it links to the report) and each row is one string with
every value escaped. The rows are the same HTML as Django's (tests/staff/test_queue_rows.py
compares them); a list Django renders differently (a popup, editable rows, a column this module
does not plan) falls back to Django's own rendering.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django import template
from django.conf import settings
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _boolean_icon,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import display_for_field, display_for_value, quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

# Stands for the report's id in the change link built once per page.
PK_MARK = "__row_pk__"

Cell = Callable[[Any, str], str]


class Unplanned(Exception):
    """A column or list this module does not render: Django renders the whole table."""


def _escape(value) -> str:
    """`conditional_escape` without its lazy-argument wrapper: HTML stays, text is escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _change_link(cl) -> tuple[str, str]:
    """The escaped change URL of a row, before and after its id (with the filters preserved)."""
    url = reverse(
        f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
        args=(PK_MARK,),
        current_app=cl.model_admin.admin_site.name,
    )
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    before, mark, after = url.partition(PK_MARK)
    if not mark:
        raise Unplanned("change link")
    return escape(before), escape(after)


def _value_display(empty: str, boolean: bool, icons: dict) -> Callable[[Any], str]:
    """Escaped HTML of a value a method returns (Django's `display_for_value`)."""
    grouping = settings.USE_THOUSAND_SEPARATOR

    def show(value) -> str:
        if boolean:
            return icons[value] if value in icons else _boolean_icon(value)
        if isinstance(value, str):
            return _escape(value) if value.strip() else empty
        if type(value) is int and not grouping:
            return str(value)
        return conditional_escape(display_for_value(value, empty))

    return show


def _field_display(field, empty: str, icons: dict, linked: bool) -> Callable[[Any], str]:
    """Escaped HTML of a model field's value (Django's `display_for_field`)."""
    if getattr(field, "flatchoices", None):
        try:
            labels = {key: conditional_escape(label) for key, label in field.flatchoices}
        except TypeError:
            raise Unplanned("unhashable choices") from None
        return lambda value: labels.get(value, empty)
    if isinstance(field, models.BooleanField):
        return lambda value: icons[value]
    if isinstance(field, models.DateTimeField):
        return _moment_display(field, empty)
    return lambda value: conditional_escape(
        display_for_field(value, field, empty, avoid_link=linked)
    )


def _moment_display(field, empty: str) -> Callable[[Any], str]:
    """A date and time as `formats.localize(timezone.template_localtime(value))` writes it, with
    the format read and split once per page instead of once per row."""
    pieces = [
        (bool(i % 2), piece if i % 2 else dateformat.re_escaped.sub(r"\1", piece))
        for i, piece in enumerate(
            dateformat.re_formatchars.split(str(formats.get_format("DATETIME_FORMAT")))
        )
        if piece
    ]
    zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def moment(value) -> str:
        if value in field.empty_values:
            return empty
        if (
            zone is not None
            and isinstance(value, dt.datetime)
            and not timezone.is_naive(value)
            and getattr(value, "convert_to_local_time", True)
        ):
            value = value.astimezone(zone)
        if not isinstance(value, dt.datetime):
            return conditional_escape(formats.localize(value))
        written = dateformat.DateFormat(value)
        return conditional_escape(
            "".join(str(getattr(written, piece)()) if char else piece for char, piece in pieces)
        )

    return moment


def _model_field(opts, name: str):
    """The model field Django's `lookup_field` reads for the column, or None for a method."""
    try:
        field = opts.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.is_relation and (
        field.one_to_many
        or field.many_to_many
        or not field.related_model
        or getattr(field, "attname", None) == name
    ):
        raise Unplanned(name)
    return field


def _plan(cl) -> list[Cell]:
    """One function per column: the report to the column's cell, as Django's `items_for_result`
    renders it."""
    if cl.formset or cl.is_popup or cl.to_field or not cl.list_display_links:
        raise Unplanned("list")
    model_admin, opts = cl.model_admin, cl.opts
    empty_default = model_admin.get_empty_value_display()
    icons = {value: _boolean_icon(value) for value in (True, False, None)}
    before, after = _change_link(cl)

    cells: list[Cell] = []
    first_link = True
    for name in cl.list_display:
        if not isinstance(name, str) or "__" in name:
            raise Unplanned(str(name))
        linked = name in cl.list_display_links
        tag = "td"
        if linked and first_link:
            tag, first_link = "th", False
        wrap = _Wrap(tag, linked, before, after)

        if name == "action_checkbox" and not linked:
            cells.append(_checkbox_cell(_("Select this object for an action - {}")))
            continue
        field = _model_field(opts, name)
        if field is None:
            method = getattr(model_admin, name, None)
            if method is None or not callable(method):
                raise Unplanned(name)
            show = _value_display(
                conditional_escape(getattr(method, "empty_value_display", empty_default)),
                getattr(method, "boolean", False),
                icons,
            )
            cells.append(_method_cell(method, show, f"field-{name}", wrap))
        elif field.auto_created:
            show = _value_display(empty_default, False, icons)
            cells.append(_method_cell(attrgetter(name), show, f"field-{name}", wrap))
        elif isinstance(field.remote_field, models.ManyToOneRel):
            cells.append(
                _field_cell(name, _related_display(empty_default), f"field-{name} nowrap", wrap)
            )
        else:
            classes = f"field-{name}"
            if isinstance(field, models.DateField | models.TimeField):
                classes += " nowrap"
            show = _field_display(field, empty_default, icons, linked)
            cells.append(_field_cell(name, show, classes, wrap))
    return cells


class _Wrap:
    """The cell around the displayed value, with the link to the report when the column has one."""

    def __init__(self, tag: str, linked: bool, before: str, after: str):
        self.tag, self.linked, self.before, self.after = tag, linked, before, after

    def __call__(self, classes: str, pk: str, shown: str) -> str:
        if self.linked:
            shown = f'<a href="{self.before}{pk}{self.after}">{shown}</a>'
        return f'<{self.tag} class="{classes}">{shown}</{self.tag}>'


def _checkbox_cell(label: str) -> Cell:
    """The row's checkbox for the bulk actions (Django's `action_checkbox`)."""
    name = escape(helpers.ACTION_CHECKBOX_NAME)

    def cell(report, pk: str) -> str:
        return (
            f'<td class="action-checkbox"><input type="checkbox" name="{name}" '
            f'value="{pk}" class="action-select" '
            f'aria-label="{label.format(_escape(report))}"></td>'
        )

    return cell


def _method_cell(read, show, classes: str, wrap: _Wrap) -> Cell:
    """A value displayed as Django's `display_for_value` does: dates and times kept on one line."""
    nowrap = classes + " nowrap"

    def cell(report, pk: str) -> str:
        value = read(report)
        if isinstance(value, str) and not value.strip():
            value = ""
        chosen = nowrap if isinstance(value, dt.date | dt.time) else classes
        return wrap(chosen, pk, show(value))

    return cell


def _related_display(empty: str) -> Callable[[Any], str]:
    """A foreign key: the related object's name."""
    return lambda value: empty if value is None else _escape(value)


def _field_cell(name: str, show, classes: str, wrap: _Wrap) -> Cell:
    def cell(report, pk: str) -> str:
        value = getattr(report, name)
        if isinstance(value, str) and not value.strip():
            value = ""
        return wrap(classes, pk, show(value))

    return cell


def queue_rows(cl) -> list[ResultList]:
    """The page's rows as the results template reads them: each row one safe string of cells."""
    cells = _plan(cl)
    rows = []
    for report in cl.result_list:
        pk = _escape(quote(report.pk))
        made = "".join([cell(report, pk) for cell in cells])
        rows.append(ResultList(None, [mark_safe(made)]))  # noqa: S308 (each value escaped in its cell)
    return rows


def queue_result_list(cl) -> dict:
    """The context of Django's `result_list` tag, with the rows made here."""
    headers = list(result_headers(cl))
    try:
        rows = queue_rows(cl)
    except (Unplanned, NoReverseMatch):
        rows = list(results(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows,
    }


@register.tag(name="queue_result_list")
def queue_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=queue_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
