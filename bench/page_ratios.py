"""App CPU per request of each member and staff page, as a ratio to the signed-in bare view,
measured in one process with the requests interleaved (a quick companion to bench/run_load.py).

    python bench/page_ratios.py --database-url postgres://postgres@127.0.0.1:5432/perf_load \
        --rounds 200 [--pages portal-5,summary-300] [--json out.json]

Each round requests the signed-in bare view (`/bench/ceiling/signed-in/`, the floor every member
page pays: the session from Redis and the user from PostgreSQL) and then every page once, so a
change in the machine's load touches floor and pages alike. CPU is this process's CPU time
(`time.process_time`) around each request through Django's test client with the production
settings: the app's Python, the database driver and the template engine, not PostgreSQL's or
Redis's own CPU. The table gives the median per page and its ratio to the floor's median.

Members are picked from the generated load data (`manage.py generate_load_data`): a report still
open with about 5, 25 and 300 entries, one whose report has met its requirement (submit), one with
invoices (Transactions). POSTs (save an entry, submit) run in a transaction that is rolled back,
so the data never changes between rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_sessions import second_step_given  # noqa: E402
from profile_pages import configure, save_post  # noqa: E402

FLOOR = "signed-in bare view"


def _open_report_member(entries_low: int, entries_high: int, program: str = "ipma-hr") -> str:
    """A generated member with one open report of the program holding entries_low..high entries."""
    from django.db.models import Count

    from recertification.models import Report

    report = (
        Report.objects.filter(status="open", program=program, member__username__startswith="load-")
        .annotate(n=Count("entries"))
        .filter(n__gte=entries_low, n__lte=entries_high)
        .order_by("member_id")
        .select_related("member")
        .first()
    )
    if report is None:
        raise SystemExit(f"no member with {entries_low}-{entries_high} entries in {program}")
    return report.member.username


def _submit_member() -> tuple[str, dict]:
    """A member whose open report has met its requirement, and the submission form's data."""
    from django.utils import timezone

    from members.models import User
    from recertification import selectors
    from recertification.models import Report

    candidates = (
        Report.objects.filter(status="open", member__username__startswith="load-")
        .order_by("-id")
        .values_list("member_id", flat=True)[:400]
    )
    for member_id in candidates:
        member = User.objects.get(pk=member_id)
        for scored in selectors.current_reports(member):
            if scored.met and scored.report.is_editable:
                data = {
                    "report": str(scored.report.pk),
                    "date_agreed": timezone.localdate().isoformat(),
                    "agreement": "agree",
                }
                return member.username, data
    raise SystemExit("no member with a report ready to submit")


def _writer() -> str:
    """An IPMA-HR member far from the 50 points (at most 15 counted), so that the saves measured
    (each rolled back) always save."""
    from members.models import User
    from recertification import selectors
    from recertification.models import Report

    candidates = (
        Report.objects.filter(
            status="open", program="ipma-hr", member__username__startswith="load-"
        )
        .order_by("member_id")
        .values_list("member_id", flat=True)[:400]
    )
    for member_id in candidates:
        member = User.objects.get(pk=member_id)
        scored = selectors.current_reports(member)
        if len(scored) == 1 and scored[0].total <= 15 and scored[0].report.is_editable:
            return member.username
    raise SystemExit("no IPMA-HR member far from the requirement")


def _transactions_member() -> str:
    from payments.models import Invoice

    invoice = (
        Invoice.objects.filter(member__username__startswith="load-")
        .select_related("member")
        .order_by("id")
        .first()
    )
    return invoice.member.username


def _staff() -> str:
    from members.models import User

    return (
        User.objects.filter(is_superuser=True)
        .values_list("username", flat=True)
        .order_by("pk")
        .last()
    )


def pages() -> list[tuple[str, str, str, dict | None, int]]:
    """(label, member, url, posted data or None, expected status)."""
    from members.models import User

    five = _open_report_member(4, 6)
    twenty = _open_report_member(20, 30)
    heavy = _open_report_member(280, 330)
    submitter, submission = _submit_member()
    far = _writer()
    return [
        (FLOOR, five, "/bench/ceiling/signed-in/", None, 200),
        ("portal, 5 entries", five, "/recertification/", None, 200),
        ("portal, 25 entries", twenty, "/recertification/", None, 200),
        ("portal, 300 entries", heavy, "/recertification/", None, 200),
        ("detailed summary, 5 entries", five, "/recertification/summary/", None, 200),
        ("detailed summary, 300 entries", heavy, "/recertification/summary/", None, 200),
        (
            "save entry (POST)",
            far,
            "/recertification/",
            save_post(User.objects.get(username=far)),
            302,
        ),
        ("submit (POST)", submitter, "/recertification/submit/", submission, 302),
        ("transactions", _transactions_member(), "/transactions/", None, 200),
        ("admin review queue", _staff(), "/admin/recertification/report/", None, 200),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--pages", default="", help="comma-separated label prefixes to keep")
    parser.add_argument("--json", default="", help="also write the figures here")
    args = parser.parse_args()
    configure(args.database_url, args.redis_url)

    from django.db import transaction
    from django.test import Client

    from members.models import User

    chosen = pages()
    if args.pages:
        wanted = [w.strip() for w in args.pages.split(",") if w.strip()]
        chosen = [p for p in chosen if p[0] == FLOOR or any(p[0].startswith(w) for w in wanted)]
    clients = {}
    for _, username, *_ in chosen:
        if username not in clients:
            clients[username] = Client()
            user = User.objects.get(username=username)
            clients[username].force_login(user)
            if user.is_staff:
                session = clients[username].session
                session.update(second_step_given(user))
                session.save()

    def request(username, url, data, status) -> None:
        client = clients[username]
        if data is None:
            response = client.get(url)
        else:
            with transaction.atomic():
                response = client.post(url, data)
                transaction.set_rollback(True)
        assert response.status_code == status, (url, response.status_code)
        if data is not None:  # a save lands on "Just saved", a submission on Transactions
            assert "saved=" in response["Location"] or "transactions" in response["Location"], (
                url,
                response["Location"],
            )

    for _ in range(3):
        for _, username, url, data, status in chosen:
            request(username, url, data, status)
    cpu: dict[str, list[float]] = {label: [] for label, *_ in chosen}
    for _ in range(args.rounds):
        for label, username, url, data, status in chosen:
            began = time.process_time()
            request(username, url, data, status)
            cpu[label].append((time.process_time() - began) * 1000)
    floor = statistics.median(cpu[FLOOR])
    rows = []
    print(f"{args.rounds} rounds, interleaved; app CPU per request (ms) and ratio to the floor")
    print(f"{'page':32} {'median':>8} {'p10':>7} {'p90':>7} {'ratio':>7}")
    for label, *_ in chosen:
        values = sorted(cpu[label])
        median = statistics.median(values)
        row = {
            "page": label,
            "median_ms": round(median, 2),
            "p10_ms": round(values[len(values) // 10], 2),
            "p90_ms": round(values[len(values) * 9 // 10], 2),
            "ratio": round(median / floor, 2),
        }
        rows.append(row)
        print(
            f"{label:32} {row['median_ms']:8.2f} {row['p10_ms']:7.2f} {row['p90_ms']:7.2f} "
            f"{row['ratio']:6.2f}x"
        )
    for client in clients.values():
        client.logout()  # the sessions live in Redis: leave nothing behind
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
