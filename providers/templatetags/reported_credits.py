"""`{% reported_credits_box request.user %}`: how many credits CE providers reported for the member
are pending their review, with a link to review them.

Read from the database each time the page is rendered (one query): a kept page is keyed on the
member's pages version, which the database's triggers change when a completion row changes.
"""

from django import template

from providers.acceptance import pending_count

register = template.Library()


@register.inclusion_tag("providers/member/_reported_credits_box.html")
def reported_credits_box(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return {"pending": 0}
    return {"pending": pending_count(user)}
