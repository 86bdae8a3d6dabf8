"""Run every lifecycle job in order; idempotent, safe to run every hour from cron or a systemd timer."""

from django.core.management.base import CommandError
from django.utils import timezone

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = (
        "Run every lifecycle job in order: extensions, lapses, terminations, reports, "
        "certificates, reminders, invoice reminders, email retries. Safe to run every hour."
    )

    def handle(self, *args, **options):
        today = options["today"] or timezone.localdate()
        results = jobs.run_all(today=today)
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{name} {count}" for name, count in results.items())
            self.stdout.write(f"{today.isoformat()}: {summary}")
        failed = [name for name, count in results.items() if count < 0]
        if failed:
            raise CommandError(f"Lifecycle jobs failed: {', '.join(failed)} (see the log).")
