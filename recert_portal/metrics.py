"""`/metrics` for Prometheus: django-prometheus's request metrics (latency, counts by view and
status) and the portal's own gauges, read from the database at each scrape. Served only to the
addresses in METRICS_ALLOWED_IPS (none by default): the figures are for the hosting team."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily

from members.models import Notification
from members.ratelimit import client_address
from payments.models import StripeEvent


class PortalCollector:
    """Emails waiting to be sent (by status) and webhook events that failed: COUNT queries at
    each scrape, and none at start-up (`describe` names the metrics without reading them)."""

    def describe(self):
        yield GaugeMetricFamily("portal_outbox_unsent", "", labels=["status"])
        yield GaugeMetricFamily("portal_webhook_events_failed", "")

    def collect(self):
        backlog = GaugeMetricFamily(
            "portal_outbox_unsent", "Emails recorded but not sent yet, by status", labels=["status"]
        )
        for status in (
            Notification.Status.PENDING,
            Notification.Status.FAILED,
            Notification.Status.HELD,
        ):
            backlog.add_metric([status], Notification.objects.filter(status=status).count())
        yield backlog
        failed = GaugeMetricFamily(
            "portal_webhook_events_failed", "Stripe webhook events whose processing failed"
        )
        failed.add_metric([], StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).count())
        yield failed


_collector = PortalCollector()
REGISTRY.register(_collector)


def metrics(request):
    if client_address(request) not in settings.METRICS_ALLOWED_IPS:
        return HttpResponseForbidden("Metrics are not served to this address.")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
