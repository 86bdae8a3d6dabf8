"""Time the review queue's pages in-process: wall time, app CPU and SQL time per request.

    python bench/bench_queue.py --database-url postgres://postgres@127.0.0.1:5432/queue_bench \
        --repeat 20

Each view of the queue (the first page, "My queue", "Unassigned", "Documents received", every
status) is requested a few times to warm up, then `--repeat` times as the generated staff user;
prints the medians: wall time, Python CPU of the process (the app's CPU, the database client
included), the time spent waiting on SQL (measured around each query) and the number of queries.
Needs a database made by `manage.py generate_load_data`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_sessions import second_step_given  # noqa: E402
from profile_pages import configure  # noqa: E402

VIEWS = {
    "queue, first page": {},
    "my queue": {"assigned": "me"},
    "unassigned": {"assigned": "none"},
    "documents received": {"documents": "received"},
    "waiting past turnaround": {"waiting": "overdue"},
    "all statuses": {"status": "all"},
    "queue, page 20": {"p": "20"},
}


def prepare(user) -> None:
    """Assignments and audit selections, which generate_load_data does not make."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from recertification.models import Report

    queue = ["submitted", "payment_due", "in_review", "audit"]
    with transaction.atomic():
        ids = list(
            Report.objects.filter(status__in=queue).order_by("pk").values_list("pk", flat=True)
        )
        Report.objects.filter(pk__in=ids[::10]).update(assigned_to=user)
        # Selected a month ago, so uploads since then count as "documents received".
        audited = Report.objects.filter(status="audit").update(
            selected_for_audit=True, audit_selected_at=timezone.now() - dt.timedelta(days=30)
        )
    print(f"prepared: {len(ids[::10]):,} reports assigned, {audited:,} under audit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="one view's name")
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="first assign every tenth report of the queue to the staff user and date the "
        "selection of each report under audit 30 days back (once)",
    )
    args = parser.parse_args()
    configure(args.database_url, args.redis_url)

    from django.db import connection
    from django.test import Client

    from members.models import User
    from recertification.models import Report

    user = User.objects.filter(is_superuser=True).order_by("pk").last()
    client = Client()
    client.force_login(user)
    session = client.session
    session.update(second_step_given(user))  # as after the authenticator code, required of staff
    session.save()
    url = "/admin/recertification/report/"
    if args.prepare:
        prepare(user)
    print(
        f"{connection.vendor}: {Report.objects.count():,} reports, "
        f"{Report.objects.filter(status__in=['submitted', 'payment_due', 'in_review', 'audit']).count():,} "
        f"in the queue; as {user.username}; median of {args.repeat}"
    )
    print(f"{'view':28} {'wall ms':>8} {'app CPU ms':>11} {'SQL ms':>8} {'queries':>8}")
    sql: list[float] = []

    def timed(execute, query, params, many, context):
        began = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql.append(time.perf_counter() - began)

    for name, params in VIEWS.items():
        if args.only and name != args.only:
            continue
        walls, cpus, sqls, counts = [], [], [], []
        for i in range(3 + args.repeat):
            sql.clear()
            began, began_cpu = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(timed):
                response = client.get(url, params)
            wall = time.perf_counter() - began
            cpu = time.process_time() - began_cpu
            assert response.status_code == 200, (response.status_code, response.get("Location"))
            if i >= 3:
                walls.append(wall * 1000)
                cpus.append(cpu * 1000)
                sqls.append(sum(sql) * 1000)
                counts.append(len(sql))
        print(
            f"{name:28} {statistics.median(walls):8.1f} {statistics.median(cpus):11.1f} "
            f"{statistics.median(sqls):8.1f} {max(counts):8d}"
        )
    client.logout()


if __name__ == "__main__":
    main()
