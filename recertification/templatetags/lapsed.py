"""`lapsed_credentials`: the member's lapsed and terminated credentials for `_lapsed.html`.

The portal passes its own `lapsed`. The Detailed Summary and Uploads pages do not read them: there
the tag reads them (one query) when the page has nothing of a current report to show (no
`scored_reports`, no upload `rows`), so that a lapsed member is told why and where to go instead
of "No records", and a member with an open report pays no query for it.
"""

from django import template

from members.models import Credential

register = template.Library()


@register.simple_tag(takes_context=True)
def lapsed_credentials(context) -> list[Credential]:
    if "lapsed" in context:
        return context["lapsed"]
    if context.get("scored_reports") or context.get("rows"):
        return []
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(
        Credential.objects.filter(
            holder=user, status__in=(Credential.Status.LAPSED, Credential.Status.TERMINATED)
        ).order_by("designation")
    )
