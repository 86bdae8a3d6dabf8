"""What the lifecycle's emails and pages say of a cycle: its score (also before a report is
opened), the points counted and missing, and the program and credentials it covers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from members.models import CommitteeRecord, Credential, MembershipRecord
from recertification import rules
from recertification.models import Report
from recertification.selectors import ScoredReport, auto_entries, score


def score_without_report(credentials: list[Credential]) -> ScoredReport:
    """Score a cycle that has no report yet (staff records may already add IPMA-HR points)."""
    first = credentials[0]
    program = rules.get_program(first.program)
    shell = Report(
        member=first.holder,
        program=first.program,
        cycle_start=first.cycle_start,
        cycle_end=first.cycle_end,
    )
    autos = auto_entries(
        program,
        MembershipRecord.objects.filter(member_id=first.holder_id),
        CommitteeRecord.objects.filter(member_id=first.holder_id),
    )
    return score(shell, [], autos, credentials)


def points_context(scored: ScoredReport) -> dict[str, Any]:
    """The points counted, required and missing, and what the program calls them."""
    program = scored.program
    singular, plural = program.point_names
    return {
        "points_counted": rules.format_decimal(scored.total),
        "points_required": rules.format_decimal(scored.required),
        "points_missing": rules.format_decimal(max(scored.required - scored.total, Decimal(0))),
        "requirement_met": scored.met,
        "shortfalls": list(scored.result.shortfalls),
        "point_name": plural,
        "point_name_singular": singular,
    }


def credential_context(credentials: list[Credential]) -> dict[str, Any]:
    """The program, designations and cycle that one report's credentials share."""
    first = credentials[0]
    program = rules.get_program(first.program)
    return {
        "program_name": program.name,
        "program_long_name": program.long_name,
        "designations": " + ".join(sorted(c.designation for c in credentials)),
        "designation_names": " and ".join(
            c.designation_name for c in sorted(credentials, key=lambda c: c.designation)
        ),
        "cycle_start": first.cycle_start,
        "cycle_end": first.cycle_end,
    }
