"""The Detailed Summary lets a member trace each minimum to the entries (defect 8 a).

"17.5 more NAMSS-approved credits are needed": the summary shows, per entry, the scoring fields a
minimum of the program depends on (NAMSS: `approved`, labelled as the program labels it) and
whether its certificate or file is attached, all from the declarations.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest

from recertification import rules, services
from recertification.models import Report
from tests.factories import EntryFactory, EntryFileFactory

pytestmark = pytest.mark.django_db

SUMMARY = "/recertification/summary/"


def approved_label(program: rules.Program) -> str:
    """The label the program's kinds give their `approved` field (read from the declaration)."""
    labels = {f.label for k in program.kinds for f in k.fields if f.name == "approved"}
    assert len(labels) == 1
    return labels.pop()


def rows(page: str) -> list[dict[str, str]]:
    """Each entry row of the summary's tables as {data-label: text}."""
    found = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", page, flags=re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
            cells = re.findall(r'<td[^>]*data-label="([^"]+)"[^>]*>(.*?)</td>', row, flags=re.S)
            text = {
                html_lib.unescape(label): " ".join(
                    html_lib.unescape(re.sub(r"<[^>]+>", " ", cell)).split()
                )
                for label, cell in cells
            }
            if text:
                found.append(text)
    return found


@pytest.fixture
def dual_with_entries(member, credential_for):
    cpcs = credential_for("namss", "CPCS")
    cpmsm = credential_for("namss", "CPMSM")
    services.reports_ensure_open(member=member)
    report = Report.objects.get(member=member)
    approved = EntryFactory(
        member=member,
        program="namss",
        kind="namss.ce",
        category="ce",
        date=dt.date(2025, 9, 15),
        quantity=Decimal("7.5"),
        approved=True,
        details={"title": "NAMSS Annual Conference", "provider": "NAMSS", "location": "Online"},
        reports=[report],
    )
    EntryFileFactory(entry=approved, original_name="conference-certificate.pdf")
    EntryFactory(
        member=member,
        program="namss",
        kind="namss.ce",
        category="ce",
        date=dt.date(2025, 10, 1),
        quantity=Decimal("30"),
        approved=False,
        details={"title": "Hospital compliance course", "provider": "Regional", "location": "X"},
        reports=[report],
    )
    return cpcs, cpmsm, report


def test_each_namss_entry_shows_whether_it_is_namss_approved_and_has_its_certificate(
    client, member, dual_with_entries
):
    client.force_login(member)
    page = client.get(SUMMARY).content.decode()
    program = rules.get_program("namss")
    label = approved_label(program)
    upload_label = program.kind("namss.ce").uploads.label
    assert f'<th scope="col">{label}</th>' in page
    assert f'<th scope="col">{upload_label}</th>' in page
    by_name = {row["Details"].split(" ")[0]: row for row in rows(page) if "Details" in row}
    conference, course = by_name["NAMSS"], by_name["Hospital"]
    assert conference[label] == "Yes"
    assert course[label] == "No"
    assert conference[upload_label] == "conference-certificate.pdf"
    assert course[upload_label] == "None attached"


def test_the_summary_states_each_minimum_so_the_shortfall_adds_up(
    client, member, dual_with_entries
):
    """45 credits with 25 approved: 7.5 approved counted, so 17.5 more are needed."""
    client.force_login(member)
    page = html_lib.unescape(client.get(SUMMARY).content.decode())
    assert "17.5 more NAMSS-approved credits are needed (7.5 of 25)." in page
    assert re.search(r"NAMSS-approved credits:\s*7\.5 of 25 counted", page)
    assert "entries marked “Yes” under NAMSS approved" in page


def test_programs_without_such_minimums_get_no_extra_column(client, member, credential_for):
    """IPMA-HR has no minimum on `approved` (and no `approved` field): no such column; its
    categories that take files show their files, the others do not."""
    credential = credential_for("ipma-hr")
    services.reports_ensure_open(member=member)
    report = Report.objects.get(member=member)
    innovation = EntryFactory(
        member=member,
        kind="ipma.innovation",
        category="innovation",
        date=dt.date(2025, 1, 15),
        details={"description": "Online onboarding"},
        reports=[report],
    )
    EntryFileFactory(entry=innovation, original_name="onboarding.pdf")
    EntryFactory(member=member, reports=[report])
    client.force_login(credential.holder)
    page = client.get(SUMMARY).content.decode()
    assert "NAMSS approved" not in page
    program = rules.get_program("ipma-hr")
    files_label = program.kind("ipma.innovation").uploads.label
    found = {row["Category"]: row for row in rows(page) if "Category" in row}
    assert found[program.kind("ipma.innovation").label][files_label] == "onboarding.pdf"
    assert files_label not in found[program.kind("ipma.pd.partial_day").label]


def headers(page: str) -> list[list[str]]:
    """The column headings of each table after the first (Accumulated Points)."""
    tables = re.findall(r"<thead>(.*?)</thead>", page, flags=re.S)[1:]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", h).split())
            for h in re.findall(r"<th[^>]*>(.*?)</th>", t)
        ]
        for t in tables
    ]


@pytest.mark.parametrize("program", rules.programs(), ids=lambda p: p.code)
def test_the_columns_come_from_the_declarations(client, member, credential_for, program):
    """Every program, every category: a column for `approved` exactly when a minimum filters on it
    (labelled as the kind labels it), and one for files when the category's kinds take them."""
    credential_for(program.code)
    services.reports_ensure_open(member=member)
    client.force_login(member)
    page = client.get(SUMMARY).content.decode()
    filters = any(
        m.approved is not None for requirement in program.requirements for m in requirement.minimums
    )
    expected = []
    for category in program.categories:
        kinds = program.kinds_in(category.code)
        middle = []
        if filters:
            middle += sorted({f.label for k in kinds for f in k.fields if f.name == "approved"})
        uploads = [k.uploads.label for k in kinds if k.uploads.max_files]
        if uploads:
            middle.append(uploads[0] or "Supporting files")
        expected.append(
            # The program's word (was "Points" for every program: defect 10 of the review).
            [
                program.point_names[1][:1].upper() + program.point_names[1][1:],
                "Date",
                "Category",
                "Details",
                *middle,
                "Why not all counted",
                "Actions",
            ]
        )
    assert headers(page) == expected


def test_a_notice_counts_the_same_totals_and_shortfalls_as_the_portal(
    dual_with_entries, django_assert_max_num_queries
):
    """Reminders and lapse notices read a report lightly (`report_totals`): the totals, the
    requirement and what is missing are those of the full read the portal's pages use."""
    from recertification.selectors import report_totals, scored_report

    report = Report.objects.get(pk=dual_with_entries[2].pk)
    full = scored_report(report)
    with django_assert_max_num_queries(3):
        light = report_totals(Report.objects.get(pk=report.pk))
    assert (light.total, light.required, light.met) == (full.total, full.required, full.met)
    assert light.total == Decimal("37.5")
    assert list(light.result.shortfalls) == list(full.result.shortfalls) != []
