"""Load test: a fresh PostgreSQL database, generated data, gunicorn, then every scenario in turn.

    .venv/bin/python bench/run_load.py                                  # 100,000 members, 2M entries
    .venv/bin/python bench/run_load.py --members 20000 --entries 400000 --duration 15
    .venv/bin/python bench/run_load.py --reuse-db recert_load --keep-db # skip create and generate

Steps: create the database (dropped again at the end unless --keep-db), migrate, run
`manage.py generate_load_data`, create signed-in sessions in Redis (bench/load_sessions.py), start
gunicorn on a free loopback port (DEBUG=0, sessions and cache in Redis, the ceiling view mounted by
bench/settings.py), warm every page, then run locust headless for --duration seconds per scenario
and round with --users concurrent users and no think time: the ceiling first and last, then the
portal page, the detailed summary, saving an entry (POST), Transactions and the admin review queue.
Prints requests per second, p50/p95/p99, each page's throughput as a share of the ceiling's and its
app CPU per request (the gunicorn workers' CPU time over the requests served) as a ratio to the
signed-in bare view's, measured in --rounds rounds of every scenario in turn, the signed-in bare
view first in each round; writes the table (Markdown and JSON) to --out. Submitting a report
changes it for good, so it is measured in-process with a rolled-back transaction by
bench/page_ratios.py, which prints the same ratios for every page in one process. Everything it
started is stopped on the way out.

Needs PostgreSQL at 127.0.0.1:5432 (user postgres), Redis at 127.0.0.1:6379 and locust in the
virtualenv (`pip install "locust>=2.32,<3"`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# (locust user class, label in the stats, the page's goal: at most this many times the app CPU
# per request of the signed-in bare view, the floor every member page pays)
FLOOR = ("SignedInUser", "signed-in bare view", None)
SCENARIOS = [
    ("PortalUser", "portal page", 3.0),
    ("SummaryUser", "detailed summary", 3.0),
    ("SaveUser", "save entry (POST)", 4.0),
    ("TransactionsUser", "transactions", 3.0),
    ("QueueUser", "admin review queue", 10.0),
]
CEILING = ("CeilingUser", "ceiling (bare view)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Processes whose CPU time is counted per scenario, by the name the kernel gives them.
COMPONENTS = {
    "gunicorn": "app (gunicorn)",
    "postgres": "PostgreSQL",
    "redis-server": "Redis",
    "locust": "load generator",
}
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_by_process(database: str = "") -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by each live process of a component, by pid (Linux /proc).

    PostgreSQL counts only the backends connected to `database` (other work on the machine has
    its own). locust is counted through the children's totals of this process, which waits for it
    (pid 0 here).
    """
    found: dict[int, tuple[str, float]] = {}
    proc = Path("/proc")
    if not proc.exists():
        return found
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        component = next((c for c in COMPONENTS if name.startswith(c)), None)
        if component is None:
            continue
        if component == "postgres" and database:
            try:
                title = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if f" {database} " not in title:  # "postgres: user database host(port) state"
                continue
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        found[int(stat.parent.name)] = (component, ticks / TICKS)
    children = os.times()  # locust runs as our child: its time arrives here when it ends
    found[0] = ("locust", children.children_user + children.children_system)
    return found


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per component between two readings. A process that started in between counts
    from zero; one that ended in between (a connection closed after DB_CONN_MAX_AGE) is missed,
    so the PostgreSQL figure is a lower bound."""
    used = dict.fromkeys(COMPONENTS, 0.0)
    for pid, (component, seconds) in after.items():
        earlier = before.get(pid)
        start = earlier[1] if earlier and earlier[0] == component else 0.0
        used[component] += max(seconds - start, 0.0)
    return used


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)


def postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(sql)


def database_has_load_data(name: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as db:
            row = db.execute(
                "SELECT count(*) FROM members_user WHERE username LIKE 'load-%%'"
            ).fetchone()
            return bool(row and row[0])
    except psycopg.Error:
        return False


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not answer {url} within {seconds:.0f} s")
        time.sleep(0.2)


def locust(scenario: str, label: str, args, env: dict, out: Path, duration: int) -> dict:
    prefix = out / scenario
    cmd = [
        str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "--host", args.host, "-u", str(args.users), "-r", str(args.users),
        "--run-time", f"{duration}s", "--stop-timeout", "5", "--csv", str(prefix),
        "--only-summary", "--loglevel", "WARNING", scenario,
    ]  # fmt: skip
    database = env["DATABASE_URL"].rsplit("/", 1)[-1]
    before = cpu_by_process(database)
    with open(f"{prefix}.log", "w") as log:
        subprocess.run(cmd, env=env, cwd=ROOT, check=False, stdout=log, stderr=subprocess.STDOUT)
    used = cpu_used(before, cpu_by_process(database))
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    row = rows.get(label) or rows.get("Aggregated")
    if row is None or not int(row["Request Count"]):
        raise SystemExit(f"{scenario}: locust recorded no requests (see {prefix}_*.csv)")
    requests = int(row["Request Count"])
    cpu = {c: used[c] * 1000 / requests for c in COMPONENTS}
    return {
        "scenario": label,
        "cpu_ms": cpu,  # CPU milliseconds per request, by component
        "requests": requests,
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
        "mean": float(row["Average Response Time"]),
    }


def combined(rounds: list[dict]) -> dict:
    """One scenario's figures over its rounds: requests and CPU summed, rates and times averaged."""
    requests = sum(r["requests"] for r in rounds)
    cpu = {c: sum(r["cpu_ms"][c] * r["requests"] for r in rounds) / requests for c in COMPONENTS}
    mean = {k: sum(r[k] for r in rounds) / len(rounds) for k in ("rps", "p50", "p95", "p99")}
    return {
        **rounds[0],
        **mean,
        "requests": requests,
        "failures": sum(r["failures"] for r in rounds),
        "cpu_ms": cpu,
        "rounds": len(rounds),
    }


def app_ms(row: dict) -> float:
    return row["cpu_ms"]["gunicorn"]


def table(results: list[dict], ceiling_rps: float, floor: dict) -> str:
    lines = [
        "| scenario | requests | req/s | p50 ms | p95 ms | p99 ms | share of ceiling | errors "
        "| app CPU ms | × signed-in floor | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        ratio = app_ms(r) / app_ms(floor)
        goal = f"≤ {r['goal']:g}×" if r.get("goal") else ""
        if goal:
            goal += " met" if ratio <= r["goal"] else " not met"
        lines.append(
            f"| {r['scenario']} | {r['requests']:,} | {r['rps']:.1f} | {r['p50']:.0f} | "
            f"{r['p95']:.0f} | {r['p99']:.0f} | {r['rps'] / ceiling_rps:.1%} | {r['failures']} | "
            f"{app_ms(r):.2f} | {ratio:.1f}× | {goal} |"
        )
    lines += [
        "",
        "CPU milliseconds per request, by process (2 cores give 2,000 ms per second in all):",
        "",
        "| scenario | " + " | ".join(COMPONENTS.values()) + " | all |",
        "| --- |" + " ---: |" * (len(COMPONENTS) + 1),
    ]
    for r in results:
        cpu = r.get("cpu_ms") or {}
        cells = [f"{cpu.get(c, 0.0):.2f}" for c in COMPONENTS]
        lines.append(f"| {r['scenario']} | " + " | ".join(cells) + f" | {sum(cpu.values()):.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db-name", default="recert_load")
    parser.add_argument("--reuse-db", metavar="NAME", help="use this database as it is")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=12, help="concurrent locust users")
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario per round")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of every scenario in turn (interleaved: the floor first in each round)",
    )
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--only", nargs="*", help="run only these scenario classes")
    parser.add_argument("--out", default=f"/tmp/recert-load-{time.strftime('%Y%m%d-%H%M%S')}")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = args.reuse_db or args.db_name
    port = free_port()
    args.host = f"http://127.0.0.1:{port}"
    prefix = f"recert-load-{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": "load-test-only-" + "s" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "CACHE_KEY_PREFIX": prefix,
        # Pages are measured without static files, so the manifest (collectstatic) is not needed.
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_LEVEL": "WARNING",
        "LOAD_SESSIONS": str(out / "sessions.json"),
        "PYTHONPATH": str(ROOT),
    }
    python = str(BIN / "python")
    server = None
    created = False
    try:
        if args.reuse_db:
            if not database_has_load_data(name):
                raise SystemExit(f"{name} has no generated members (load-*).")
        else:
            postgres(f'DROP DATABASE IF EXISTS "{name}"')
            postgres(f'CREATE DATABASE "{name}"')
            created = True
            run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
            began = time.perf_counter()
            run(
                [python, "manage.py", "generate_load_data", "--force",
                 "--members", str(args.members), "--entries", str(args.entries),
                 "--seed", str(args.seed)],
                env,
            )  # fmt: skip
            print(f"data generated in {time.perf_counter() - began:.0f} s", flush=True)
        run([python, "bench/load_sessions.py", "--out", env["LOAD_SESSIONS"]], env)
        log = open(out / "gunicorn.log", "w")  # noqa: SIM115 (closed with the server)
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "recert_portal.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--no-control-socket", "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(f"{args.host}/healthz")
        wanted = set(args.only or [c for c, *_ in SCENARIOS])
        scenarios = [FLOOR, *(s for s in SCENARIOS if s[0] in wanted)]
        load_before = os.getloadavg()
        (out / "warmup").mkdir(exist_ok=True)
        (out / "end").mkdir(exist_ok=True)
        for cls, label in [CEILING, *((c, label) for c, label, _ in scenarios)]:
            locust(cls, label, args, env, out / "warmup", 3)  # every worker's caches, connections
        first = locust(*CEILING, args, env, out, args.duration)
        print(f"  ceiling: {first['rps']:.0f} req/s", flush=True)
        # Every scenario once per round, the floor first: a change in the machine's load touches
        # the floor and the pages alike, so their ratio holds.
        by_scenario: dict[str, list[dict]] = {label: [] for _, label, _ in scenarios}
        for number in range(1, args.rounds + 1):
            where = out / f"round-{number}"
            where.mkdir(exist_ok=True)
            for cls, label, _goal in scenarios:
                result = locust(cls, label, args, env, where, args.duration)
                by_scenario[label].append(result)
                print(
                    f"  round {number}, {label}: {result['rps']:.1f} req/s, "
                    f"{app_ms(result):.2f} ms app CPU, {result['failures']} errors",
                    flush=True,
                )
        results = [{**combined(by_scenario[label]), "goal": goal} for _, label, goal in scenarios]
        last = locust(*CEILING, args, env, out / "end", args.duration)
        load_after = os.getloadavg()
        ceiling = {
            **first,
            "requests": first["requests"] + last["requests"],
            "failures": first["failures"] + last["failures"],
            "rps": (first["rps"] + last["rps"]) / 2,
            "p50": (first["p50"] + last["p50"]) / 2,
            "p95": (first["p95"] + last["p95"]) / 2,
            "p99": (first["p99"] + last["p99"]) / 2,
            "cpu_ms": {c: (first["cpu_ms"][c] + last["cpu_ms"][c]) / 2 for c in COMPONENTS},
        }
        rows = [ceiling, *results]
        text = table(rows, ceiling["rps"], results[0])
        notes = (
            f"{platform.python_version()}, {os.cpu_count()} CPUs, gunicorn --workers "
            f"{args.workers}, {args.users} locust users, {args.rounds} rounds of "
            f"{args.duration} s per scenario, "
            f"ceiling {first['rps']:.0f} req/s first and {last['rps']:.0f} req/s last, "
            f"load average {load_before[0]:.1f} before and {load_after[0]:.1f} after"
        )
        print("\n" + text + "\n\n" + notes)
        (out / "results.md").write_text(text + "\n\n" + notes + "\n")
        (out / "results.json").write_text(json.dumps({"rows": rows, "notes": notes}, indent=1))
        print(f"\nwritten to {out}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        try:
            import redis

            client = redis.Redis.from_url(env["REDIS_URL"])
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        except Exception as error:  # cleaning up must not hide the run's own error
            print(f"could not clear Redis keys: {error}")
        if created and not args.keep_db:
            postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
