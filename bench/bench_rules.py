"""Benchmark of the rules engine: evaluate N mixed activities per program and show cost is linear.

Run from the repository root:  python bench/bench_rules.py [--sizes 1000 10000 100000] [--repeat 5]
Not a test: it prints timings and never fails on them.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recertification.rules import (  # noqa: E402
    Activity,
    Program,
    evaluate,
    format_decimal,
    get_program,
)

# program code, credentials, cycle start, cycle end
REPORTS = [
    ("ipma-hr", ["IPMA-SCP"], date(2024, 1, 1), date(2026, 12, 31)),
    ("namss", ["CPCS", "CPMSM"], date(2019, 12, 2), date(2022, 12, 1)),
    ("ihmm", ["CHMM"], date(2024, 1, 1), date(2028, 12, 31)),
]
ORGANIZATIONS = ["SHRM", "WorldatWork", "NPELRA", "CPS HR", "AGA"]


def make_activities(program: Program, start: date, end: date, n: int, seed: int) -> list[Activity]:
    """N valid activities of every kind, a fifth of them outside the cycle, many hitting caps."""
    rng = random.Random(seed)
    span = (end - start).days
    kinds = program.kinds
    activities = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        quantity_rule = kind.latest.quantity
        if quantity_rule.fixed is not None:
            quantity = quantity_rule.fixed
        else:
            step = quantity_rule.step
            lowest = -(-(quantity_rule.minimum or step) // step)
            quantity = step * (lowest + rng.randrange(12))
            if quantity_rule.maximum is not None:
                quantity = min(quantity, quantity_rule.maximum)
        when = start + timedelta(days=rng.randrange(-span // 10, span + span // 10))
        extra = {"date": when} if kind.period == "dated" else {"year": when.year}
        activities.append(
            Activity(
                kind=kind.code,
                quantity=quantity,
                organization=rng.choice(ORGANIZATIONS),
                group=f"Conference {rng.randrange(max(n // 20, 1))}",
                approved=rng.random() < 0.5,
                **extra,
            )
        )
    return activities


def best_time(func, repeat: int) -> float:
    """The fastest of `repeat` runs, in seconds (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    print(f"Python {platform.python_version()} on {platform.machine()}, best of {args.repeat}")
    print(f"{'program':<9} {'activities':>10} {'seconds':>9} {'us/activity':>12} {'total':>12}")
    per_size: dict[int, float] = {}
    for size in args.sizes:
        elapsed_all = 0.0
        for code, credentials, start, end in REPORTS:
            program = get_program(code)
            activities = make_activities(program, start, end, size, seed=size)

            def run(
                program=program, credentials=credentials, start=start, end=end, acts=activities
            ):
                return evaluate(
                    program=program,
                    credentials=credentials,
                    cycle_start=start,
                    cycle_end=end,
                    activities=acts,
                )

            result = run()
            elapsed = best_time(run, args.repeat)
            elapsed_all += elapsed
            total = format_decimal(result.total)
            print(
                f"{code:<9} {size:>10,} {elapsed:>9.4f} {elapsed / size * 1e6:>12.2f} {total:>12}"
            )
        per_size[size] = elapsed_all / (3 * size)
        print(f"{'all three':<9} {3 * size:>10,} {elapsed_all:>9.4f} {per_size[size] * 1e6:>12.2f}")
    smallest = min(per_size)
    print("\nCost per activity relative to the smallest size (1.00 = perfectly linear):")
    for size, cost in per_size.items():
        print(f"  {size:>8,} activities per program: {cost / per_size[smallest]:.2f}")


if __name__ == "__main__":
    main()
