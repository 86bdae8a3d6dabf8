"""The review queue's rows, made in Python (backoffice/templatetags/review_queue.py), are the HTML
Django's admin renders for them: the same cells, classes, links, checkboxes and escaped values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result

from backoffice.assignment import report_assign
from backoffice.audits import report_select_for_audit
from backoffice.templatetags.review_queue import queue_rows
from recertification.models import Report
from tests.factories import EntryFileFactory, ReportFactory, UserFactory
from tests.staff.conftest import credential_in, submitted_report

pytestmark = pytest.mark.django_db

QUEUE = "/admin/recertification/report/"

HOSTILE = [
    ('<script>alert("x")</script>', "O'Brien & Sons"),
    ('Zoë "Z" Ünal', "<b>Łukasz</b> 李"),
    ("  ", "&amp; &lt;tag&gt;"),
]


def django_rows(cl) -> list[str]:
    """The rows as Django's own `result_list` makes them."""
    return ["".join(items_for_result(cl, report, None)) for report in cl.result_list]


def our_rows(cl) -> list[str]:
    return [str(row[0]) for row in queue_rows(cl)]


@pytest.fixture
def varied(reviewer, _today) -> list[Report]:
    """Reports with every kind of value the columns show."""
    hostile = [
        UserFactory(first_name=first, last_name=last, username=f"member-{i}-<&>")
        for i, (first, last) in enumerate(HOSTILE)
    ]
    paid = submitted_report(holder=hostile[0])
    unpaid = submitted_report(paid=False, holder=hostile[1])
    dual = submitted_report("namss", holder=hostile[2])
    credential_in("namss", holder=dual.member, designation="CPMSM").report_links.create(
        report=dual, cycle_start=dual.cycle_start
    )
    audited = submitted_report()
    entry = audited.entries.first()
    _today.shift(dt.timedelta(hours=1))
    report_select_for_audit(report=audited, actor=reviewer, reason="Spot check")
    _today.shift(dt.timedelta(hours=1))
    EntryFileFactory(entry=entry)
    waiting = submitted_report()
    report_select_for_audit(report=waiting, actor=reviewer, reason="Spot check")
    waived = submitted_report(paid=False)
    Report.objects.filter(pk=waived.pk).update(fee_waived=True)
    paper = submitted_report()
    Report.objects.filter(pk=paper.pk).update(is_paper=True, points_counted=None)
    report_assign(report=paid, assignee=reviewer, actor=reviewer, reason="")
    odd_reviewer = UserFactory(username='rev"<i>', is_staff=True)
    Report.objects.filter(pk=unpaid.pk).update(assigned_to=odd_reviewer)
    still_open = ReportFactory(member=hostile[0], program="ihmm")
    return [paid, unpaid, dual, audited, waiting, waived, paper, still_open]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "all"},
        {"status": "all", "o": "-8.3"},
        {"status": "all", "o": "2", "paid": "no", "q": "Brien"},
        {"documents": "received"},
        {"assigned": "me"},
    ],
)
def test_the_rows_are_the_html_django_renders(reviewer_client, varied, params):
    response = reviewer_client.get(QUEUE, params)
    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.result_list, params
    mine = our_rows(cl)
    assert mine == django_rows(cl)
    page = response.content.decode()
    for row in mine:
        assert f"<tr>{row}</tr>" in page


def test_every_kind_of_value_is_on_the_page(reviewer_client, varied):
    page = reviewer_client.get(QUEUE, {"status": "all"}).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "O&#x27;Brien &amp; Sons" in page
    assert "&lt;b&gt;Łukasz&lt;/b&gt; 李" in page
    assert "&amp;amp; &amp;lt;tag&amp;gt;" in page
    assert "rev&quot;&lt;i&gt;" in page
    assert "documents received" in page
    assert "CPCS + CPMSM" in page
    assert 'class="action-select"' in page
    assert 'name="_selected_action"' in page
    assert "icon-yes.svg" in page and "icon-no.svg" in page


def test_each_row_links_to_its_report_with_the_filters_kept(reviewer_client, varied):
    response = reviewer_client.get(QUEUE, {"status": "all", "paid": "no"})
    page = response.content.decode()
    for report in response.context["cl"].result_list:
        link = (
            f'href="/admin/recertification/report/{report.pk}/change/'
            f'?_changelist_filters=status%3Dall%26paid%3Dno"'
        )
        assert page.count(link) == 2, report.pk


def test_a_popup_is_rendered_by_django(reviewer_client, varied):
    response = reviewer_client.get(QUEUE, {"status": "all", "_popup": "1", "_to_field": "id"})
    assert response.status_code == 200
    page = response.content.decode()
    for row in django_rows(response.context["cl"]):
        assert f"<tr>{row}</tr>" in page
