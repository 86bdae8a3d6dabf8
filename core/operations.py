"""What a hosting team reads: a request id on every request and log line, JSON logs, errors to
Sentry, and Prometheus metrics (docs/deployment.md, "Operations").

- `RequestIdMiddleware` takes the id a proxy sent (`X-Request-ID`, when it looks like one) or
  makes one, answers with it, and `RequestIdFilter` puts it on every log record written while the
  request runs (`request_id`; "-" outside a request).
- `LOG_FORMAT=json` writes one JSON object a line (python-json-logger).
- `SENTRY_DSN` turns on error reporting (sentry-sdk), without personal data.
- `/metrics` (django-prometheus, recert_portal/metrics.py): request latency by view and the
  portal's own gauges (outbox backlog, failed webhook events), for METRICS_ALLOWED_IPS only.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_current = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def logging_config(*, json_lines: bool, level: str) -> dict:
    """LOGGING for settings: plain lines in development, JSON lines with LOG_FORMAT=json."""
    if json_lines:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.operations.RequestIdFilter"}},
        "formatters": {"portal": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "portal",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # django_tasks logs two lines per task at INFO (running, successful); a failure at ERROR.
        "loggers": {
            "axes": {"level": "WARNING"},
            "stripe": {"level": "WARNING"},
            "django_tasks": {"level": "WARNING"},
        },
    }


def sentry_init(dsn: str, *, environment: str, release: str) -> None:
    """Errors to Sentry, with no personal data (no user, no request bodies or cookies)."""
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment,
        release=release or None,
        send_default_pii=False,
        traces_sample_rate=0.0,
    )
