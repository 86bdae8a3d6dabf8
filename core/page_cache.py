"""A member's pages kept whole in the cache until anything they show changes.

A member page (Home, the Recertification Portal, the Detailed Summary, Transactions) is built from
the member's own records and a few site-wide settings. The database gives both a version that
changes in the same transaction as any write to them, whoever makes it (`core.pages_version`:
triggers): `request.user.pages_version` and `request.user.site_pages_version`, read with the user in
the one query every signed-in request makes anyway. A page is cached under those versions, its
path and query, today's date (countdowns and deadlines move at midnight), the release (code and
templates) and the configuration pages show (site name, support address, card payment on or off). So a repeated view costs one cache read, and a member never sees a stale total: a save
changes the version before its redirect is followed, and the next view renders afresh.

Never cached: anything but a GET answered 200 by the view; staff (their pages depend on
permissions); a request with messages waiting to be shown; a view that changed the session, set a
cookie or answered with `Vary` (its page depends on a request header); a cache that is down
(core.cache answers a miss, and the page is rendered as without this). A kept page is served with
the headers its view gave it.

The form token: a page's CSRF token is stored as a placeholder and replaced by this request's own
token when the page is served, as `{% csrf_token %}` would have rendered it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache as default_cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from .site import site_url

TOKEN_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
PLACEHOLDER = b"\x00csrf\x00"  # never in a page: forms refuse NUL characters, so no value holds one
SOURCE_SUFFIXES = (".py", ".html", ".txt", ".css", ".js")


@cache
def release() -> str:
    """What the pages were made by: RELEASE from the environment (a deploy sets it, e.g. the
    commit), else a digest of the project's code and templates, read once per process."""
    given = os.environ.get("RELEASE", "").strip()
    if given:
        return given
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    skip = {".venv", "node_modules", ".git", "staticfiles", "media", "tests"}
    for folder, folders, files in os.walk(base):
        folders[:] = sorted(f for f in folders if f not in skip and not f.startswith("."))
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


# Settings member pages show or depend on: part of every key, so a change of configuration (a
# new support address, card payment switched on) is never hidden behind a kept page.
CONFIGURATION = (
    "SITE_NAME", "SUPPORT_EMAIL", "TIME_ZONE", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"
)  # fmt: skip


def _configuration() -> str:
    values = [str(getattr(settings, name, "")) for name in CONFIGURATION]
    values.append(site_url())  # absolute links: SITE_URL, or the request's host in development
    return hashlib.blake2b("\x1f".join(values).encode(), digest_size=6).hexdigest()


def configuration() -> str:
    """The configuration member pages show, as a digest for cache keys."""
    return _configuration()


def _seconds() -> int:
    return int(getattr(settings, "MEMBER_PAGE_CACHE_SECONDS", 0) or 0)


# --- kept fragments -------------------------------------------------------------------------------
# Parts of a member page that depend on less than the member's records (the portal's entry forms:
# the credentials they offer, not the entries), kept under a key of exactly what they show, so that
# the first view after a save reuses them. Rendered with PLACEHOLDER_TEXT as the form token, which
# the page replaces with its own.

PLACEHOLDER_TEXT = PLACEHOLDER.decode()


def _fragment_seconds() -> int:
    return int(getattr(settings, "MEMBER_FRAGMENT_CACHE_SECONDS", 0) or 0)


def kept_text(key: str) -> str | None:
    """The fragment kept under `key`, or None (not kept, expired, or the cache is down)."""
    if not _fragment_seconds():
        return None
    value = default_cache.get(key)
    return value if isinstance(value, str) else None


def keep_text(key: str, text: str) -> None:
    if _fragment_seconds():
        default_cache.set(key, text, _fragment_seconds())


def page_key(request: HttpRequest, name: str, vary: str = "") -> str | None:
    """The cache key of this member's page, or None when the page must be rendered afresh."""
    if request.method != "GET" or not _seconds():
        return None
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return None
    mine = getattr(user, "pages_version", None)
    site = getattr(user, "site_pages_version", None)
    if mine is None or site is None:
        return None
    if len(get_messages(request)):  # shown once, on the page rendered now
        return None
    where = hashlib.blake2b(request.get_full_path().encode(), digest_size=8).hexdigest()
    return (
        f"page:{release()}:{_configuration()}:{name}:{user.pk}:{mine}:{site}"
        f":{timezone.localdate().isoformat()}:{where}:{vary}"
    )


def _served(request: HttpRequest, stored: tuple[bytes, dict[str, str]]) -> HttpResponse:
    content, headers = stored
    if PLACEHOLDER in content:
        content = content.replace(PLACEHOLDER, get_token(request).encode())
    return HttpResponse(content, headers=headers)


def _storable(request: HttpRequest, response: HttpResponse) -> tuple[bytes, dict[str, str]] | None:
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    if response.has_header("Vary"):  # the page depends on a request header the key leaves out
        return None
    if getattr(request, "session", None) is not None and request.session.modified:
        return None
    if len(get_messages(request)):  # a message added while rendering belongs to this view only
        return None
    content = TOKEN_FIELD.sub(rb"\g<1>" + PLACEHOLDER + rb"\g<2>", response.content)
    return content, dict(response.headers)  # served with the headers the view gave it


def member_page(
    name: str, vary: Callable[[HttpRequest], str | None] | None = None
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve the view's page from the cache while nothing it shows has changed.

    `name` names the page in its key; `vary` adds what else the page depends on that is neither
    the member's records, the site settings, the date nor the release (e.g. a gateway's
    configuration), or answers None for a request to render afresh (a page shown once). Put it
    inside `login_required`."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            extra = vary(request) if vary else ""
            key = None if extra is None else page_key(request, name, extra)
            if key is None:
                return view(request, *args, **kwargs)
            stored = default_cache.get(key)
            if stored is not None:
                return _served(request, stored)
            response = view(request, *args, **kwargs)
            kept = _storable(request, response)
            if kept is not None:
                default_cache.set(key, kept, _seconds())
            return response

        return wrapped

    return decorate
