"""core.tasks: tasks queued in bulk run like those queued one at a time; scans read a batch at a
time; finished tasks are pruned after staff had time to read them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import tasks
from members.models import User
from tests.concurrency import postgres_only
from tests.factories import UserFactory
from tests.queue import run_worker

pytestmark = pytest.mark.django_db


@tasks.task()
def rename(user_id: int, name: str) -> bool:
    return User.objects.filter(pk=user_id).update(first_name=name) == 1


def test_tasks_queued_in_bulk_are_run_by_a_worker(database_queue):
    users = UserFactory.create_batch(3)
    with transaction.atomic():
        queued = tasks.enqueue_many(rename, ({"user_id": u.pk, "name": "Queued"} for u in users))
    assert queued == 3 and DBTaskResult.objects.filter(status="READY").count() == 3
    assert run_worker() == 3
    assert set(User.objects.values_list("first_name", flat=True)) == {"Queued"}


def test_tasks_queued_in_bulk_by_a_change_that_rolls_back_are_gone(database_queue):
    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.enqueue_many(rename, [{"user_id": user.pk, "name": "Never"}])
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


def test_in_process_tasks_run_now_outside_a_transaction_and_after_commit_inside_one(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        tasks.enqueue(rename, user_id=user.pk, name="Later")
        user.refresh_from_db()
        assert user.first_name != "Later"
    assert len(callbacks) == 1
    user.refresh_from_db()
    assert user.first_name == "Later"


def test_in_batches_reads_every_row_once_whatever_changes_between_batches():
    users = UserFactory.create_batch(7)
    seen = []
    for batch in tasks.in_batches(User.objects.all(), size=3):
        assert len(batch) <= 3
        seen += [u.pk for u in batch]
        User.objects.filter(pk__in=[u.pk for u in batch]).update(first_name="Done")
    assert seen == sorted(u.pk for u in users)


def test_finished_tasks_are_pruned_after_they_are_kept(database_queue):
    now = timezone.now()
    user = UserFactory()
    with transaction.atomic():
        tasks.enqueue_many(rename, [{"user_id": user.pk, "name": n} for n in "abcd"])
    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    ages = [("SUCCESSFUL", dt.timedelta(hours=2)), ("SUCCESSFUL", dt.timedelta(days=2)),
            ("FAILED", dt.timedelta(days=2)), ("FAILED", dt.timedelta(days=31))]  # fmt: skip
    for row, (status, age) in zip(rows, ages, strict=True):
        DBTaskResult.objects.filter(pk=row.pk).update(status=status, finished_at=now - age)
    assert tasks.prune_finished(now=now) == 2
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "SUCCESSFUL"]


@postgres_only
def test_a_worker_of_one_queue_takes_its_next_task_without_reading_the_others(database_queue):
    """A thousand lifecycle tasks and a thousand emails waiting: the email worker's query that
    takes the next task reads the email queue's part of the index (core migration 0003) in order,
    once the scan refreshed the table's statistics, instead of sorting the waiting tasks."""
    user = UserFactory()
    waiting = 0
    for queue in ("default", tasks.EMAIL_QUEUE):
        waiting += tasks.enqueue_many(
            rename.using(queue_name=queue),
            ({"user_id": user.pk, "name": str(i)} for i in range(tasks.ANALYZE_AFTER)),
        )
    tasks.analyze_queue(waiting)
    query = (
        DBTaskResult.objects.ready()
        .filter(backend_name="default", queue_name__in=[tasks.EMAIL_QUEUE])
        .select_for_update(skip_locked=True)
        .order_by(*DBTaskResult._meta.ordering)[:1]
    )
    with transaction.atomic():
        plan = query.explain()
    assert "portal_task_ready_by_queue" in plan and "Sort" not in plan, plan
