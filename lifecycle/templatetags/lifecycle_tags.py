"""`{% where_you_stand request.user %}`: the member's deadlines and next steps, on any page."""

from django import template

from lifecycle.standing_summary import where_you_stand as lines_for

register = template.Library()


@register.inclusion_tag("lifecycle/_where_you_stand.html", takes_context=True)
def where_you_stand(context, user):
    """The portal's own credentials and scored reports (`member_credentials`, `scored_reports`) are
    reused: no second read, no second scoring."""
    if user is None or not user.is_authenticated:
        return {"where_you_stand": []}
    return {
        "where_you_stand": lines_for(
            user, context.get("member_credentials"), scored=context.get("scored_reports")
        )
    }
