"""One way to write a date for people: the format of recert_portal/formats (as templates' |date)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats

# Django format characters with an exact strftime twin (numbers only: no names, no locale).
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "H": "%H", "i": "%M"}


@lru_cache(maxsize=8)
def _strftime_pattern(django_format: str) -> str | None:
    """The strftime pattern of a Django date format, or None when it needs Django's formatter."""
    pattern = []
    for char in django_format:
        if char.isalpha():
            if char not in _STRFTIME:
                return None
            pattern.append(_STRFTIME[char])
        else:
            pattern.append(char.replace("%", "%%"))
    return "".join(pattern)


@lru_cache(maxsize=8)
def _format_for(language: str | None) -> tuple[str, str | None]:
    django_format = formats.get_format("SHORT_DATE_FORMAT", language)
    return django_format, _strftime_pattern(django_format)


@receiver(setting_changed)
def _formats_changed(*, setting: str, **kwargs) -> None:
    if "FORMAT" in setting or setting == "LANGUAGE_CODE":
        _format_for.cache_clear()


def format_date(day: dt.date) -> str:
    """E.g. "12/01/2026" (SHORT_DATE_FORMAT of the portal's language, LANGUAGE_CODE: pages are not
    translated per request). Pages list hundreds of dates, so a numeric format goes through strftime
    (three times quicker than Django's formatter, same text)."""
    django_format, pattern = _format_for(settings.LANGUAGE_CODE)
    return day.strftime(pattern) if pattern else formats.date_format(day, django_format)
