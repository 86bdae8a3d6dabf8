"""The staff pages with a hundred thousand members (PostgreSQL; opt in: STAFF_SCALE=1).

    STAFF_SCALE=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/staff_scale \
        .venv/bin/python -m pytest tests/staff/test_scale.py -q -s --create-db

Seeds members, credentials, reports, invoices and records with bulk_create, then times each page.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from members.models import Credential, MembershipRecord, User
from recertification.models import Entry, Report, ReportCredential

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(os.environ.get("STAFF_SCALE") != "1", reason="set STAFF_SCALE=1 to run"),
]

MEMBERS = int(os.environ.get("STAFF_SCALE_MEMBERS", "100000"))
BATCH = 5000
BUDGET_SECONDS = float(os.environ.get("STAFF_SCALE_BUDGET", "1.0"))
STATUSES = ["submitted", "payment_due", "in_review", "audit", "approved"]


def seed() -> dict:
    from payments.models import Invoice

    now = timezone.now()
    users = [
        User(
            username=f"scale{i}",
            email=f"scale{i}@example.org",
            member_number=str(20_000_000 + i),
            first_name=f"First{i}",
            last_name=f"Last{i % 5000}",
            password="!",
        )  # fmt: skip
        for i in range(MEMBERS)
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    users = list(User.objects.filter(username__startswith="scale").order_by("pk"))
    credentials = [
        Credential(
            holder=u,
            program="ipma-hr",
            designation=("IPMA-SCP", "IPMA-CP", "IPMA-CS")[i % 3],
            certified_since=dt.date(2021, 1, 1),
            cycle_start=dt.date(2024, 1, 1),
            cycle_end=dt.date(2026, 12, 31),
            status="lapsed" if i % 10 == 0 else "renew",
        )  # fmt: skip
        for i, u in enumerate(users)
    ]
    Credential.objects.bulk_create(credentials, batch_size=BATCH)
    reports = []
    for i, u in enumerate(users):
        submitted = i % 3 == 0
        reports.append(
            Report(
                member=u,
                program="ipma-hr",
                cycle_start=dt.date(2024, 1, 1),
                cycle_end=dt.date(2026, 12, 31),
                status=STATUSES[i % 5] if submitted else "open",
                submitted_at=now - dt.timedelta(minutes=i) if submitted else None,
                points_counted=Decimal("51") if submitted else None,
                points_required=Decimal("50") if submitted else None,
                selected_for_audit=submitted and i % 30 == 0,
                audit_selected_at=now if submitted and i % 30 == 0 else None,
            )  # fmt: skip
        )
    Report.objects.bulk_create(reports, batch_size=BATCH)
    reports = list(Report.objects.order_by("pk"))
    credentials = list(Credential.objects.order_by("pk"))
    ReportCredential.objects.bulk_create(
        [ReportCredential(report=r, credential=c, cycle_start=c.cycle_start)
         for r, c in zip(reports, credentials, strict=True)],
        batch_size=BATCH,
    )  # fmt: skip
    invoices = [
        Invoice(
            prefix="RC-",
            counter=n,
            number=f"RC-{n:06d}",
            member_id=r.member_id,
            report=r,
            kind="recertification",
            status="open" if r.status == "payment_due" else "paid",
            paid_at=None if r.status == "payment_due" else now,
            currency="USD",
            issued_on=dt.date(2026, 11, 1),
            payable_from=dt.date(2026, 11, 1),
            due_on=dt.date(2026, 12, 1),
            billing_name="Member",
            total=Decimal("150"),
        )  # fmt: skip
        for n, r in enumerate((r for r in reports if r.status != "open"), start=1)
    ]
    Invoice.objects.bulk_create(invoices, batch_size=BATCH)
    MembershipRecord.objects.bulk_create(
        [
            MembershipRecord(member=u, kind="national", year=2024 + i % 3)
            for i, u in enumerate(users)
        ],
        batch_size=BATCH,
    )
    busy = next(r for r in reports if r.status == "in_review")
    entries = Entry.objects.bulk_create(
        [
            Entry(
                member_id=busy.member_id,
                program="ipma-hr",
                kind="ipma.pd.partial_day",
                category="pd",
                date=dt.date(2024, 1, 1) + dt.timedelta(days=i),
                quantity=1,
            )
            for i in range(50)
        ]  # fmt: skip
    )
    busy.entries.add(*entries)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "busy": busy,
        "invoice": invoices[len(invoices) // 2].number,
        "user": users[MEMBERS // 2],
    }


def test_staff_pages_stay_quick_with_a_hundred_thousand_members(client):
    if connection.vendor != "postgresql":
        pytest.skip("the scale check is for PostgreSQL")
    from tests.factories import StaffFactory

    started = time.perf_counter()
    data = seed()
    print(f"\nseeded {MEMBERS} members in {time.perf_counter() - started:.1f}s")
    client.force_login(StaffFactory(is_superuser=True))
    pages = {
        "queue (default)": "/admin/recertification/report/",
        "queue, all statuses": "/admin/recertification/report/?status=all",
        "queue, page 200": "/admin/recertification/report/?status=all&p=200",
        "queue, paid": "/admin/recertification/report/?paid=yes",
        "queue, not paid": "/admin/recertification/report/?paid=no",
        "queue, designation": "/admin/recertification/report/?designation=IPMA-CP",
        "queue, audit": "/admin/recertification/report/?selected_for_audit__exact=1",
        "queue, search name": "/admin/recertification/report/?q=Last4321",
        "queue, search member number": f"/admin/recertification/report/?q={data['user'].member_number}",
        "queue, search invoice": f"/admin/recertification/report/?q={data['invoice']}",
        "report page (50 entries)": f"/admin/recertification/report/{data['busy'].pk}/change/",
        "credentials": "/admin/members/credential/",
        "credentials, lapsed": "/admin/members/credential/?status__exact=lapsed",
        "credentials, search": "/admin/members/credential/?q=Last4321",
        "members": "/admin/members/user/",
        "members, holding IPMA-HR": "/admin/members/user/?program=ipma-hr",
        "membership records": "/admin/members/membershiprecord/",
    }
    slow = {}
    for name, url in pages.items():
        client.get(url)  # warm
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, name
        elapsed = sorted(timings)[1]  # the median of three
        print(f"{elapsed * 1000:8.0f} ms  {name}")
        if elapsed > BUDGET_SECONDS:
            slow[name] = elapsed
    for name, url in {
        "queue CSV (all)": "/admin/recertification/report/export.csv?status=all",
        "credential roster CSV (all)": "/admin/members/credential/roster.csv",
    }.items():
        started = time.perf_counter()
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content)
        print(f"{(time.perf_counter() - started) * 1000:8.0f} ms  {name} ({size // 1024} KB)")
    assert not slow, slow
