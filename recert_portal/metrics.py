"""`/metrics` for Prometheus: django-prometheus's request metrics (latency, counts by view and
status) and the portal's own gauges, read from the database at each scrape. Served only to the
addresses in METRICS_ALLOWED_IPS (none by default): the figures are for the hosting team."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily

from members.models import Notification
from members.ratelimit import client_address
from payments.models import StripeEvent


class PortalCollector:
    """Emails waiting to be sent (by status), the task queue's depth and failures (by queue), and
    webhook events that failed: COUNT queries at each scrape, and none at start-up (`describe`
    names the metrics without reading them)."""

    def describe(self):
        yield GaugeMetricFamily("portal_outbox_unsent", "", labels=["status"])
        yield GaugeMetricFamily("portal_tasks", "", labels=["queue", "state"])
        yield GaugeMetricFamily("portal_task_oldest_waiting_seconds", "", labels=["queue"])
        yield GaugeMetricFamily("portal_webhook_events_failed", "")

    def collect(self):
        backlog = GaugeMetricFamily(
            "portal_outbox_unsent", "Emails recorded but not sent yet, by status", labels=["status"]
        )
        unsent = [
            Notification.Status.PENDING,
            Notification.Status.QUEUED,
            Notification.Status.SENDING,
            Notification.Status.FAILED,
            Notification.Status.HELD,
        ]
        counts = dict(
            Notification.objects.filter(status__in=unsent)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for status in unsent:
            backlog.add_metric([status], counts.get(status, 0))
        yield backlog
        yield from self._tasks()
        failed = GaugeMetricFamily(
            "portal_webhook_events_failed", "Stripe webhook events whose processing failed"
        )
        failed.add_metric([], StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).count())
        yield failed

    def _tasks(self):
        """The queue by state: "waiting" (ready to run now: the depth workers must catch up on),
        "scheduled" (to run later: an email's next attempt), "running", "failed" (the task raised;
        staff see it under Task Results)."""
        now = timezone.now()
        at_once = Q(run_after=get_date_max())  # queued to run now: waiting since it was queued
        became_due = Q(run_after__lte=now)  # queued for later (a retry): waiting since run_after
        due = at_once | became_due
        rows = (
            DBTaskResult.objects.exclude(status="SUCCESSFUL")
            .values("queue_name")
            .annotate(
                waiting=Count("pk", filter=Q(status="READY") & due),
                scheduled=Count("pk", filter=Q(status="READY") & ~due),
                running=Count("pk", filter=Q(status="RUNNING")),
                failed=Count("pk", filter=Q(status="FAILED")),
                oldest_queued=Min("enqueued_at", filter=Q(status="READY") & at_once),
                oldest_due=Min("run_after", filter=Q(status="READY") & became_due),
            )
        )
        counts = GaugeMetricFamily(
            "portal_tasks", "Background tasks by queue and state", labels=["queue", "state"]
        )
        oldest = GaugeMetricFamily(
            "portal_task_oldest_waiting_seconds",
            "Seconds the oldest task ready to run has waited, by queue",
            labels=["queue"],
        )
        for row in rows:
            for state in ("waiting", "scheduled", "running", "failed"):
                counts.add_metric([row["queue_name"], state], row[state])
            since = [t for t in (row["oldest_queued"], row["oldest_due"]) if t is not None]
            waited = (now - min(since)).total_seconds() if since else 0
            oldest.add_metric([row["queue_name"]], max(waited, 0))
        yield counts
        yield oldest


_collector = PortalCollector()
REGISTRY.register(_collector)


def metrics(request):
    if client_address(request) not in settings.METRICS_ALLOWED_IPS:
        return HttpResponseForbidden("Metrics are not served to this address.")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
