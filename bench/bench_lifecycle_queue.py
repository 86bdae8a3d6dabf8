"""The lifecycle and its emails on the database task queue, at scale: scans, workers, SMTP.

    DJANGO_SETTINGS_MODULE=bench.settings DEBUG=0 SECRET_KEY=... TASK_QUEUE=database \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_lifecycle \\
        python bench/bench_lifecycle_queue.py --today 2026-12-01 --out /tmp/lifecycle-queue.json

Needs a PostgreSQL database made by `manage.py generate_load_data` (its members' reports, credentials
and invoices make the due work). What it measures, in this order, each step in its own processes as
production runs them:

1. the busy day: `run_lifecycle --today D`, the first run on the generated data (everything due at
   once): wall time, peak memory (RSS), CPU and queries of the scan, and the tasks it queued by kind;
2. the default queue drained by `--default-workers` `manage.py db_worker --queue-name default
   --batch` processes (the lapses, terminations, certificates and reminders: each task changes one
   credential and records its emails);
3. the email queue drained by `--email-workers` workers against a local SMTP sink that holds each
   message `--sink-delay-ms` (as a remote server does): every recorded email must reach the sink
   exactly once;
4. the same day again and the next day (the idle hourly runs): the scan, then the next day's work;
5. `run_lifecycle` started while another run holds the lock: it says so and does nothing;
6. email throughput by number of workers: `--sample` sent emails made unsent again and re-queued,
   then sent by 1, 2 and 4 workers (`--throughput-workers`).

Prints one line per step and writes every figure to `--out` (JSON).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable


def child_scan(day: str) -> None:
    """Run inside the scan's own process: run_lifecycle for `day`, counting the queries."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    from io import StringIO

    out = StringIO()
    with connection.execute_wrapper(count):
        call_command("run_lifecycle", "--today", day, stdout=out)
    print(json.dumps({"queries": queries, "output": out.getvalue().strip()}))


def measured(argv: list[str], env: dict[str, str]) -> dict:
    """Run a process to its end: wall time, peak RSS (MB), CPU seconds and its stdout."""
    began = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    stdout = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{argv} exited {process.returncode}")
    return {
        "wall_s": round(time.perf_counter() - began, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "stdout": stdout,
    }


def scan(day: dt.date, env: dict[str, str]) -> dict:
    run = measured([PYTHON, __file__, "--child-scan", day.isoformat()], env)
    result = json.loads(run.pop("stdout").strip().splitlines()[-1])
    return run | result


def workers(queue: str, count: int, env: dict[str, str]) -> dict:
    """`count` db_worker processes taking `queue`'s tasks until none is left."""
    argv = [
        PYTHON, "manage.py", "db_worker", "--queue-name", queue, "--batch", "--interval", "0",
        "--no-startup-delay", "--no-reload", "-v", "0",
    ]  # fmt: skip
    began = time.perf_counter()
    processes = [
        subprocess.Popen(
            [*argv, "--worker-id", f"bench-{queue}-{i}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    peak, cpu = 0.0, 0.0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"a {queue} worker exited {os.waitstatus_to_exitcode(status)}")
        peak = max(peak, usage.ru_maxrss / 1024)
        cpu += usage.ru_utime + usage.ru_stime
    return {
        "workers": count,
        "wall_s": round(time.perf_counter() - began, 2),
        "peak_rss_mb_per_worker": round(peak, 1),
        "cpu_s": round(cpu, 2),
    }


def task_counts(**filters) -> dict[str, int]:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(**filters).values("task_path").annotate(n=Count("id"))
    return {row["task_path"].rsplit(".", 1)[-1]: row["n"] for row in rows}


def task_states() -> dict[str, int]:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.values("queue_name", "status").annotate(n=Count("id"))
    return {f"{row['queue_name']}:{row['status']}": row["n"] for row in rows}


def requeue_sent(sample: int) -> int:
    """Make `sample` sent emails unsent again and queue their tasks (the throughput runs)."""
    from django.db import transaction

    from core import tasks
    from members import emails
    from members.models import Notification

    with transaction.atomic():
        ids = list(
            Notification.objects.filter(status=Notification.Status.SENT)
            .order_by("pk")
            .values_list("pk", flat=True)[:sample]
        )
        Notification.objects.filter(pk__in=ids).update(
            status=Notification.Status.PENDING, attempts=0, sent_at=None
        )
        tasks.enqueue_many(emails.send_email, ({"notification_id": pk} for pk in ids))
    return len(ids)


def exactly_once(sink, since: int) -> dict:
    """Every sent email reached the sink once: the sink's recipients after message `since` against
    the recorded emails."""
    from members.models import Notification

    received = collections.Counter(r for m in sink.messages[since:] for r in m.recipients)
    statuses = collections.Counter(Notification.objects.values_list("status", flat=True))
    sent = collections.Counter(
        Notification.objects.filter(status=Notification.Status.SENT).values_list(
            "to_email", flat=True
        )
    )
    return {
        "messages": len(sink.messages) - since,
        "emails_sent": sum(sent.values()),
        "statuses": dict(statuses),
        "same_recipients": received == sent,
        "received_twice": sum(1 for n in (received - sent).values() if n),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child-scan", help=argparse.SUPPRESS)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--default-workers", type=int, default=2)
    parser.add_argument("--email-workers", type=int, default=4)
    parser.add_argument("--throughput-workers", default="1,2,4")
    parser.add_argument("--sample", type=int, default=5000)
    parser.add_argument("--sink-delay-ms", type=float, default=20.0)
    parser.add_argument("--out", default="lifecycle-queue.json")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="The busy day's scan ran already (a run stopped midway): go on with its tasks.",
    )
    args = parser.parse_args()
    if args.child_scan:
        return child_scan(args.child_scan)
    if os.environ.get("TASK_QUEUE") != "database":
        raise SystemExit("Set TASK_QUEUE=database (and DEBUG=0): this measures the queue.")

    from bench.smtp_sink import SmtpSink

    sink = SmtpSink(delay_ms=args.sink_delay_ms, keep_data=False).start()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "EMAIL_USE_TLS": "0",
        "EMAIL_TIMEOUT": "20",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)

    import django

    django.setup()
    from django.utils import timezone

    from members.models import Notification

    today = args.today or timezone.localdate()
    figures: dict = {"today": today.isoformat(), "sink_delay_ms": args.sink_delay_ms}

    def step(name: str, value: dict) -> None:
        figures[name] = value
        print(f"{name}: {json.dumps(value)}", flush=True)

    from django.contrib.auth import get_user_model

    step("data", {"members": get_user_model().objects.filter(username__startswith="load-").count()})
    emails_before = Notification.objects.count()
    if not args.resume:
        step("busy day scan", scan(today, env) | {"queued": task_counts(status="READY")})
    else:
        step("resumed", {"waiting": task_counts(status="READY")})
    step("busy day work", workers("default", args.default_workers, env) | {
        "tasks": task_counts(queue_name="default"),
        "states": task_states(),
        "emails recorded": Notification.objects.count() - emails_before,
    })  # fmt: skip
    step("busy day emails", workers("email", args.email_workers, env) | exactly_once(sink, 0))
    emails = figures["busy day emails"]
    emails["emails_per_s"] = round(emails["messages"] / emails["wall_s"], 1)
    print(f"busy day emails: {emails['emails_per_s']}/s", flush=True)

    step("same day again", scan(today, env) | {"queued": task_counts(status="READY")})
    next_day = today + dt.timedelta(days=1)
    step("next day", scan(next_day, env) | {"queued": task_counts(status="READY")})
    step("next day work", workers("default", args.default_workers, env))
    step("next day emails", workers("email", args.email_workers, env) | exactly_once(sink, 0))

    # A run started while another holds the lock (cron while a run overruns) does nothing.
    from lifecycle import jobs

    day = (today + dt.timedelta(days=2)).isoformat()
    with jobs.scan_lock():
        second = measured([PYTHON, "manage.py", "run_lifecycle", "--today", day], env)
    step("a second run while one runs", {
        "wall_s": second["wall_s"], "output": second["stdout"].strip(),
        "queued": task_counts(status="READY"),
    })  # fmt: skip

    for count in [int(n) for n in args.throughput_workers.split(",") if n]:
        since = len(sink.messages)
        connections = sink.connections
        queued = requeue_sent(args.sample)
        run = workers("email", count, env)
        sent = len(sink.messages) - since
        step(f"email throughput, {count} workers", run | {
            "queued": queued,
            "sent": sent,
            "connections": sink.connections - connections,
            "emails_per_s": round(sent / run["wall_s"], 1),
        })  # fmt: skip

    sink.stop()
    Path(args.out).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
