"""Benchmark of the provider area's roster: a 10,000-row CSV uploaded, previewed and reported.

Run from the repository root:

    .venv/bin/python bench/bench_provider_roster.py [--members 10000] [--rows 10000]
    .venv/bin/python bench/bench_provider_roster.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Uses the test settings (tests/settings.py: production switches, the local-memory cache) in a
throwaway database: an in-memory SQLite one by default, or `test_<name>` on the server that
--database-url names, created and dropped by Django's test machinery. It builds N members holding
a credential (email verified, so each matched member is emailed), a provider with a course and a
provider's user, then goes through the provider area with Django's test client and every
middleware, one request per step: the upload (POST, the file read and kept), the preview (GET:
every row checked and matched, the first page of rows rendered) and the confirmation (POST: the
roster reported in one transaction). Nine rows in ten match a member, one in ten stays unmatched.
For each step it prints wall time, CPU time of this process and the queries made; then the same
three steps for a fresh roster under tracemalloc for the peak memory Python allocated per step.
Emails sent after the commit, in the confirmation's request, are counted apart. Not a test: it
prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import time
import tracemalloc

from provider_data import configure, members_and_provider, new_course  # noqa: E402


def build(members: int):
    """N members holding a credential, a provider reporting to their program, its user."""
    from members.models import User
    from providers.models import ProviderUser

    users, provider = members_and_provider(members)
    account = User.objects.create(username="bench-provider", email="provider@example.org")
    ProviderUser.objects.create(provider=provider, user=account)
    return users, provider, account


def roster_csv(users, rows: int, round_: int) -> bytes:
    lines = ["completion_id,member_number,last_name,email,completed_on,quantity"]
    for i in range(rows):
        user = users[(round_ * rows + i) % len(users)]
        if i % 10 == 9:
            lines.append(f"r{round_}-{i},0,Nobody,,2025-03-04,2.5")
        else:
            lines.append(
                f"r{round_}-{i},{user.member_number},{user.last_name},{user.email},2025-03-04,2.5"
            )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    configure(args.database_url)

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from members import emails
    from providers.models import Completion

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
        counts = {"step": 0, "delivery": 0}

        def count(execute, sql, params, many, context):
            counts["delivery" if delivered["active"] else "step"] += 1
            return execute(sql, params, many, context)

        delivered.update(emails=0, seconds=0.0)
        with connection.execute_wrapper(count):
            yield counts

    def steps(client, course, data: bytes):
        """(name, callable) for the three requests of one roster."""
        state = {}

        def upload():
            file = SimpleUploadedFile("roster.csv", data, content_type="text/csv")
            response = client.post(
                reverse("providers:roster_upload", args=[course.pk]), {"file": file}
            )
            assert response.status_code == 302, response.content[:2000]
            state["preview"] = response["Location"]

        def preview():
            response = client.get(state["preview"])
            assert response.status_code == 200, response.status_code
            assert response.context["bad_count"] == 0
            state["html"] = len(response.content)

        def confirm():
            response = client.post(state["preview"] + "confirm/", {"decision": "all"})
            assert response.status_code == 302, response.content[:2000]

        return state, [("upload", upload), ("preview", preview), ("confirm", confirm)]

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        began = time.perf_counter()
        users, provider, account = build(args.members)
        built = time.perf_counter() - began
        client = Client()
        client.force_login(account)

        # Warm-up: imports, URL resolver, templates.
        _, warm = steps(client, new_course(provider, 0), roster_csv(users, 10, 0))
        for _, run in warm:
            run()

        data = roster_csv(users, args.rows, 1)
        state, measured = steps(client, new_course(provider, 1), data)
        figures = []
        for name, run in measured:
            with counting() as queries:
                wall, cpu = time.perf_counter(), time.process_time()
                run()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            figures.append((name, wall, cpu, queries["step"], queries["delivery"]))
        emails_sent, email_seconds = delivered["emails"], delivered["seconds"]

        peaks = {}
        _, traced = steps(client, new_course(provider, 2), roster_csv(users, args.rows, 2))
        for name, run in traced:
            tracemalloc.start()
            run()
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

        vendor = connection.vendor
        if vendor == "postgresql":
            vendor += " " + ".".join(str(connection.pg_version // 10000**i % 100) for i in (1, 0))
        print(
            f"Python {platform.python_version()} on {platform.machine()}, {vendor}, "
            f"{os.cpu_count()} CPUs; {args.members:,} members built in {built:.1f} s"
        )
        print(
            f"one roster of {args.rows:,} rows ({len(data) / 1024:,.0f} KiB of CSV; the preview "
            f"page {state['html'] / 1024:,.0f} KiB of HTML):"
        )
        print(f"  {'step':<9}{'wall ms':>9}{'CPU ms':>9}{'queries':>9}{'peak MiB':>10}")
        for name, wall, cpu, queries, _ in figures:
            print(
                f"  {name:<9}{wall * 1000:9.0f}{cpu * 1000:9.0f}{queries:9d}"
                f"{peaks[name] / 1024 / 1024:10.1f}"
            )
        delivery_queries = sum(f[4] for f in figures)
        print(
            f"  the confirmation's wall time includes sending {emails_sent:,} emails after commit "
            f"({email_seconds * 1000:.0f} ms, {delivery_queries:,} queries, not counted above)"
        )
        print(
            f"completions stored: {Completion.objects.count():,} "
            f"(unmatched {Completion.objects.filter(status='unmatched').count():,})"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
