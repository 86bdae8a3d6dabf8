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
from django.core.cache.backends.locmem import LocMemCache

from core.cache import CacheUnavailable

from .backends import account_for, fold

# Where the counters go while the shared cache is down: this process's memory, so that the
# limits still hold (per process) instead of every request passing or failing.
_local = LocMemCache("ratelimit-fallback", {"TIMEOUT": 3600, "OPTIONS": {"MAX_ENTRIES": 10000}})


def _count(store, cache_key: str, window_seconds: int) -> int:
    store.add(cache_key, 0, timeout=window_seconds)
    try:
        return store.incr(cache_key)
    except ValueError:  # expired between add and incr
        store.set(cache_key, 1, timeout=window_seconds)
        return 1


def hit(scope: str, key: str, *, limit: int, window_seconds: int = 3600) -> bool:
    """Count one request; return True while the caller is within `limit` per window."""
    digest = hashlib.sha256(fold(key).encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}"
    try:
        count = _count(cache, cache_key, window_seconds)
    except CacheUnavailable:
        count = _count(_local, cache_key, window_seconds)
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


def account_key(ident: str) -> str:
    """The key a limit counts under for a typed username or email: the account it names (every
    spelling of one account shares it), else the typed name as the portal compares names."""
    user = account_for(ident)
    return f"account:{user.pk}" if user is not None else fold(ident)


def axes_username(request, credentials: dict | None = None) -> str:
    """The sign-in lockout key's account part: one key per account however it is typed.

    Members sign in with their username or their email, in any case; the key is the account the
    name resolves to (`account_key`), the same resolution the sign-in itself uses, so that no
    spelling gets attempts of its own or signs in past a lockout.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "POST", {}).get(field) if request is not None else None
    ident = str(raw or "").strip()
    cached = getattr(request, "_axes_account", None)
    if cached is not None and cached[0] == ident:
        return cached[1]
    key = account_key(ident)
    if request is not None:
        request._axes_account = (ident, key)
    return key
