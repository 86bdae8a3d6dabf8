"""The Detailed Summary's rows, made in Python: what members typed is escaped everywhere, and each
row reads as the template wrote it cell by cell (points, date, category, details with the audit
decision, the minimum's column, files, reason, and the edit and delete buttons)."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from django.template import Context, Engine
from django.utils import timezone

from recertification import pages, selectors, services
from recertification.models import AuditDecision, Report
from tests.factories import EntryFactory, EntryFileFactory, MembershipRecordFactory

pytestmark = pytest.mark.django_db

SUMMARY = "/recertification/summary/"


@pytest.fixture(autouse=True)
def rendered_each_time(settings):
    """Every request renders the page (no member page cache): its own queries and rows."""
    settings.MEMBER_PAGE_CACHE_SECONDS = 0


HOSTILE = '<script>alert("x")</script> & “Ünïcødé” 名前 ✓'

# The row as the template wrote it, field by field: the reference for the rows made in Python.
ROW_TEMPLATE = """{% load recert %}{% with line=row.line %}<tr>
<td data-label="{{ s.program.point_names.1|capfirst }}">{{ line.counted|points }}{% if line.counted != line.claimed %} <span class="small text-body-secondary">of {{ line.claimed|points }} claimed</span>{% endif %}</td>
<td data-label="Date" class="text-nowrap">{% if line.auto %}{{ line.entry.year }}{% elif line.entry.date %}{{ line.entry.date|date:"SHORT_DATE_FORMAT" }}{% else %}{{ line.entry.year }}{% endif %}</td>
<td data-label="Category">{{ line.kind.label }}</td>
<td data-label="Details">{{ line.name }}{% if not line.auto %}{% if line.entry.organization and line.entry.organization != line.name %}<br><span class="small">{{ line.entry.organization }}</span>{% endif %}{% for key, value in line.entry.details.items %}{% if value and value != line.name %}<br><span class="small">{{ value }}</span>{% endif %}{% endfor %}{% else %} <span class="badge text-bg-secondary">added automatically</span>{% endif %}{% if row.decision %}<br><span class="small audit-decision">Audit: <strong>{{ row.decision.get_decision_display }}</strong>{% if row.decision.reason %} – {{ row.decision.reason }}{% endif %}</span>{% endif %}</td>
{% for label, text in row.cells %}<td data-label="{{ label }}">{{ text }}</td>{% endfor %}
{% if files_label %}<td data-label="{{ files_label }}">{% for f in row.files %}<a href="{% url 'recertification:file_download' f.pk %}">{{ f.original_name }}</a>{% if not forloop.last %}, {% endif %}{% empty %}{% if line.auto %}—{% else %}None attached{% endif %}{% endfor %}</td>{% endif %}
<td{% if line.reason %} data-label="Why not all counted"{% endif %}>{{ line.reason|default:"" }}</td>
<td class="entry-actions text-nowrap">
{% if not line.auto and s.report.is_editable %}
<a class="btn btn-sm btn-outline-success" href="{% url 'recertification:entry_edit' line.entry.pk %}" aria-label="Edit {{ line.name }}"><i class="bi bi-pencil" aria-hidden="true"></i></a>
<a class="btn btn-sm btn-outline-danger" href="{% url 'recertification:entry_delete' line.entry.pk %}" aria-label="Delete {{ line.name }}"><i class="bi bi-trash" aria-hidden="true"></i></a>
{% elif line.auto %}<span class="small text-body-secondary">read-only</span>{% endif %}
</td>
</tr>{% endwith %}"""


def squeezed(html: str) -> str:
    """Whitespace that cannot show: around the table's own tags, and runs of it."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(</?(?:tr|td|tbody)\b[^>]*>)\s*", r"\1", html).strip()


def reference_rows(member) -> list[str]:
    """Every row of the member's summary as the template wrote it, from the model instances."""
    engine = Engine.get_default()
    template = engine.from_string(ROW_TEMPLATE)
    rows = []
    for s in selectors.current_reports(member):
        decisions = s.decisions
        for category in s.program.categories:
            kinds = s.program.kinds_in(category.code)
            columns = [
                (name, label)
                for name in pages.minimum_fields(s.program)
                if (label := pages._field_label(kinds, name)) is not None
            ]
            uploading = [k for k in kinds if k.uploads.max_files]
            files_label = (uploading[0].uploads.label or "Supporting files") if uploading else ""
            for line in s.lines_in(category.code):
                declared = {f.name for f in line.kind.fields}
                row = {
                    "line": line,
                    "cells": [
                        (
                            label,
                            pages._shown(getattr(line.entry, n, None)) if n in declared else "—",
                        )
                        for n, label in columns
                    ],
                    "files": [] if line.auto else line.entry.attached_files,
                    "decision": None if line.auto else decisions.get(line.entry.pk),
                }
                context = Context({"row": row, "s": s, "files_label": files_label})
                rows.append(squeezed(template.render(context)))
    return rows


def page_rows(page: str) -> list[str]:
    bodies = re.findall(r"<tbody>(.*?)</tbody>", page, flags=re.S)[1:]  # after Accumulated Points
    return [
        squeezed(row)
        for body in bodies
        for row in re.findall(r"<tr>.*?</tr>", body, flags=re.S)
        if "No records to display" not in row
    ]


@pytest.fixture
def namss_report(member, credential_for):
    credential_for("namss")
    services.reports_ensure_open(member=member)
    return Report.objects.get(member=member)


def test_what_members_typed_is_escaped_in_every_cell(client, member, namss_report):
    entry = EntryFactory(
        member=member,
        program="namss",
        kind="namss.ce",
        category="ce",
        date=dt.date(2025, 9, 15),
        quantity=Decimal("2.5"),
        approved=True,
        details={"title": HOSTILE, "provider": 'Acme "Quoted" <b>bold</b>', "location": "Zürich"},
        reports=[namss_report],
    )
    EntryFileFactory(entry=entry, original_name='<img src=x onerror="alert(1)">.pdf')
    client.force_login(member)
    page = client.get(SUMMARY).content.decode()

    assert "<script>" not in page.split("<tbody>", 2)[2]
    assert "<b>bold</b>" not in page
    assert "<img src=x" not in page
    escaped = html_lib.escape(HOSTILE)
    assert f'<td data-label="Details">{escaped}<br>' in page
    assert f'aria-label="Edit {escaped}"' in page
    assert f'aria-label="Delete {escaped}"' in page
    assert "Acme &quot;Quoted&quot; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "Zürich" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.pdf</a>" in page
    # What the member sees reads as typed.
    (row,) = [r for r in page_rows(page) if "Zürich" in r]
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", row))
    assert HOSTILE in text and 'Acme "Quoted" <b>bold</b>' in text


def test_each_row_reads_as_the_template_wrote_it(client, member, namss_report):
    """Claimed above counted, a file and none, an audit decision with its note, NAMSS-approved
    Yes and No, a year instead of a date, text that needs escaping."""
    first = EntryFactory(
        member=member,
        program="namss",
        kind="namss.ce",
        category="ce",
        date=dt.date(2025, 9, 15),
        quantity=Decimal("7.5"),
        approved=True,
        details={"title": "Annual <Conference>", "provider": "NAMSS", "location": "Online"},
        reports=[namss_report],
    )
    EntryFileFactory(entry=first, original_name="certificate & notes.pdf")
    EntryFileFactory(entry=first, original_name="agenda.pdf")
    EntryFactory(
        member=member,
        program="namss",
        kind="namss.ce",
        category="ce",
        date=dt.date(2025, 10, 1),
        quantity=Decimal("60"),
        approved=False,
        details={"title": HOSTILE, "provider": "", "location": "X"},
        reports=[namss_report],
    )
    AuditDecision.objects.create(
        report=namss_report,
        entry=first,
        decision=AuditDecision.Decision.REJECTED,
        reason="The certificate <shows> another date.",
        decided_at=timezone.now(),
    )
    client.force_login(member)
    page = client.get(SUMMARY).content.decode()
    assert "claimed</span>" in page and "audit-decision" in page
    assert page_rows(page) == reference_rows(member)


def test_automatic_lines_and_a_submitted_report_read_as_before(client, member, credential_for):
    """IPMA-HR: a membership record's line (read-only, no files), entries in several categories,
    and the same rows without buttons once the report is submitted."""
    credential_for("ipma-hr")
    services.reports_ensure_open(member=member)
    report = Report.objects.get(member=member)
    MembershipRecordFactory(member=member, year=2024)
    innovation = EntryFactory(
        member=member,
        kind="ipma.innovation",
        category="innovation",
        date=dt.date(2025, 1, 15),
        details={"description": "Online <onboarding>"},
        reports=[report],
    )
    EntryFileFactory(entry=innovation, original_name="onboarding.pdf")
    EntryFactory(member=member, reports=[report], organization="Chapter “West”")
    client.force_login(member)
    page = client.get(SUMMARY).content.decode()
    assert "read-only</span>" in page and "btn-outline-danger" in page
    assert page_rows(page) == reference_rows(member)

    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.IN_REVIEW, submitted_at=timezone.now()
    )
    page = client.get(SUMMARY).content.decode()
    assert "btn-outline-danger" not in page
    assert page_rows(page) == reference_rows(member)
