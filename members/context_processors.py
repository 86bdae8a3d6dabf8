import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from core import site
from recertification.rules import get_program

from .models import Credential

logger = logging.getLogger(__name__)
UNREADABLE_LOG_SECONDS = 60 * 60


def _menu_offers(user) -> dict:
    """Whether the member's programs offer extensions and count membership records, and whether
    the Reinstatement page has something for them: a program with reinstatement, or a lapsed
    credential of any program (the page holds the paper report route). One query; a credential
    of an unknown program is skipped, never an error on every page."""
    if not getattr(user, "is_authenticated", False):
        return {
            "extensions": False,
            "reinstatement": False,
            "membership": False,
            "needs_attention": [],
        }
    rows = list(
        Credential.all_objects.filter(holder=user).values_list(
            "pk", "program", "designation", "status"
        )
    )
    declarations = {}
    needs_attention = []
    unreadable = set()
    for pk, code, designation, _status in rows:
        try:
            declaration = declarations.get(code) or get_program(code)
        except (LookupError, ValueError):
            declaration = None
        if declaration is None or designation not in declaration.credentials:
            needs_attention.append(designation or code)
            unreadable.add(pk)
            # Logged once an hour per record, not on every page the member opens; staff find
            # them all under Credentials › Needs attention.
            if cache.add(f"unreadable-credential-logged:{pk}", True, UNREADABLE_LOG_SECONDS):
                logger.error(
                    "credential %s of member %s cannot be read: program %r, designation %r",
                    pk, user.pk, code, designation,
                )  # fmt: skip
            continue
        declarations[code] = declaration
    lapsed = any(
        status == Credential.Status.LAPSED for pk, *_rest, status in rows if pk not in unreadable
    )
    return {
        "extensions": any(p.offers_extensions for p in declarations.values()),
        "reinstatement": lapsed or any(p.offers_reinstatement for p in declarations.values()),
        # The Membership page lists the staff records some programs add points from.
        "membership": any(
            kind.auto_from.startswith("membership:")
            for p in declarations.values()
            for kind in p.kinds
        ),
        # Designations of records the portal cannot read (base.html tells the member).
        "needs_attention": needs_attention,
    }


def _email_unverified(user) -> bool:
    """The signed-in member has not opened the link that verifies their address (no query: the
    account is loaded already)."""
    return bool(getattr(user, "is_authenticated", False) and user.email_verified_at is None)


def portal(request):
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        # The portal's address for absolute links (the request's host in development).
        "SITE_URL": site.site_url(),
        # One query, run only when a template reads it: the profile menu of member pages, and
        # base.html's notice of unreadable records on every page a signed-in person sees (kept
        # pages, core.page_cache, are served without rendering and run none).
        "menu_offers": SimpleLazyObject(lambda: _menu_offers(user)),
        # The "Confirm your email address" banner of member pages and Home.
        "email_unverified": SimpleLazyObject(lambda: _email_unverified(user)),
    }
