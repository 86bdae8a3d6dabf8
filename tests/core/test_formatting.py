"""Dates read the same in Python, templates, PDFs and emails: the portal's format module."""

import datetime as dt

from django.template import Context, Template

from core.formatting import format_date


def test_python_and_templates_write_a_date_the_same_way():
    day = dt.date(2026, 12, 1)
    rendered = Template('{{ d|date:"SHORT_DATE_FORMAT" }} {{ d|date }}').render(Context({"d": day}))
    assert format_date(day) == "12/01/2026"
    assert rendered == "12/01/2026 12/01/2026"
