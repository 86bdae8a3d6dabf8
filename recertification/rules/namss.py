"""NAMSS: CE credits per 3-year cycle (2 December to 1 December), with a NAMSS-approved minimum.

From the NAMSS recertification FAQ (seed 002) as settled by RULES.md: the whole policy, calendar,
fees, extensions and grace period included, is the declaration below.
"""

from __future__ import annotations

from decimal import Decimal

from .model import (
    Category,
    Cycle,
    Deadline,
    Fee,
    Kind,
    Minimum,
    PerUnit,
    Program,
    Reported,
    Requirement,
    Rule,
    Uploads,
    approved_field,
    date_field,
    multiples_of,
    quantity_field,
    text_field,
)

CODE = "namss"
GRACE_MONTHS = 6
"""Months after the lapse during which a credential can be reinstated (seed 002)."""

CREDITS_MAXIMUM = 45
"""The most one entry (one CE certificate) may claim. Seed 002 sets no ceiling; a conference or
course certificate carries far fewer credits, and 45 is a dual certificant's whole cycle."""


def _approved(amount: int) -> Minimum:
    return Minimum(
        amount,
        noun="NAMSS-approved credits",
        noun_singular="NAMSS-approved credit",
        approved=True,
    )


KINDS = (
    Kind(
        code="namss.ce",
        label="Continuing education activity",
        short="NAMSS CE",
        category="ce",
        unit="credit",
        period="dated",
        rules=(
            Rule(
                score=PerUnit(1),
                quantity=multiples_of("0.25", maximum=CREDITS_MAXIMUM),
                points_text="The credits shown on the CE certificate, in quarter credits",
            ),
        ),
        fields=(
            text_field("title", "Activity title"),
            text_field("provider", "Provider"),
            date_field("Date"),
            quantity_field("Credits", help_text="In multiples of 0.25, as on the CE certificate."),
            approved_field(
                "NAMSS approved",
                help_text="NAMSS-approved credits have a CE certificate with the NAMSS logo at "
                "the top.",
            ),
            text_field(
                "location",
                "Location",
                help_text="For virtual activities, the city and state you accessed it from.",
            ),
        ),
        reported=Reported(title="title", provider="provider"),
        uploads=Uploads(
            1,
            "CE certificate",
            "Keep every certificate: extensions and audits need them.",
        ),
    ),
)

PROGRAM = Program(
    code=CODE,
    name="NAMSS",
    long_name="National Association Medical Staff Services",
    credentials={
        "CPCS": "Certified Provider Credentialing Specialist",
        "CPMSM": "Certified Professional Medical Services Management",
    },
    cycle=Cycle(
        years=3,
        ends_on=(12, 1),
        description="Three years from 2 December to 1 December of the renewal year; a newly "
        "certified person's cycle starts on the initial certification date.",
    ),
    categories=(
        Category(
            "ce",
            "Continuing Education",
            summary=(
                "Single certificants (CPCS or CPMSM) report at least 30 CE credits, 15 of which "
                "must be NAMSS approved.",
                "Dual certificants report at least 45 CE credits, 25 of which must be NAMSS "
                "approved; in the first cycle as a dual certificant, 30 and 15.",
                "NAMSS-approved credits are sponsored or pre-approved by NAMSS and have a "
                "NAMSS-approved CE certificate.",
            ),
            kind_label="Activity",
        ),
    ),
    kinds=KINDS,
    requirements=(
        Requirement(
            30, (_approved(15),), credentials=1, first_dual_cycle=False, label="CPCS or CPMSM only"
        ),
        Requirement(
            45, (_approved(25),), credentials=2, first_dual_cycle=False, label="Dual certification"
        ),
        Requirement(
            30,
            (_approved(15),),
            credentials=2,
            first_dual_cycle=True,
            label="Dual certification, first cycle as a dual certificant",
        ),
    ),
    point_names=("credit", "credits"),
    # An extension request includes CE certificates for half the credits required (seed 002).
    extension_share=Decimal("0.5"),
    fees=(
        Fee(
            "recertification",
            "Recertification fee",
            Decimal("175.00"),
            stated=False,
            source="not stated in the documents: a default for staff to set",
        ),
        Fee("late", "Late fee", Decimal("50.00"), source="seed 002: after 1 December"),
        Fee("extension", "Extension fee", Decimal("50.00"), source="seed 002"),
        Fee("reinstatement", "Reinstatement fee", Decimal("100.00"), source="seed 002"),
    ),
    deadlines=(
        Deadline("application_opens", "Recertification application opens", 8, 1),
        Deadline("on_time_until", "Deadline without a late fee", 12, 1),
        Deadline("extension_request_until", "Last day to request an extension", 12, 1),
        Deadline("late_until", "Last day to submit, with the late fee", 12, 31),
        Deadline("lapses_on", "Unrenewed credentials lapse", 1, 1, years_after=1),
        Deadline("extension_until", "Extended deadline", 6, 1, years_after=1),
        Deadline(
            "reinstatement_until", "Last day to reinstate (grace period)", 6, 30, years_after=1
        ),
    ),
    summary=(
        "You may submit any CE credits earned between 2 December three years before your "
        "renewal year and 1 December of your renewal year.",
        "The recertification application opens on 1 August of your renewal year.",
    ),
)
