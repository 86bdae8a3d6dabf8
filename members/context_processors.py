from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core import site
from recertification.rules import get_program

from .models import Credential


def _menu_offers(user) -> dict:
    """Whether the member's programs offer extensions, and whether the Reinstatement page has
    something for them: a program with reinstatement, or a lapsed credential of any program (the
    page holds the paper report route). One query; a credential of an unknown program is skipped,
    never an error on every page."""
    if not getattr(user, "is_authenticated", False):
        return {"extensions": False, "reinstatement": False}
    rows = set(Credential.objects.filter(holder=user).values_list("program", "status"))
    declarations = []
    for code in {program for program, _status in rows}:
        try:
            declarations.append(get_program(code))
        except (LookupError, ValueError):
            continue
    lapsed = any(status == Credential.Status.LAPSED for _program, status in rows)
    return {
        "extensions": any(p.offers_extensions for p in declarations),
        "reinstatement": lapsed or any(p.offers_reinstatement for p in declarations),
    }


def portal(request):
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        # The portal's address for absolute links (the request's host in development).
        "SITE_URL": site.site_url(),
        # Read only by the profile menu (member pages), so other pages run no query for it.
        "menu_offers": SimpleLazyObject(lambda: _menu_offers(user)),
    }
