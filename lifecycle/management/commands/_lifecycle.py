"""Shared by the lifecycle commands: a --today option and one line of output per job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date like 2026-12-01 (got {value!r}).") from None


class LifecycleCommand(BaseCommand):
    """Runs one `lifecycle `run_<job>(today=...)` (lifecycle/jobs.py)`; idempotent, safe to run every hour."""

    job: Callable[..., int]
    done = "changes"

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=parse_day,
            default=None,
            help="Act as if today were this date (YYYY-MM-DD); default: today in TIME_ZONE.",
        )

    def run(self, today: dt.date, options: dict) -> int:
        return type(self).job(today=today)

    def handle(self, *args, **options):
        today = options["today"] or timezone.localdate()
        count = self.run(today, options)
        if options["verbosity"] >= 1:
            self.stdout.write(f"{today.isoformat()}: {count} {self.done}")
