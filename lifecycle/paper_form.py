"""The paper Recertification Report a lapsed member fills in and mails (reportlab, on request).

Filled with the member's name, member number, designation and the lapsed cycle's dates; one table
per category with the columns the program declares for its kinds (the kind drop-down's label,
then every field of the category's kinds, in declaration order), blank rows to write in, the
Applicant's Declaration and the signature and date lines the portal's agreement asks for.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.formatting import format_date
from members.models import Credential
from recertification import rules

BRAND = colors.HexColor("#0d6efd")
BLANK_ROWS = 6
DECLARATION = (
    "Applicant's Declaration – I declare that all of the information contained in this form is "
    "accurate. I give {body} permission to verify the information contained in this application. "
    "I authorize organizations reference for me to release participation information. I "
    "understand that if any of the information contained in this application is false, {body} "
    "has the right to reject my application."
)


def columns(program: rules.Program, category: str) -> list[str]:
    """The column headings of a category's table: the kind, then each declared field once."""
    labels = [program.category(category).kind_label]
    for kind in program.entry_kinds(category):
        for spec in kind.fields:
            if spec.label not in labels:
                labels.append(spec.label)
    return labels


def _styles():
    sheet = getSampleStyleSheet()
    return {
        "title": sheet["Title"],
        "normal": sheet["Normal"],
        "h3": sheet["Heading3"],
        "cell": sheet["BodyText"].clone("cell", fontSize=7, leading=8.5),
        "small": sheet["BodyText"].clone("small", fontSize=8, leading=10),
    }


def _category_table(program: rules.Program, category: str, styles, width: float) -> Table:
    labels = columns(program, category)
    header = [Paragraph(f"<b>{escape(label)}</b>", styles["cell"]) for label in labels]
    rows = [header] + [[""] * len(labels) for _ in range(BLANK_ROWS)]
    table = Table(rows, colWidths=[width / len(labels)] * len(labels), rowHeights=None)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7f1ff")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white]),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 10),
            ]
        )
    )
    return table


def paper_report_pdf(credential: Credential) -> bytes:
    """The paper Recertification Report of `credential`'s lapsed cycle, filled in for its holder."""
    holder = credential.holder
    program = rules.get_program(credential.program)
    name = holder.get_full_name() or holder.username
    styles = _styles()
    buffer = io.BytesIO()
    pagesize = landscape(LETTER)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.6 * inch,
        title=f"{credential.designation} Recertification Report – {name}",
        author=settings.SITE_NAME,
    )
    width = pagesize[0] - 1.2 * inch
    cycle = f"{format_date(credential.cycle_start)} to {format_date(credential.cycle_end)}"
    body = program.long_name or program.name
    story = [
        Paragraph(escape(body), styles["normal"]),
        Paragraph("Recertification Report", styles["title"]),
        Table(
            [
                ["Name", name, "Member number", holder.member_number],
                [
                    "Designation",
                    f"{credential.designation} – {credential.designation_name}",
                    "Cycle",
                    cycle,
                ],
            ],
            colWidths=[1.2 * inch, width / 2 - 1.2 * inch, 1.2 * inch, width / 2 - 1.2 * inch],
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                    ("FONTNAME", (2, 0), (2, -1), "Helvetica-Bold"),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ]
            ),
        ),
        Spacer(1, 0.15 * inch),
        Paragraph(
            escape(
                f"List every activity of the cycle ({cycle}) with its date or year and the "
                f"{program.point_names[1]} it earns, and enclose the supporting documents. "
                f"Only activities within the cycle count; {program.name} requires "
                f"{rules.format_decimal(program.requirements[0].total)} "
                f"{program.point_names[1]}."
            ),
            styles["small"],
        ),
    ]
    for category in program.categories:
        if not program.entry_kinds(category.code):
            continue
        story.append(Paragraph(escape(category.label), styles["h3"]))
        story.append(_category_table(program, category.code, styles, width))
    story += [
        Spacer(1, 0.25 * inch),
        Paragraph(escape(DECLARATION.format(body=body)), styles["small"]),
        Spacer(1, 0.35 * inch),
        Table(
            [["Signature", "", "Date", ""]],
            colWidths=[0.9 * inch, 4.5 * inch, 0.6 * inch, 2 * inch],
            style=TableStyle(
                [
                    ("LINEBELOW", (1, 0), (1, 0), 0.8, colors.black),
                    ("LINEBELOW", (3, 0), (3, 0), 0.8, colors.black),
                    ("FONTNAME", (0, 0), (-1, -1), "Helvetica-Bold"),
                ]
            ),
            hAlign="LEFT",
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
