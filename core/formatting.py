"""One way to write a date for people: the format of recert_portal/formats (as templates' |date)."""

from __future__ import annotations

import datetime as dt

from django.utils import formats


def format_date(day: dt.date) -> str:
    """E.g. "12/01/2026" (SHORT_DATE_FORMAT)."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")
