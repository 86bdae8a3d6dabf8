"""Background work: the task queue every app puts its work on (docs/deployment.md, "Workers").

The queue is django-tasks, the backport of Django 6's `django.tasks` to Django 5.2, with its
database backend (django-tasks-db): a task is a row of `django_tasks_database_dbtaskresult`,
written by the same transaction as the change that causes it, so a change that rolls back leaves no
task, and one that commits cannot lose its task. `manage.py db_worker` processes, on as many machines as
needed, take rows with `SELECT … FOR UPDATE SKIP LOCKED`, so no two run the same task.

settings.TASK_QUEUE "in-process" (`make run`, the test suite) runs each task in the process that
queued it, once the transaction commits: no worker to start. What may happen later ("send again in
an hour") is then left to the hourly `run_lifecycle`, which finds it by its rows.

Tasks are functions decorated with `task` below, one module `tasks.py` per app; their arguments are
JSON (ids and ISO dates, never model instances), and each is safe to run twice: it locks its row
and does nothing when the work is done already.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q, QuerySet
from django_tasks import task as task  # re-exported: the apps' tasks are declared with it
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task

EMAIL_QUEUE = "email"

T = TypeVar("T")


def in_process(task_: Task) -> bool:
    """Whether `task_` runs in the process that queues it (settings.TASK_QUEUE "in-process")."""
    return isinstance(task_.get_backend(), ImmediateBackend)


def enqueue(task_: Task, *, run_after: dt.datetime | None = None, **kwargs: Any) -> None:
    """Queue `task_` with `kwargs` in the caller's transaction.

    On the database queue the task's row is written now, by the caller's transaction; in process,
    the task runs once that transaction commits. `run_after` (a retry later) is for the database
    queue only: in process nothing is queued, and the hourly run finds the work by its rows.
    """
    if in_process(task_):
        if run_after is None:
            transaction.on_commit(partial(task_.enqueue, **kwargs))
        return
    if run_after is not None:
        task_ = task_.using(run_after=run_after)
    task_.enqueue(**kwargs)


def enqueue_many(task_: Task, calls: Iterable[dict[str, Any]]) -> int:
    """Queue `task_` once per keyword set in `calls`; how many were queued (in process: how many
    returned a true value, each run now, or after the caller's transaction commits).

    On the database queue the rows go in with one INSERT per thousand, in the caller's
    transaction, as `enqueue` writes them one at a time (without the `task_enqueued` signal,
    which nothing here listens to).
    """
    if in_process(task_):
        if transaction.get_connection().in_atomic_block:
            calls = list(calls)
            for kwargs in calls:
                transaction.on_commit(partial(task_.enqueue, **kwargs))
            return len(calls)
        return sum(1 for kwargs in calls if task_.call(**kwargs))
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task_.get_backend()
    backend.validate_task(task_)
    rows = [
        DBTaskResult(
            id=uuid.uuid4(),
            args_kwargs=normalize_json({"args": [], "kwargs": kwargs}),
            priority=task_.priority,
            task_path=task_.module_path,
            queue_name=task_.queue_name,
            run_after=task_.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for kwargs in calls
    ]
    DBTaskResult.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def waiting(task_: Task) -> int:
    """How many tasks of `task_` wait to be run (ready now or later) on the database queue; 0 in
    process, where nothing waits."""
    if in_process(task_):
        return 0
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status="READY", queue_name=task_.queue_name, task_path=task_.module_path
    ).count()


# After a scan queued this many tasks, PostgreSQL's statistics of the task table are read again at
# once: with the old ones (a table of a few rows) the workers' query that takes the next task sorts
# the whole queue (90 ms a task with 40,000 waiting) until autovacuum's next pass.
ANALYZE_AFTER = 1000


def analyze_queue(queued: int) -> None:
    """Refresh the task table's statistics when `queued` tasks were just written (PostgreSQL)."""
    from django_tasks_db.models import DBTaskResult

    connection = transaction.get_connection()
    if queued < ANALYZE_AFTER or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {DBTaskResult._meta.db_table}")


SCAN_BATCH = 2000


def in_batches(queryset: QuerySet, *, size: int = SCAN_BATCH) -> Iterator[list]:
    """The rows of `queryset` a batch at a time, in primary-key order, each batch read by its own
    query after the last key of the one before: a scan of a million rows holds one batch in
    memory, and what the caller changes between batches never moves the next batch's window."""
    after = None
    while True:
        page = queryset.order_by("pk")
        if after is not None:
            page = page.filter(pk__gt=after)
        batch = list(page[:size])
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        after = batch[-1].pk


def chunked(items: Iterable[T], size: int = SCAN_BATCH) -> Iterator[list[T]]:
    """`items` in lists of at most `size`."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


# Finished tasks kept for staff to read (Task Results in the admin): successful ones a day, failed
# ones a month. `prune_finished`, in the hourly `run_lifecycle`, deletes older ones.
KEEP_SUCCESSFUL = dt.timedelta(days=1)
KEEP_FAILED = dt.timedelta(days=30)


def prune_finished(*, now: dt.datetime, batch: int = 5000) -> int:
    """Delete finished tasks older than they are kept, a batch at a time; how many."""
    from django_tasks_db.models import DBTaskResult

    old = DBTaskResult.objects.filter(
        Q(status="SUCCESSFUL", finished_at__lt=now - KEEP_SUCCESSFUL)
        | Q(status="FAILED", finished_at__lt=now - KEEP_FAILED)
    )
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted
