"""Running work in threads at the same moment, for the tests of row locks on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks only mean something on PostgreSQL: run with "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>",
)


def run_together(target, count: int = 2) -> list:
    """Start `count` threads at the same moment; return what each returned (or raised)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
