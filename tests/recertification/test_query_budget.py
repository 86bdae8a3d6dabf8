import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import EntryFactory, EntryFileFactory, UserFactory, report_for

pytestmark = pytest.mark.django_db

PAGES = [
    "/recertification/",
    "/recertification/summary/",
    "/recertification/uploads/",
    "/recertification/submit/",
]


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def fill(report, count):
    member = report.member
    for i in range(count):
        kind = "ipma.innovation" if i % 10 == 0 else "ipma.pd.partial_day"
        entry = EntryFactory(
            member=member,
            reports=[report],
            kind=kind,
            category="innovation" if i % 10 == 0 else "pd",
            date=dt.date(2024, 1, 1) + dt.timedelta(days=i % 900),
        )
        if i % 10 == 0:
            EntryFileFactory(entry=entry)


@pytest.mark.parametrize("url", PAGES)
def test_member_pages_run_a_constant_number_of_queries(client, credential_for, url):
    few = credential_for("ipma-hr")
    report = report_for(few)
    fill(report, 1)
    client.force_login(few.holder)
    client.get(url)  # the first visit may open reports; measure the steady state
    small = queries_for(client, url)

    many = credential_for("ipma-hr", holder=UserFactory())
    report_many = report_for(many)
    fill(report_many, 300)
    client.force_login(many.holder)
    client.get(url)
    large = queries_for(client, url)
    assert large == small, f"{url}: {small} queries with 1 entry, {large} with 300"
    # session, user, credentials, report links, reports, credentials, entries, files,
    # membership and committee records, agreements, lapsed credentials
    assert small <= 16
