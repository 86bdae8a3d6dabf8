"""Build form posts from the program declarations, as a member's browser would send them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from recertification import rules
from recertification.forms import FormGroup, form_groups
from recertification.models import Entry


def all_groups():
    return [(program, group) for program in rules.programs() for group in form_groups(program)]


def group_ids():
    return [group.key for _program, group in all_groups()]


def valid_value(spec: rules.FieldSpec, day: dt.date):
    if spec.type == "text":
        return f"Sample {spec.label}"[:40]
    if spec.type == "url":
        return "https://example.org/policy"
    if spec.type == "date":
        return day.isoformat()
    if spec.type == "year":
        return str(day.year)
    if spec.type == "integer":
        return str(int(spec.min_value or 1))
    if spec.type == "decimal":
        return str(max(spec.min_value or Decimal(1), Decimal(1)))
    if spec.type == "bool":
        return "yes"
    if spec.type == "choice":
        return spec.choices[0][0]
    raise AssertionError(spec.type)


def valid_post(group: FormGroup, day: dt.date, kind: str | None = None, **overrides) -> dict:
    key = group.key
    data = {"form": key, f"{key}-kind": kind or group.kinds[0].code}
    for spec in group.fields:
        data[f"{key}-{spec.name}"] = valid_value(spec, day)
    for name, value in overrides.items():
        data[f"{key}-{name}"] = value
    return data


def group_of(kind_code: str) -> FormGroup:
    program = rules.get_program(kind_code.split(".")[0].replace("ipma", "ipma-hr"))
    for group in form_groups(program):
        if any(k.code == kind_code for k in group.kinds):
            return group
    raise AssertionError(kind_code)


def shown_total(html: str, designation: str) -> str:
    """The Current Points shown for a designation in the Accumulated Points table."""
    match = re.search(
        r'data-testid="current-points">([\d.]+)</strong> of [\d.]+</td>\s*<td>'
        + re.escape(designation),
        html,
    )
    assert match, f"no Accumulated Points row for {designation}"
    return match.group(1)


def engine_total(report) -> Decimal:
    """What the rules engine says for the stored entries, computed independently of the pages."""
    entries = Entry.objects.filter(reports=report).order_by("created_at", "id")
    result = rules.evaluate(
        program=report.program,
        credentials=sorted(c.designation for c in report.credentials.all()),
        cycle_start=report.cycle_start,
        cycle_end=report.cycle_end,
        activities=[
            rules.Activity(
                kind=e.kind,
                date=e.date,
                year=e.year,
                quantity=e.quantity,
                organization=e.organization,
                group=e.group,
                approved=e.approved,
            )
            for e in entries
        ],
    )
    return result.total
