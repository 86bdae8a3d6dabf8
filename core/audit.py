"""One way to leave an audit record for any state change: who, when, what, why, before and after."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from .models import AuditLog


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def signed_in(actor):
    """The actor as a user to record (who decided, who made it), or None for the portal itself, a
    job, or an anonymous request."""
    return actor if getattr(actor, "is_authenticated", False) else None


def log_action(
    obj: models.Model,
    action: str,
    *,
    actor=None,
    member=None,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditLog:
    return AuditLog.objects.create(
        actor=signed_in(actor),
        member=member,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        action=action,
        reason=reason,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
