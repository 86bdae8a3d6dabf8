"""`first_dual_reason`: why a report's first-dual-cycle requirement applies (recertification.dual)."""

from django import template

from recertification import dual

register = template.Library()


@register.filter
def first_dual_reason(scored) -> str:
    """E.g. "Dual certification, first cycle as a dual certificant: CPMSM certified on 12/02/2023,
    so 30 credits, of which at least 15 NAMSS-approved credits, apply"; "" for other requirements."""
    return dual.first_dual_reason(scored)
