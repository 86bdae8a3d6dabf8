"""IHMM: 100 Certification Maintenance Points (CMPs) per 5-year cycle for the CHMM.

From the IHMM recertification claims guide (seed 003) as settled by RULES.md.
"""

from __future__ import annotations

from decimal import Decimal

from .model import (
    Cap,
    Category,
    Cycle,
    Fee,
    Kind,
    PerUnit,
    Program,
    Reported,
    Requirement,
    Rule,
    choice_field,
    date_field,
    group_field,
    multiples_of,
    quantity_field,
    text_field,
    whole,
)

CODE = "ihmm"

# The most one claim may count:
# - training: seed 003 sets no ceiling on one activity; 120 contact hours is three 40-hour weeks
#   of initial or official training (a 40-hour course is a common mandated one).
# - conference: one claim is one conference day (RULES.md); 12 contact hours is a long day of
#   sessions, breaks excluded (seed 003 counts only instructional time).
# - item writing: the seeds are silent; 100 items in one entry is generous (only 20 CMPs a
#   cycle count) and still catches a typo.
TRAINING_HOURS_MAXIMUM = 120
CONFERENCE_DAY_HOURS_MAXIMUM = 12
ITEMS_MAXIMUM = 100

_CONTACT_HELP = (
    "Contact time is only the instructional/learning time: meal and other breaks are not "
    "included. In quarter hours, at least 1 hour."
)
TRAINING_TYPES = (
    "Seminar",
    "Webinar",
    "Workshop",
    "Initial training",
    "Refresher training",
    "Official training",
    "Exercise drill",
    "Pre-conference session or workshop",
    "Post-conference session or workshop",
)
TRAINING_LABEL = (
    "Attending a seminar, webinar, workshop, initial or refresher training, official training, "
    "or exercise drill"
)
CONFERENCE_LABEL = "Attending a conference and in-conference technical sessions"
ITEM_WRITING_LABEL = "Writing examination items"

KINDS = (
    Kind(
        code="ihmm.training",
        label=TRAINING_LABEL,
        short="IHMM training",
        category="training",
        unit="contact hour",
        period="dated",
        rules=(
            Rule(
                score=PerUnit(1),
                quantity=multiples_of("0.25", minimum=1, maximum=TRAINING_HOURS_MAXIMUM),
            ),
        ),
        fields=(
            choice_field("activity_type", "Type of activity", TRAINING_TYPES),
            text_field("title", "Activity title"),
            text_field("provider", "Provider"),
            date_field("Date"),
            quantity_field("Contact hours", help_text=_CONTACT_HELP),
        ),
        reported=Reported(title="title", provider="provider"),
        description="Each claimed activity must be at least 1 hour of contact time. Pre- and "
        "post-conference sessions and workshops are claimed here, outside the conference caps.",
    ),
    Kind(
        code="ihmm.conference",
        label=CONFERENCE_LABEL,
        short="IHMM conference day",
        category="conference",
        unit="contact hour",
        period="dated",
        requires=("group",),
        rules=(
            Rule(
                score=PerUnit(1),
                # The guide's footnote asks for an hour or more of contact time for every claim.
                quantity=multiples_of("0.25", minimum=1, maximum=CONFERENCE_DAY_HOURS_MAXIMUM),
                caps=(
                    Cap(
                        5,
                        per=("group", "date"),
                        per_label="conference day",
                        reason="{limit} {points} per conference day",
                    ),
                    Cap(
                        20,
                        per=("group",),
                        per_label="conference",
                        reason="{limit} {points} per conference reached",
                    ),
                ),
            ),
        ),
        fields=(
            group_field("Conference name", help_text="Use the same name for every day of it."),
            date_field("Conference day"),
            quantity_field("Contact hours", help_text=_CONTACT_HELP),
        ),
        description="One claim per conference day: at most 5 CMPs per day and 20 CMPs per "
        "conference.",
    ),
    Kind(
        code="ihmm.item_writing",
        label=ITEM_WRITING_LABEL,
        short="Examination item writing",
        category="item_writing",
        unit="item",
        period="dated",
        rules=(Rule(score=PerUnit(1), quantity=whole(maximum=ITEMS_MAXIMUM), caps=(Cap(20),)),),
        fields=(
            text_field("examination", "Examination", required=False),
            date_field("Date"),
            quantity_field("Number of items"),
        ),
        description="1 CMP per examination item written, at most 20 CMPs per cycle.",
    ),
)

PROGRAM = Program(
    code=CODE,
    name="IHMM",
    long_name="Institute of Hazardous Materials Management",
    credentials={"CHMM": "Certified Hazardous Materials Manager"},
    cycle=Cycle(
        years=5,
        description="Five years from the certification (or last renewal) date, ending the day "
        "before the same date five years later.",
    ),
    categories=(
        Category(
            "training",
            TRAINING_LABEL,
            summary=("1 CMP per contact hour; each claim at least 1 hour of contact time.",),
            kind_label="Activity claim type",
        ),
        Category(
            "conference",
            CONFERENCE_LABEL,
            summary=(
                "1 CMP per contact hour; a maximum of 5 CMPs per day and 20 CMPs per conference.",
                "Pre- and post-conference sessions and workshops may be claimed separately as "
                "training.",
            ),
            kind_label="Activity claim type",
        ),
        Category(
            "item_writing",
            ITEM_WRITING_LABEL,
            summary=("1 CMP per examination item, a maximum of 20 CMPs per cycle.",),
            kind_label="Activity claim type",
        ),
    ),
    kinds=KINDS,
    requirements=(Requirement(100, label="CHMM"),),
    point_names=("CMP", "CMPs"),
    # A lapsed CHMM is decertified six months after the lapse (RULES.md).
    grace_months=6,
    fees=(
        Fee(
            "recertification",
            "Recertification fee",
            Decimal("200.00"),
            stated=False,
            source="not stated in the documents: a default for staff to set",
        ),
    ),
    summary=(
        "Recertification requires 100 Certification Maintenance Points (CMPs) every five years.",
        "Submitted applications are randomly selected for audit; a selected application waits "
        "for its documents.",
    ),
)
