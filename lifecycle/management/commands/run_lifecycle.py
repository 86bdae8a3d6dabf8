"""Run every lifecycle job in order; idempotent, safe to run every hour from cron or a systemd timer.

Only one runs at a time (`jobs.scan_lock`): a second one started while the first overruns says so
and exits without doing anything (exit status 0, so that cron does not report it as a failure).
"""

from django.core.management.base import CommandError
from django.utils import timezone

from core import tasks
from lifecycle import jobs
from lifecycle import tasks as lifecycle_tasks

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = (
        "Run every lifecycle job in order: extensions, lapses, terminations, reports, "
        "certificates, reminders, invoice reminders, email retries. Safe to run every hour; "
        "a run started while another is running does nothing."
    )

    def handle(self, *args, **options):
        today = options["today"] or timezone.localdate()
        try:
            results = jobs.run_all(today=today)
        except jobs.ScanRunning:
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"{today.isoformat()}: another lifecycle run is running; none made."
                )
            return
        if options["verbosity"] >= 1:
            queued = "" if tasks.in_process(lifecycle_tasks.lapse_credential) else " (tasks queued)"
            summary = ", ".join(f"{name} {count}" for name, count in results.items())
            self.stdout.write(f"{today.isoformat()}: {summary}{queued}")
        failed = [name for name, count in results.items() if count < 0]
        if failed:
            raise CommandError(f"Lifecycle jobs failed: {', '.join(failed)} (see the log).")
