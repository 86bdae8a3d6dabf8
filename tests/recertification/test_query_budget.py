import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import EntryFactory, EntryFileFactory, UserFactory, report_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pages_rendered_afresh")]

# Page -> the most queries it may run, with the session in the database (as in these tests):
# session, user, credentials, reports, their credentials, audit decisions, entries, files,
# membership and committee records; the submission page also opens reports and lists agreements.
# The portal reads every entry's scoring fields as rows, then the 25 it lists with their files.
# Each page adds 1 for the profile menu (members.context_processors: the programs of the member's
# credentials, to show Extension and Reinstatement only where a program offers them).
PAGES = {
    # 12, plus 4 for "Where you stand" (lifecycle_tags, reusing the page's credentials and scored
    # reports): invoices, extensions, approved reports, program fees.
    "/recertification/": 17,
    "/recertification/summary/": 11,
    "/recertification/uploads/": 11,
    "/recertification/submit/": 14,
}


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
    assert small <= PAGES[url], f"{url}: {small} queries, budget {PAGES[url]}"


def test_the_portal_of_a_member_with_two_designations_stays_in_budget(client, credential_for):
    """Each category's form offers both credentials: the choices come from the page's own read."""
    first = credential_for("ipma-hr", designation="IPMA-SCP")
    second = credential_for("ipma-hr", designation="IPMA-CP", holder=first.holder)
    fill(report_for(first), 3)
    report_for(second)
    client.force_login(first.holder)
    client.get("/recertification/")
    html = client.get("/recertification/").content.decode()
    assert html.count("Counts toward") > 1, "the test needs several forms offering both"
    count = queries_for(client, "/recertification/")
    budget = PAGES["/recertification/"]
    assert count <= budget, f"{count} queries, budget {budget}"
