"""The cache (Redis in production), built so that its outage costs speed, never a page.

With Redis gone, `ResilientRedisCache` answers every read as a miss and drops every write (each
failure is logged, at most once a minute per process), so:

- sessions, stored by `cached_db`, are read from the database: nobody is signed out and no POST
  is lost;
- cached values (the check mailing addresses) are read from the database again;
- counters (`incr`, the rate limits of members.ratelimit) raise `CacheUnavailable`, and the
  rate limits then count in the process's own memory: still limited, never a 500.

`redis_cache_settings` is the one place the production CACHES and SESSION_ENGINE are written
(recert_portal/settings.py, and the fault tests that start their own Redis).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# Give up on an unreachable or hanging Redis quickly: a page waits at most this long per call.
SOCKET_TIMEOUT_SECONDS = 0.5
LOG_EVERY_SECONDS = 60


class CacheUnavailable(Exception):
    """The cache could not be reached for an operation that has no safe "miss" (a counter)."""


OUTAGE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, with an outage turned into misses (see the module docstring)."""

    _last_logged = 0.0

    def _failed(self, operation: str, error: BaseException) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged >= LOG_EVERY_SECONDS:
            ResilientRedisCache._last_logged = now
            logger.error("cache unavailable (%s): %s", operation, error)

    def _call(self, operation: str, miss: Any, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except OUTAGE_ERRORS as error:
            self._failed(operation, error)
            return miss

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._call("clear", False, super().clear)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except OUTAGE_ERRORS as error:
            self._failed("incr", error)
            raise CacheUnavailable(str(error)) from error

    def ping(self) -> None:
        """Reach Redis now (the readiness check); raises CacheUnavailable when it cannot."""
        try:
            self._cache.get_client(write=True).ping()
        except OUTAGE_ERRORS as error:
            raise CacheUnavailable(str(error)) from error


def redis_cache_settings(url: str, *, prefix: str) -> tuple[dict, str]:
    """CACHES and SESSION_ENGINE for a Redis at `url`: sessions in the database with the cache in
    front of it (`cached_db`), so that a cache outage signs nobody out."""
    caches = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
                "socket_timeout": SOCKET_TIMEOUT_SECONDS,
            },
        }
    }
    return caches, "django.contrib.sessions.backends.cached_db"
