from django import template

from recertification import rules

register = template.Library()


@register.filter
def points(value) -> str:
    """5 not 5.00; 0.25 stays 0.25."""
    if value is None or value == "":
        return ""
    return rules.format_decimal(value)


@register.filter
def detail(entry, key: str) -> str:
    details = getattr(entry, "details", None) or {}
    return details.get(key, "")
