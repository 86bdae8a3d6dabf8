"""What one ORM query costs in app CPU, and how much of it is building and compiling the SQL.

    python bench/query_cost.py --database-url postgres://postgres@127.0.0.1:5432/perf_load

Reads a generated member's credentials (the query most member pages make) four ways, interleaved,
and prints the median CPU of each: through the ORM (readable credentials, the default manager),
only building and compiling that query, running its SQL with a cursor, and the same read as
`values_list`; then the compile time of a few other shapes. Needs a database made by
`manage.py generate_load_data` (or bench/run_load.py --keep-db).
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

from profile_pages import configure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    configure(args.database_url, args.redis_url)

    from django.db import connection

    from members.models import Credential, User
    from recertification.models import Report

    member = User.objects.filter(username__startswith="load-").order_by("pk").first()
    if member is None:
        raise SystemExit("no generated members: run manage.py generate_load_data first")

    def query():
        return Credential.objects.filter(holder=member).order_by("program", "designation")

    sql, params = query().query.sql_with_params()

    def cursor_only():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    ways = {
        "ORM, readable credentials": lambda: list(query()),
        "  building and compiling it": lambda: query().query.sql_with_params(),
        "  its SQL run with a cursor": cursor_only,
        "  as values_list": lambda: list(query().values_list("pk", "program", "designation")),
        "compile: every credential": lambda: (
            Credential.all_objects.filter(holder=member)
            .order_by("program", "designation")
            .query.sql_with_params()
        ),
        "compile: a user by pk": lambda: User.objects.filter(pk=member.pk).query.sql_with_params(),
        "compile: reports of a member": lambda: Report.objects.filter(
            member=member
        ).query.sql_with_params(),
    }
    for way in ways.values():
        way()
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, way in ways.items():
            began = time.process_time()
            way()
            cpu[name].append(time.process_time() - began)
    print(f"{args.rounds} rounds, interleaved; median app CPU per call")
    for name, values in cpu.items():
        print(f"{name:32} {statistics.median(values) * 1000:6.3f} ms")


if __name__ == "__main__":
    main()
