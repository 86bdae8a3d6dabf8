"""Who is asking: fixed-window counters in the cache, the client's address, the sign-in key.

`hit` limits requests that send email (reset, find my account) and public lookups.
`client_address` is the one reading of the client's address, shared by these limits and by
django-axes (`AXES_CLIENT_IP_CALLABLE`); `axes_username` makes every spelling of one account
count as one account for the sign-in lockout (`AXES_USERNAME_CALLABLE`).
"""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache


def hit(scope: str, key: str, *, limit: int, window_seconds: int = 3600) -> bool:
    """Count one request; return True while the caller is within `limit` per window."""
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def client_address(request) -> str:
    """The client's IP address.

    With PROXY_COUNT = 0 (the default) only REMOTE_ADDR counts: X-Forwarded-For is whatever the
    client chose to send. With PROXY_COUNT = n trusted proxies in front of the portal, each
    proxy appends the address it received the request from, so the client is the n-th address
    from the right; anything further left was written by the client and is ignored. A request
    that did not come through all n proxies (too few addresses), or an entry that is not an IP
    address, falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote


def axes_username(request, credentials: dict | None = None) -> str:
    """The sign-in lockout key's account part: one key per account however it is typed.

    Members sign in with their username or their email, in any case; without this, "pat",
    "PAT", "pat@example.org" and "Pat@Example.org" would each get their own five attempts.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "POST", {}).get(field) if request is not None else None
    ident = str(raw or "").strip().lower()
    if "@" not in ident:
        return ident
    cached = getattr(request, "_axes_account", None)
    if cached is not None and cached[0] == ident:
        return cached[1]
    from django.contrib.auth import get_user_model

    username = (
        get_user_model()
        ._default_manager.filter(email__iexact=ident)
        .order_by("id")
        .values_list("username", flat=True)
        .first()
    )
    key = username.lower() if username else ident
    if request is not None:
        request._axes_account = (ident, key)
    return key
