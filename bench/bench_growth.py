"""Growth: does a page slow down as the data grows? Timed in-process with production settings.

    .venv/bin/python bench/bench_growth.py                 # creates its databases when missing
    .venv/bin/python bench/bench_growth.py --large-db recert_load --small-db recert_growth_small

1. The member portal page and the Recertification Detailed Summary (every entry listed, with the
   totals), each with 5 entries and with 300 entries (goal: within 1.5x). Two members per program
   are added to the large database for this (prefix `growth-`, removed afterwards): IPMA-HR (300
   entries meet the 50 points, so the entry forms give way to "submit"), and NAMSS with credits
   that are not NAMSS-approved (the requirement stays unmet: forms in both cases). Both pages are
   requested for the same members, alternately.
2. The admin review queue (the Report changelist as staff open it) with about 100,000 reports
   and with about 1,000 (goal: within 2x). Each database is made by `generate_load_data` with
   the same mix; the large one is also the load test's.

Prints median wall time, the 10th percentile of Python CPU time (the least disturbed requests on
a shared machine) and the ratios. Requests alternate between the cases, so drift hits both alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREFIX = "growth-"

# The member pages measured with 5 and with 300 entries: name -> URL.
MEMBER_PAGES = {"portal": "/recertification/", "summary": "/recertification/summary/"}


def configure(database: str) -> None:
    from bench.profile_pages import configure as setup

    setup(f"postgres://postgres@127.0.0.1:5432/{database}", "redis://127.0.0.1:6379/9")


def timed(requests: dict, repeat: int) -> dict:
    """Alternate the named requests `repeat` times; wall median and CPU p10 per name, in ms."""
    wall = {name: [] for name in requests}
    cpu = {name: [] for name in requests}
    for request in requests.values():
        for _ in range(5):
            request()
    for _ in range(repeat):
        for name, request in requests.items():
            began, began_cpu = time.perf_counter(), time.process_time()
            request()
            wall[name].append((time.perf_counter() - began) * 1000)
            cpu[name].append((time.process_time() - began_cpu) * 1000)
    return {
        name: {
            "wall_median": statistics.median(wall[name]),
            "cpu_p10": sorted(cpu[name])[len(cpu[name]) // 10],
            "cpu_median": statistics.median(cpu[name]),
        }
        for name in requests
    }


def make_member(program: str, entries: int, index: int):
    from django.utils import timezone

    from members.models import Credential, User
    from recertification import rules
    from recertification.models import Entry, EntryFile, Report, ReportCredential

    today = timezone.localdate()
    declaration = rules.get_program(program)
    if program == "namss":
        year = today.year - 1 if today >= dt.date(today.year, 12, 2) else today.year - 2
        start = dt.date(year, 12, 2)
    else:
        start = today - dt.timedelta(days=600)
    end = declaration.cycle_end(start)
    user = User.objects.create(
        username=f"{PREFIX}{program}-{entries}-{index}",
        email=f"{PREFIX}{program}-{entries}-{index}@load.example.org",
        first_name="Growth",
        last_name=f"Member{entries}",
        member_number=str(8_900_000_000 + index),
        password="!",
    )
    designation = "IPMA-SCP" if program == "ipma-hr" else "CPCS"
    credential = Credential.objects.create(
        holder=user, program=program, designation=designation, certified_since=start,
        cycle_start=start, cycle_end=end, status="renew",
    )  # fmt: skip
    report = Report.objects.create(member=user, program=program, cycle_start=start, cycle_end=end)
    ReportCredential.objects.create(report=report, credential=credential, cycle_start=start)
    window = (min(end, today) - start).days
    rows = []
    for i in range(entries):
        day = start + dt.timedelta(days=i * window // max(entries, 1))
        if program == "namss":
            rows.append(
                Entry(member=user, program=program, kind="namss.ce", category="ce", date=day,
                      quantity="0.25", details={"title": f"Webinar {i}", "provider": "NAMSS",
                      "location": "Online"})
            )  # fmt: skip
        elif i % 10 == 0:
            rows.append(
                Entry(member=user, program=program, kind="ipma.innovation",
                      category="innovation", date=day, details={"description": f"Pilot {i}"})
            )  # fmt: skip
        else:
            rows.append(
                Entry(member=user, program=program, kind="ipma.pd.partial_day", category="pd",
                      date=day, details={"title": f"Workshop {i}", "sponsor": "IPMA-HR"})
            )  # fmt: skip
    Entry.objects.bulk_create(rows)
    Entry.reports.through.objects.bulk_create(
        [Entry.reports.through(entry_id=e.pk, report_id=report.pk) for e in rows]
    )
    EntryFile.objects.bulk_create(
        [
            EntryFile(entry=e, file=f"entries/{user.pk}/{e.pk}.pdf", original_name="proof.pdf",
                      content_type="application/pdf", size=1000)
            for e in rows
            if e.kind in ("ipma.innovation", "namss.ce") and e.pk % 3 == 0
        ]
    )  # fmt: skip
    return user


def measure_portal(database: str, repeat: int) -> dict:
    configure(database)
    from django.core.management import call_command
    from django.test import Client

    from members.models import User

    if User.objects.filter(username__startswith=PREFIX).exists():
        call_command("generate_load_data", delete=True, prefix=PREFIX, force=True, verbosity=0)
    results = {}
    try:
        for program in ("ipma-hr", "namss"):
            clients = {}
            for n, entries in enumerate((5, 300)):
                client = Client()
                client.force_login(
                    make_member(program, entries, n + (10 if program == "namss" else 0))
                )
                clients[entries] = client

            def get(client, url):
                def request():
                    response = client.get(url)
                    assert response.status_code == 200

                return request

            timing = timed(
                {
                    (page, n): get(c, url)
                    for page, url in MEMBER_PAGES.items()
                    for n, c in clients.items()
                },
                repeat,
            )
            results[program] = {
                page: {str(n): timing[(page, n)] for n in clients} for page in MEMBER_PAGES
            }
            for client in clients.values():
                client.logout()
    finally:
        call_command("generate_load_data", delete=True, prefix=PREFIX, force=True, verbosity=0)
    return results


def measure_queue(database: str, repeat: int) -> dict:
    configure(database)
    from django.test import Client

    from backoffice.review import QUEUE_STATUSES
    from members.models import User
    from recertification.models import Report

    client = Client()
    client.force_login(User.objects.get(username="load-staff"))

    def request():
        response = client.get("/admin/recertification/report/")
        assert response.status_code == 200

    timing = timed({"queue": request}, repeat)["queue"]
    client.logout()
    return {
        **timing,
        "reports": Report.objects.count(),
        "in_queue": Report.objects.filter(status__in=QUEUE_STATUSES).count(),
    }


def ensure_database(name: str, members: int, entries: int) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return
        db.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "DEBUG": "0",
        "SECRET_KEY": "growth-only-" + "g" * 60,
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run(
        [python, "manage.py", "generate_load_data", "--force", "--members", str(members),
         "--entries", str(entries)],
        env=env, cwd=ROOT, check=True,
    )  # fmt: skip


def child(args) -> None:
    """One measurement in a process of its own (Django is set up once per process)."""
    if args.child == "portal":
        result = measure_portal(args.database, args.repeat)
    else:
        result = measure_queue(args.database, args.repeat)
    print("RESULT " + json.dumps(result))


def run_child(kind: str, database: str, repeat: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--database", database, "--repeat", str(repeat)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-db", default="recert_growth_large")
    parser.add_argument("--small-db", default="recert_growth_small")
    parser.add_argument("--large-members", type=int, default=85_000)  # about 100,000 reports
    parser.add_argument("--small-members", type=int, default=850)  # about 1,000 reports
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--child", choices=["portal", "queue"])
    parser.add_argument("--database")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    ensure_database(args.large_db, args.large_members, args.large_members * 20)
    ensure_database(args.small_db, args.small_members, args.small_members * 20)

    portal = run_child("portal", args.large_db, args.repeat)
    print("Portal page and Detailed Summary, 5 entries against 300 (goal: 300 within 1.5x of 5)")
    print(f"{'page':<8} {'program':<9} {'entries':>7} {'wall median ms':>15} {'CPU p10 ms':>11}")
    for program, pages in portal.items():
        for page, rows in pages.items():
            for entries in ("5", "300"):
                row = rows[entries]
                print(
                    f"{page:<8} {program:<9} {entries:>7} {row['wall_median']:>15.1f} "
                    f"{row['cpu_p10']:>11.1f}"
                )
            wall = rows["300"]["wall_median"] / rows["5"]["wall_median"]
            cpu = rows["300"]["cpu_p10"] / rows["5"]["cpu_p10"]
            print(f"{page:<8} {program:<9} {'ratio':>7} {wall:>14.2f}x {cpu:>10.2f}x")

    small = run_child("queue", args.small_db, args.repeat)
    large = run_child("queue", args.large_db, args.repeat)
    print("\nAdmin review queue (goal: about 100,000 reports within 2x of about 1,000)")
    print(f"{'reports':>8} {'in queue':>9} {'wall median ms':>15} {'CPU p10 ms':>11}")
    for row in (small, large):
        print(
            f"{row['reports']:>8,} {row['in_queue']:>9,} {row['wall_median']:>15.1f} "
            f"{row['cpu_p10']:>11.1f}"
        )
    print(
        f"{'ratio':>18} {large['wall_median'] / small['wall_median']:>14.2f}x "
        f"{large['cpu_p10'] / small['cpu_p10']:>10.2f}x"
    )


if __name__ == "__main__":
    main()
