"""Load on PostgreSQL: 50 members at once saving entries and submitting, for LOAD_SECONDS.

Each member is a thread with its own Django test Client and its own database connection (closed
at the end), going through the real views, forms, services and row locks. A member signs in,
opens the portal, saves Professional Development entries until the requirement is met, then
submits with a double click (two sessions posting the submission at the same moment), and the
thread carries on as the next member. Afterwards: no server error, no deadlock or other database
error, every entry the portal confirmed (302) is stored exactly once, exactly one invoice per
submitted report, and each submitted report's stored total equals the rules engine's total on
its stored entries.

Skipped unless on PostgreSQL: SQLite serialises writers, so it would prove nothing about locks.
LOAD_SECONDS (default 60) and LOAD_MEMBERS (default 50) size the run; SECURITY_FIGURES=<file>
appends the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import threading
import time
import traceback
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client

from members.models import Credential, User
from payments.models import Invoice
from recertification.models import Entry, Report
from tests.recertification.helpers import engine_total, group_of, valid_post

pytestmark = [
    # Fifty connections of its own: run alone, not beside other test workers (see .ci/run).
    pytest.mark.serial,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_today"),
]

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
LOAD_MEMBERS = int(os.environ.get("LOAD_MEMBERS", "50"))
PORTAL = "/recertification/"
SUBMIT = "/recertification/submit/"
FULL_DAY = group_of("ipma.pd.full_day")
FIRST_DAY, LAST_DAY = dt.date(2024, 1, 1), dt.date(2026, 11, 19)


@dataclass
class Tally:
    """What the threads saw, merged under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    confirmed_titles: list[str] = field(default_factory=list)
    submitted_reports: set[int] = field(default_factory=set)
    members: int = 0
    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def new_member(worker: int, number: int) -> User:
    # Explicit member numbers: the random default can collide (see docs/security.md).
    member = User.objects.create_user(
        username=f"load-{worker}-{number}",
        email=f"load-{worker}-{number}@example.org",
        password="correct-horse-battery",
        first_name="Load",
        last_name=f"Member {worker}-{number}",
        member_number=f"9{worker:03d}{number:04d}",
    )
    Credential.objects.create(
        holder=member,
        program="ipma-hr",
        designation="IPMA-SCP",
        certified_since=dt.date(2021, 1, 1),
        cycle_start=dt.date(2024, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
        status=Credential.Status.RENEW,
    )
    return member


def timed(tally: Tally, call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    elapsed = time.monotonic() - started
    with tally.lock:
        tally.requests += 1
        tally.latencies.append(elapsed)
    if response.status_code >= 500:
        tally.error(f"{response.status_code} on {args[0]}")
    return response


# Second clicks run in helper threads, each with its own connection: at most this many at once,
# so that the run needs about LOAD_MEMBERS + 10 connections (PostgreSQL allows 100 by default).
MAX_SECOND_CLICKS = 10
SECOND_CLICKS = threading.BoundedSemaphore(MAX_SECOND_CLICKS)


def submit_twice(tally: Tally, client: Client, member: User, report_id: int) -> None:
    """A double click: this session and a second one of the member post the submission at once."""
    today = dt.date(2026, 11, 20).isoformat()
    data = {"agreement": "agree", "report": str(report_id), "date_agreed": today}
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def second_click():
        other = Client()
        try:
            other.force_login(member)
            barrier.wait(timeout=60)
            answers.append(timed(tally, other.post, SUBMIT, data).status_code)
        except Exception:
            tally.error(traceback.format_exc())
        finally:
            connections.close_all()

    with SECOND_CLICKS:
        helper = threading.Thread(target=second_click)
        helper.start()
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            tally.error("the second click never came")
        answers.append(timed(tally, client.post, SUBMIT, data).status_code)
        helper.join()
    if 302 not in answers:
        tally.error(f"submission of report {report_id} answered {answers}")


def act_as_members(worker: int, deadline: float, tally: Tally) -> None:
    rng = random.Random(worker)
    number = 0
    try:
        while time.monotonic() < deadline:
            member = new_member(worker, number)
            number += 1
            with tally.lock:
                tally.members += 1
            client = Client()
            client.force_login(member)
            timed(tally, client.get, PORTAL)
            points = Decimal(0)
            while time.monotonic() < deadline and points < 50:
                days = rng.randint(1, 4)
                title = f"load {worker}-{number} #{rng.getrandbits(48):x}"
                day = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
                data = valid_post(FULL_DAY, day, quantity=str(days), title=title)
                response = timed(tally, client.post, PORTAL, data)
                if response.status_code == 302:
                    with tally.lock:
                        tally.confirmed_titles.append(title)
                    points += 3 * days
                elif response.status_code != 200:
                    tally.error(f"saving an entry answered {response.status_code}")
                if rng.random() < 0.2:
                    timed(tally, client.get, "/recertification/summary/")
            if points >= 50 and time.monotonic() < deadline:
                report = Report.objects.get(member=member)
                submit_twice(tally, client, member, report.pk)
                with tally.lock:
                    tally.submitted_reports.add(report.pk)
    except Exception:
        tally.error(traceback.format_exc())
    finally:
        connections.close_all()


def test_fifty_members_save_and_submit_at_once_and_nothing_is_lost():
    if connection.vendor != "postgresql":
        pytest.skip(
            "load is measured on PostgreSQL only (row locks, concurrent writers): run with "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int, "
            "(SELECT count(*) FROM pg_stat_activity)"
        )
        limit, in_use = cursor.fetchone()
    needed = LOAD_MEMBERS + MAX_SECOND_CLICKS + 2
    assert limit - in_use >= needed, (
        f"the load test needs {needed} free PostgreSQL connections (one per member thread and "
        f"second click); {limit - in_use} are free (max_connections {limit}, {in_use} in use)"
    )
    tally = Tally()
    deadline = time.monotonic() + LOAD_SECONDS
    workers = [
        threading.Thread(target=act_as_members, args=(n, deadline, tally), name=f"member-{n}")
        for n in range(LOAD_MEMBERS)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=LOAD_SECONDS + 300)
    elapsed = time.monotonic() - started
    assert not any(w.is_alive() for w in workers), "a member thread did not finish"

    # No server error, no deadlock, no database error of any kind.
    assert tally.errors == [], "\n".join(tally.errors[:5])

    # Every entry the portal confirmed is stored, once.
    stored = list(
        Entry.objects.filter(details__title__startswith="load ").values_list(
            "details__title", flat=True
        )
    )
    assert sorted(stored) == sorted(tally.confirmed_titles)

    # Exactly one live invoice per submitted report, none for open ones.
    submitted = Report.objects.exclude(status=Report.Status.OPEN)
    assert set(submitted.values_list("pk", flat=True)) == tally.submitted_reports
    for report in submitted:
        live = Invoice.objects.filter(report=report).exclude(status=Invoice.Status.CANCELLED)
        assert live.count() == 1, f"report {report.pk} has {live.count()} invoices"
    assert not Invoice.objects.filter(report__status=Report.Status.OPEN).exists()

    # The stored totals are the rules engine's on the stored entries.
    for report in submitted:
        assert report.points_counted == engine_total(report), report.pk
        assert Decimal(report.snapshot["total"]) == report.points_counted

    latencies = sorted(tally.latencies)
    figures = {
        "load": {
            "members_at_once": LOAD_MEMBERS,
            "seconds": round(elapsed, 1),
            "members_served": tally.members,
            "requests": tally.requests,
            "entries_saved": len(tally.confirmed_titles),
            "reports_submitted": len(tally.submitted_reports),
            "invoices": Invoice.objects.count(),
            "median_ms": round(statistics.median(latencies) * 1000),
            "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000),
            "errors": len(tally.errors),
        }
    }
    print(json.dumps(figures))
    if os.environ.get("SECURITY_FIGURES"):
        with open(os.environ["SECURITY_FIGURES"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps(figures) + "\n")
    assert tally.confirmed_titles or LOAD_SECONDS < 30, "no entry was saved"
    assert tally.submitted_reports or LOAD_SECONDS < 45, "no member got as far as submitting"
