"""Dates read the same in Python, templates, PDFs and emails: the portal's format module."""

import datetime as dt

from django.template import Context, Template

from core.formatting import _strftime_pattern, format_date


def test_python_and_templates_write_a_date_the_same_way():
    day = dt.date(2026, 12, 1)
    rendered = Template('{{ d|date:"SHORT_DATE_FORMAT" }} {{ d|date }}').render(Context({"d": day}))
    assert format_date(day) == "12/01/2026"
    assert rendered == "12/01/2026 12/01/2026"


def test_numeric_formats_take_the_quick_path_and_named_ones_django_s():
    assert _strftime_pattern("m/d/Y") == "%m/%d/%Y"
    assert _strftime_pattern("d.m.Y H:i") == "%d.%m.%Y %H:%M"
    assert _strftime_pattern("N j, Y") is None


def test_the_format_follows_the_portal_language(settings):
    settings.FORMAT_MODULE_PATH = None
    settings.LANGUAGE_CODE = "de"
    assert format_date(dt.date(2026, 12, 1)) == "01.12.2026"
