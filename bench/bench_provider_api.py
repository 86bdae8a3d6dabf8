"""Benchmark of the providers' API: one batch of 1,000 completions posted in one request.

Run from the repository root:

    .venv/bin/python bench/bench_provider_api.py [--members 5000] [--batch 1000] [--repeat 5]
    .venv/bin/python bench/bench_provider_api.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Uses the test settings (tests/settings.py: production switches, the local-memory cache) in a
throwaway database: an in-memory SQLite one by default, or `test_<name>` on the server that
--database-url names, created and dropped by Django's test machinery. It builds N members with a
credential, a provider with a course and an API token, then posts fresh batches of completions
(nine in ten matched, one in ten unmatched, the members' email verified so that every matched
member is emailed) through Django's test client and every middleware, and prints for one batch:
wall time, CPU time of this process, the queries made, the request body's size and the peak
memory Python allocated while answering (tracemalloc, in a run of its own). Then the same batch
posted again (every completion unchanged). Not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time
import tracemalloc

from provider_data import configure, members_and_provider, new_course  # noqa: E402


def build(members: int):
    """N members holding a credential, a provider reporting to their program, a course, a token."""
    from providers.tokens import token_create

    users, provider = members_and_provider(members)
    course = new_course(provider)
    _, raw = token_create(provider=provider, name="Bench")
    return users, course, raw


def payload(users, size: int, round_: int) -> bytes:
    items = []
    for i in range(size):
        user = users[(round_ * size + i) % len(users)]
        if i % 10 == 9:
            items.append(
                {"completion_id": f"r{round_}-{i}", "member_number": "0", "last_name": "Nobody"}
            )
        else:
            items.append(
                {
                    "completion_id": f"r{round_}-{i}",
                    "member_number": user.member_number,
                    "last_name": user.last_name,
                    "email": user.email,
                    "completed_on": "2025-03-04",
                    "quantity": "2.5",
                }
            )
    return json.dumps({"completions": items}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    configure(args.database_url)

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from members import emails
    from providers.models import Completion

    # Matched members are emailed: `members.emails` sends each email after the commit, in the
    # request's process. Count that apart from the report's own work.
    delivered = {"emails": 0, "seconds": 0.0, "active": False}
    send_one = emails.deliver

    def deliver(**kwargs):
        began = time.perf_counter()
        delivered["active"] = True
        try:
            return send_one(**kwargs)
        finally:
            delivered["active"] = False
            delivered["emails"] += 1
            delivered["seconds"] += time.perf_counter() - began

    emails.deliver = deliver

    @contextlib.contextmanager
    def counting():
        counts = {"report": 0, "delivery": 0}

        def count(execute, sql, params, many, context):
            counts["delivery" if delivered["active"] else "report"] += 1
            return execute(sql, params, many, context)

        delivered.update(emails=0, seconds=0.0)
        with connection.execute_wrapper(count):
            yield counts
        counts.update(emails=delivered["emails"], seconds=delivered["seconds"])

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        began = time.perf_counter()
        users, course, raw = build(args.members)
        built = time.perf_counter() - began
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        url = f"/api/v1/courses/{course.pk}/completions"

        def post(body: bytes):
            response = client.post(url, body, content_type="application/json")
            assert response.status_code == 200, response.content[:2000]
            return response

        post(payload(users, 10, 0))  # warm-up: imports, URL resolver, templates
        walls, cpus = [], []
        for round_ in range(1, args.repeat + 1):
            body = payload(users, args.batch, round_)
            wall, cpu = time.perf_counter(), time.process_time()
            post(body)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        body = payload(users, args.batch, args.repeat + 1)
        with counting() as queries:
            answer = post(body).json()
        tracemalloc.start()
        post(payload(users, args.batch, args.repeat + 2))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        wall, cpu = time.perf_counter(), time.process_time()
        with counting() as again_queries:
            again = post(body).json()
        again_wall, again_cpu = time.perf_counter() - wall, time.process_time() - cpu

        vendor = connection.vendor
        if vendor == "postgresql":
            vendor += " " + ".".join(str(connection.pg_version // 10000**i % 100) for i in (1, 0))
        print(
            f"Python {platform.python_version()} on {platform.machine()}, {vendor}, "
            f"{os.cpu_count()} CPUs; {args.members:,} members built in {built:.1f} s"
        )
        print(
            f"one batch of {args.batch:,} completions ({len(body) / 1024:,.0f} KiB of JSON), "
            f"median of {args.repeat} fresh batches:"
        )
        print(
            f"  wall time   {statistics.median(walls) * 1000:8.0f} ms  (best {min(walls) * 1000:.0f})"
        )
        print(
            f"  CPU time    {statistics.median(cpus) * 1000:8.0f} ms  (best {min(cpus) * 1000:.0f})"
        )
        print(
            f"  queries     {queries['report']:8d}      to authenticate, find the course and report "
            f"(created {answer['created']}, matched {answer['matched']}, "
            f"unmatched {answer['unmatched']})"
        )
        print(
            f"            + {queries['delivery']:8d}      sending {queries['emails']} emails after "
            f"commit, in the request ({queries['seconds'] * 1000:.0f} ms of its wall time)"
        )
        print(f"  peak memory {peak / 1024 / 1024:8.1f} MiB  (Python allocations, tracemalloc)")
        print(
            f"the same batch again: {again_wall * 1000:.0f} ms wall, {again_cpu * 1000:.0f} ms CPU, "
            f"{again_queries['report']} queries, unchanged {again['unchanged']}"
        )
        print(f"completions stored: {Completion.objects.count():,}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
