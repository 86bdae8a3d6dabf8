"""The portal lists the most recent entries; its totals count every one of them."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from members.models import MembershipRecord
from recertification import selectors
from recertification.pages import ENTRIES_SHOWN
from tests.factories import EntryFactory, EntryFileFactory, report_for

pytestmark = pytest.mark.django_db


def entries(report, count: int, start: int = 0):
    made = []
    for i in range(start, start + count):
        innovation = i % 7 == 0
        entry = EntryFactory(
            member=report.member,
            reports=[report],
            kind="ipma.innovation" if innovation else "ipma.pd.partial_day",
            category="innovation" if innovation else "pd",
            date=dt.date(2024, 1, 1) + dt.timedelta(days=i),
            details={"title": f"Workshop {i:03d}"}
            if not innovation
            else {"description": f"Pilot {i:03d}"},
        )
        if innovation:
            EntryFileFactory(entry=entry, original_name=f"proof-{i:03d}.pdf")
        made.append(entry)
    return made


def listed_names(html: str) -> list[str]:
    return re.findall(r'data-label="Name">((?:Workshop|Pilot) \d{3})', html)


def test_a_few_entries_are_all_listed(client, credential_for):
    credential = credential_for("ipma-hr")
    report = report_for(credential)
    made = entries(report, 5)
    client.force_login(credential.holder)
    html = client.get("/recertification/").content.decode()
    assert len(listed_names(html)) == 5
    assert 'id="entries-shown"' not in html
    assert "proof-000.pdf" in html  # the files column
    assert f"{timezone.localtime(made[1].created_at):%m/%d/%Y}</td>" in html  # local time


def test_many_entries_list_the_most_recent_and_count_them_all(client, credential_for):
    credential = credential_for("ipma-hr")
    report = report_for(credential)
    made = entries(report, ENTRIES_SHOWN + 12)
    client.force_login(credential.holder)
    response = client.get("/recertification/")
    html = response.content.decode()
    names = listed_names(html)
    assert len(names) == ENTRIES_SHOWN
    newest = made[-ENTRIES_SHOWN:]
    assert names == [
        e.details.get("title") or e.details.get("description") for e in newest
    ]  # in the order entered, the oldest left out
    assert f"Showing your {ENTRIES_SHOWN} most recent entries of {len(made)}" in html, (
        "the member is told the list is not complete"
    )
    full = selectors.current_reports(credential.holder)
    assert response.context["scored_reports"][0].total == full[0].total


def test_lean_scoring_equals_scoring_the_entries(credential_for):
    credential = credential_for("ipma-hr")
    report = report_for(credential)
    entries(report, 40)
    MembershipRecord.objects.create(
        member=credential.holder, kind="national", year=credential.cycle_start.year
    )
    full = selectors.current_reports(credential.holder)
    lean = selectors.current_reports(credential.holder, entries=False)
    assert [s.result for s in lean] == [s.result for s in full]
    assert [
        (getattr(line.entry, "pk", None), line.counted, line.claimed, line.reason)
        for line in lean[0].lines
    ] == [
        (getattr(line.entry, "pk", None), line.counted, line.claimed, line.reason)
        for line in full[0].lines
    ]


def test_an_entry_in_two_reports_is_listed_in_each(client, credential_for):
    first = credential_for("ipma-hr", designation="IPMA-SCP")
    second = credential_for("ipma-hr", designation="IPMA-CP", holder=first.holder)
    one, two = report_for(first), report_for(second)
    entry = EntryFactory(
        member=first.holder,
        reports=[one, two],
        kind="ipma.pd.partial_day",
        category="pd",
        date=dt.date(2024, 3, 1),
        details={"title": "Workshop 500"},
    )
    client.force_login(first.holder)
    html = client.get("/recertification/").content.decode()
    assert listed_names(html) == ["Workshop 500", "Workshop 500"]
    lean = selectors.current_reports(first.holder, entries=False)
    assert all(line.entry.pk == entry.pk for s in lean for line in s.lines if not line.auto)
