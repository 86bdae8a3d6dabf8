"""The PDF transcript of a report: every line with points claimed and counted, and the reasons."""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.formatting import format_date

from . import rules
from .pages import export_rows
from .selectors import ScoredReport


def render_transcript(scored: ScoredReport, *, member) -> bytes:
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    report = scored.report
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        title=f"Recertification transcript {report.designations}",
        author=scored.program.name,
    )
    story = _heading(scored, member, styles)
    story.append(_lines_table(scored, small))
    doc.build(story)
    return buffer.getvalue()


def _heading(scored: ScoredReport, member, styles) -> list:
    """Title, member, cycle and status, then the points counted (and any shortfalls)."""
    report = scored.report
    fmt = rules.format_decimal
    return [
        Paragraph(f"{escape(scored.program.name)} Recertification Transcript", styles["Title"]),
        Paragraph(
            f"{escape(member.get_full_name())} · member number {escape(member.member_number)} · "
            f"{escape(report.designations)}",
            styles["Normal"],
        ),
        Paragraph(
            f"Cycle {format_date(report.cycle_start)} to {format_date(report.cycle_end)} · status "
            f"{escape(report.get_status_display())} · printed {format_date(timezone.localdate())}",
            styles["Normal"],
        ),
        Paragraph(
            f"Counted: {fmt(scored.total)} of {fmt(scored.required)} {scored.program.point_names[1]}"
            + ("" if scored.met else " – " + escape(" ".join(scored.result.shortfalls))),
            styles["Heading3"],
        ),
        Spacer(1, 6),
    ]


def _lines_table(scored: ScoredReport, small) -> Table:
    """A row per line of the report (or "No entries"), under a header repeated on every page."""
    header = ["Category", "Activity", "Date/Year", "Claimed", "Counted", "Reason"]
    rows = [header]
    for row in export_rows(scored):
        category, kind, name, date, year, _qty, claimed, counted, reason, _entered, auto = row
        # The CSV's ISO date, shown in the portal's format like every other page.
        when = format_date(dt.date.fromisoformat(date)) if date else str(year)
        label = f"{name}" + (" (added automatically)" if auto == "yes" else "")
        rows.append(
            [
                Paragraph(escape(category), small),
                Paragraph(escape(label), small),
                when,
                claimed,
                counted,
                Paragraph(escape(reason), small),
            ]
        )
    if len(rows) == 1:
        rows.append(["", "No entries", "", "", "", ""])
    table = Table(
        rows,
        colWidths=[1.3 * inch, 2.4 * inch, 0.8 * inch, 0.6 * inch, 0.6 * inch, 1.6 * inch],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#0d6efd")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
