"""Time and profile one member or staff page in-process (Django test client, production settings).

    python bench/profile_pages.py --database-url postgres://postgres@127.0.0.1:5432/perf_load \
        --page portal --member load-000084 --repeat 200 --profile 50

Pages: portal, summary, uploads, submit, transactions, save (POST an IPMA-HR partial day; each
save is rolled back so the member's report never fills up), queue (the admin review queue, as the
generated staff user). Prints the mean, median and p95 in milliseconds and, with --profile N,
a pyinstrument profile of N more requests. Needs a database made by bench/run_load.py or
`manage.py generate_load_data`; pyinstrument is needed only for --profile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {
    "portal": "/recertification/",
    "summary": "/recertification/summary/",
    "uploads": "/recertification/uploads/",
    "submit": "/recertification/submit/",
    "transactions": "/transactions/",
    "save": "/recertification/",
    "queue": "/admin/recertification/report/",
}


def configure(database_url: str, redis_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-" + "x" * 60,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "LOG_LEVEL": "WARNING",
        }
    )
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
        os.environ["CACHE_KEY_PREFIX"] = "bench-profile"
    import django

    django.setup()


def save_post(member) -> dict:
    """A valid IPMA-HR partial-day entry for the member's current cycle (as the browser posts it)."""
    from django.utils import timezone

    from members.models import Credential
    from recertification import rules
    from recertification.forms import form_groups

    credential = Credential.objects.get(holder=member, program="ipma-hr")
    group = next(
        g for g in form_groups(rules.get_program("ipma-hr")) if g.key.startswith("pd-ipma-pd-full")
    )
    day = max(credential.cycle_start, timezone.localdate() - timezone.timedelta(days=10))
    key = group.key
    return {
        "form": key,
        f"{key}-kind": "ipma.pd.partial_day",
        f"{key}-title": "Load test workshop",
        f"{key}-sponsor": "IPMA-HR",
        f"{key}-date": day.isoformat(),
        f"{key}-quantity": "1",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--page", choices=sorted(PAGES), default="portal")
    parser.add_argument("--member", default="", help="username (default: the load staff user)")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, help="profile this many more requests")
    parser.add_argument("--html", default="", help="also write the profile as HTML here")
    args = parser.parse_args()
    configure(args.database_url, args.redis_url)

    from django.db import transaction
    from django.test import Client
    from load_sessions import second_step_given

    from members.models import User

    username = (
        args.member
        or User.objects.filter(is_superuser=True)
        .values_list("username", flat=True)
        .order_by("pk")
        .last()
    )
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    if user.is_staff:  # the admin asks staff for the second step of sign-in first
        session = client.session
        session.update(second_step_given(user))
        session.save()
    url = PAGES[args.page]
    data = save_post(user) if args.page == "save" else None

    def request() -> None:
        if data is None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return
        with transaction.atomic():
            response = client.post(url, data)
            saved = response.status_code == 302 and "saved=" in response["Location"]
            assert saved, "not saved: choose a member far from the requirement"
            transaction.set_rollback(True)

    for _ in range(5):
        request()
    times, cpu = [], []
    for _ in range(args.repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        request()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    times.sort()
    print(
        f"{args.page} as {username}: {args.repeat} requests, mean {statistics.mean(times):.1f} ms, "
        f"median {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms; "
        f"Python CPU per request: median {statistics.median(cpu):.1f} ms, "
        f"10th percentile {sorted(cpu)[len(cpu) // 10]:.1f} ms"
    )
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(args.profile):
                request()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        if args.html:
            Path(args.html).write_text(profiler.output_html())
    client.logout()  # the session lives in Redis: leave nothing behind


if __name__ == "__main__":
    main()
