"""API tokens: each shown once when made, stored as its SHA-256 digest, revocable, several per
provider, each scoped to the provider it was made for.

A token is 32 random bytes (`rp_` + 43 URL-safe characters): a digest of so much randomness cannot
be guessed back, so a fast hash is enough and a look-up by digest is the whole check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import log_action, signed_in

from .models import ApiToken, Provider

PREFIX = "rp_"
LAST_USED_EVERY = dt.timedelta(minutes=5)
"""How stale `last_used_at` may be: a busy token is not written on every request."""


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(*, provider: Provider, name: str, actor=None) -> tuple[ApiToken, str]:
    """A new token for `provider`; the raw token is returned here once and never stored."""
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": "Name the token after what will use it, e.g. “LMS”."})
    if len(name) > 100:
        raise ValidationError({"name": "The name is longer than 100 characters."})
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        provider=provider,
        name=name,
        prefix=raw[:10],
        digest=digest_of(raw),
        created_by=signed_in(actor),
    )
    log_action(token, "created", actor=actor, after={"provider": provider.pk, "name": name})
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    """Revoke a token at once; revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = signed_in(actor)
        token.save(update_fields=["revoked_at", "revoked_by"])
        log_action(token, "revoked", actor=actor, after={"provider": token.provider_id})
    return token


def token_for(raw: str) -> ApiToken | None:
    """The active token of an active provider that `raw` is, or None."""
    raw = str(raw or "").strip()
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("provider")
        .filter(digest=digest_of(raw), revoked_at__isnull=True, provider__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
