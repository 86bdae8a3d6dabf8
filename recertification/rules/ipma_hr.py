"""IPMA-HR: 50 points per 3-year cycle for each designation, with its own report.

Labels, points and caps follow the IPMA-HR portal instructions (seeds 000, 001) as settled by
RULES.md: the full-day line is 6 hours, chapter membership is 1 point per year (maximum 3).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .model import (
    ONE,
    Cap,
    Category,
    Cycle,
    Deadline,
    Fee,
    FieldSpec,
    Kind,
    PerBlock,
    PerUnit,
    Program,
    Reported,
    Requirement,
    Rule,
    Uploads,
    date_field,
    integer_field,
    multiples_of,
    organization_field,
    quantity_field,
    text_field,
    url_field,
    whole,
    year_field,
)

CODE = "ipma-hr"

# The most one entry may claim. The seeds set no ceiling; these are generous but catch typos:
# - days (full- and partial-day programs, one form): a multi-day program is one entry (seed 000:
#   "Multiple day professional development courses can now be added in one entry"). 60 days
#   covers a twelve-week full-time academy or a weekly evening series over a year; RULES.md's
#   worked example enters 17 days at once.
# - credit hours of a college/university course: a course is usually 3 or 4 credit hours (seed
#   000 scores "per 3 credit hours"); 21, the most a university usually lets a student take in
#   one semester, allows a whole semester's courses entered as one.
DAYS_MAXIMUM = 60
CREDIT_HOURS_MAXIMUM = 21

# --- forms (seed labels; each category's kind drop-down label is on the Category) -----------


# A CE provider reporting a professional development program fills its Title and Sponsor.
_REPORTED = Reported(title="title", provider="sponsor")


def _pd_fields(quantity_label: str) -> tuple[FieldSpec, ...]:
    return (
        text_field("title", "Title", required=False),
        text_field("sponsor", "Sponsor"),
        date_field("First Day of Professional Development"),
        quantity_field(quantity_label),
    )


_MEMBERSHIP_FIELDS = (organization_field("Organization"), year_field("Year of Membership"))
_LEADERSHIP_FIELDS = (
    text_field("office", "Office or Position Held"),
    year_field("Year of Service (YYYY)"),
    organization_field("Organization", required=False),
    text_field("other", "Other", required=False),
)
_PRESENTATION_FIELDS = (
    text_field("program_name", "Program Name"),
    text_field("sponsor", "Sponsor"),
    text_field("topic", "Presentation Topic"),
    integer_field(
        "instructional_days", "Number of Instructional Days", help_text="Count a speech as 1."
    ),
    year_field("Year Presentation Occurred"),
)
_PUBLICATION_FIELDS = (
    text_field("article_title", "Article Title"),
    text_field("publication", "Publication"),
    url_field("publication_link", "Publication Link"),
    date_field("Date"),
)
_FIVE_FILES = "Upload all files (maximum of 5) related to this entry."
# RULES.md: the same membership, leadership or employment year cannot be entered twice for the
# same organization. Proctoring and testing examinations count per examination, so they repeat.
_ONE_A_YEAR_PER_ORGANIZATION = ("year", "organization")

# --- categories, in the order of the seed's "List of available Recertification Points Categories"

CATEGORIES = (
    Category(
        "pd",
        "Professional Development",
        summary=(
            "6 hours or more = 3 points per day.",
            "Less than 6 hours = 1 point per day.",
            "College/University course per 3 credit hours = 5 points.",
            "A College/University course of less than 3 credit hours scores 3 points, "
            "as a one-day Professional Development Program.",
        ),
        kind_label="Professional Development Category",
    ),
    Category(
        "membership",
        "Membership",
        summary=(
            "IPMA-HR National Membership: 2 points per year, maximum 6 points, "
            "added automatically for individual and chapter members.",
            "IPMA-HR Chapter Membership: 1 point per year, maximum 3 points, added automatically.",
            "IPMA-HR Agency members: 2 points per year, maximum 6 points; add your points "
            "per year.",
            "Non-IPMA-HR National Human Resource Association members: 1 point per year, maximum "
            "3 points per association; add your points per year.",
            "Please make an entry for each relevant year of membership.",
        ),
        kind_label="Category",
    ),
    Category(
        "leadership",
        "Service in a Leadership Capacity",
        summary=(
            "3 points per year of IPMA-HR Leadership (IPMA-HR Committee membership/Chair are "
            "auto populated).",
            "3 points per year of National or State Human Resources Association Board of "
            "Directors (Non IPMA-HR).",
            "2 points per year of National or State Human Resources Committee Chair.",
            "1 point per year of National or State Human Resources Association Membership in a "
            "Committee.",
            "1 point per National IPMA-HR Invitation to Proctor an IPMA-HR Certification "
            "Examination.",
            "5 points per National IPMA-HR Invitation to test an alternate IPMA-HR Certification "
            "Examination.",
        ),
        kind_label="Service in Leadership Category",
    ),
    Category(
        "innovation",
        "Human Resource Innovation",
        summary=(
            "5 points per Innovation Description.",
            "Upload all files (maximum of 5) related to Human Resource Innovations.",
        ),
        kind_label="Innovations Category",
    ),
    Category(
        "policy",
        "Policy/Program/RFP/Successful Practice",
        summary=(
            "1 point per Policy/Program/RFP/Successful Practice.",
            "Upload all files (maximum of 5) related to Policy/Program/RFP/Successful Practice.",
        ),
        kind_label="Policy Category",
    ),
    Category(
        "presentation",
        "Presentations and Instructions",
        summary=(
            "2 points per Presentation or Speech on Human Resources Management.",
            "5 points per Instruction – Serving as an instructor for a full day or multi-day "
            "course on human resource management.",
        ),
        kind_label="Presentations Category",
    ),
    Category(
        "publication",
        "Publications",
        summary=(
            "5 points per Research article published on human resource management in a "
            "professional journal.",
            "2 points per Article published on human resource management in a newsletter.",
        ),
        kind_label="Publications Category",
    ),
    Category(
        "experiential",
        "Experiential Learning",
        summary=(
            "1 point for each year of continuous employment in human resources since "
            "certification or re-certification, up to 3 points.",
        ),
        kind_label="Category",
    ),
)

# --- kinds ---------------------------------------------------------------------------------


def _yearly(
    code: str,
    label: str,
    category: str,
    points: int,
    fields: tuple[FieldSpec, ...],
    *,
    caps: tuple[Cap, ...] = (),
    unit: str = "year",
    **options: Any,
) -> Kind:
    """A kind worth `points` per entry of one year (or one examination, one speech) by year."""
    rule = Rule(score=PerUnit(points), quantity=ONE, caps=caps)
    return Kind(
        code=code,
        label=label,
        category=category,
        unit=unit,
        period="yearly",
        rules=(rule,),
        fields=fields,
        **options,
    )


def _dated_one(
    code: str,
    label: str,
    category: str,
    points: int,
    unit: str,
    fields: tuple[FieldSpec, ...],
    **options: Any,
) -> Kind:
    """A kind worth `points` per dated entry (an article, an innovation, a submission)."""
    return Kind(
        code=code,
        label=label,
        category=category,
        unit=unit,
        period="dated",
        rules=(Rule(score=PerUnit(points), quantity=ONE),),
        fields=fields,
        **options,
    )


KINDS = (
    Kind(
        code="ipma.pd.full_day",
        label="Participation in human resource professional development programs of at least "
        "one day in length (6 or more Hours)",
        short="Professional Development Program (6 or more hours)",
        category="pd",
        unit="day",
        period="dated",
        rules=(Rule(score=PerUnit(3), quantity=whole(maximum=DAYS_MAXIMUM)),),
        fields=_pd_fields("Number of Professional Development Days"),
        description="Programs that are 6 hours or more per day.",
        reported=_REPORTED,
    ),
    Kind(
        code="ipma.pd.partial_day",
        label="Participation in human resource professional development programs that are less "
        "than one day in length (Less than 6 Hours)",
        short="Professional Development Program (less than 6 hours)",
        category="pd",
        unit="day",
        period="dated",
        rules=(Rule(score=PerUnit(1), quantity=whole(maximum=DAYS_MAXIMUM)),),
        fields=_pd_fields("Number of Professional Development Days"),
        description="Programs that are less than 6 hours per day.",
        reported=_REPORTED,
    ),
    Kind(
        code="ipma.pd.college",
        label="College/University course",
        short="College/University course",
        category="pd",
        unit="credit hour",
        period="dated",
        rules=(
            Rule(
                score=PerBlock(size=3, points=5, under=3),
                quantity=multiples_of("0.5", maximum=CREDIT_HOURS_MAXIMUM),
                points_text="5 points per full 3 credit hours; a course of less than 3 credit "
                "hours scores 3 points",
            ),
        ),
        fields=_pd_fields("Credit hours"),
        reported=_REPORTED,
        description="A course under 3 credit hours is recorded as a one-day program (3 points).",
    ),
    _yearly(
        "ipma.membership.national",
        "IPMA-HR National Membership",
        "membership",
        2,
        _MEMBERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
        caps=(Cap(6),),
        auto_populated=True,
        auto_from="membership:national",
        member_entry=False,
        description="Auto Populated for Indiv/Chapter Members Only.",
    ),
    _yearly(
        "ipma.membership.chapter",
        "IPMA-HR Chapter Membership",
        "membership",
        1,
        _MEMBERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
        caps=(Cap(3),),
        auto_populated=True,
        auto_from="membership:chapter",
        member_entry=False,
        description="Auto Populated.",
    ),
    _yearly(
        "ipma.membership.agency",
        "IPMA-HR Agency Membership",
        "membership",
        2,
        _MEMBERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
        caps=(Cap(6),),
        description="IPMA-HR Agency members add their points per year.",
    ),
    _yearly(
        "ipma.membership.other",
        "Non-IPMA-HR National HR Association Membership",
        "membership",
        1,
        _MEMBERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
        caps=(Cap(3, per=("organization",), per_label="association"),),
        requires=("organization",),
        description="1 point per association membership per year.",
    ),
    _yearly(
        "ipma.leadership.ipma",
        "IPMA-HR Leadership",
        "leadership",
        3,
        _LEADERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
    ),
    _yearly(
        "ipma.leadership.board",
        "National or State Human Resources Association Board of Directors (Non IPMA-HR)",
        "leadership",
        3,
        _LEADERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
    ),
    _yearly(
        "ipma.leadership.committee_chair",
        "Committee Chair (IPMA-HR National/Chapter/Non-IPMA-HR Association)",
        "leadership",
        2,
        _LEADERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
        short="Committee Chair",
        auto_populated=True,
        auto_from="committee:chair",
        description="IPMA-HR committees are added automatically; enter other associations' "
        "committees yourself.",
    ),
    _yearly(
        "ipma.leadership.committee_member",
        "Committee Membership (IPMA-HR National/Chapter/Non-IPMA-HR Association)",
        "leadership",
        1,
        _LEADERSHIP_FIELDS,
        unique_per=_ONE_A_YEAR_PER_ORGANIZATION,
        short="Committee Membership",
        auto_populated=True,
        auto_from="committee:member",
        description="IPMA-HR committees are added automatically; enter other associations' "
        "committees yourself.",
    ),
    _yearly(
        "ipma.leadership.proctor",
        "National IPMA-HR Invitation to Proctor an IPMA-HR Certification Examination",
        "leadership",
        1,
        _LEADERSHIP_FIELDS,
        unit="examination proctorship",
        short="Examination proctorship",
    ),
    _yearly(
        "ipma.leadership.exam_tester",
        "National IPMA-HR Invitation to test an alternate IPMA-HR Certification Examination",
        "leadership",
        5,
        _LEADERSHIP_FIELDS,
        unit="examination",
        short="Alternate examination tested",
    ),
    _dated_one(
        "ipma.innovation",
        "Implementing an innovative human resource management program.",
        "innovation",
        5,
        "innovation",
        (
            text_field("description", "Short Description"),
            date_field(
                "Date Implemented",
                help_text="The date the innovation was put in place.",
            ),
        ),
        short="Human Resource Innovation",
        uploads=Uploads(5, "Supporting files", _FIVE_FILES),
    ),
    _dated_one(
        "ipma.policy",
        "Submission of Policy, Program, RFP or Successful Practice to IPMA-HR Website",
        "policy",
        1,
        "submission",
        (
            url_field("website", "Website for Policy, Program or Successful Practice"),
            date_field("Date Submitted"),
        ),
        short="Policy/Program/RFP/Successful Practice",
        uploads=Uploads(5, "Supporting files", _FIVE_FILES),
    ),
    _yearly(
        "ipma.presentation.speech",
        "Presentations – Speeches on HR Management",
        "presentation",
        2,
        _PRESENTATION_FIELDS,
        unit="presentation",
        short="Presentation or speech",
    ),
    _yearly(
        "ipma.presentation.instruction",
        "Instruction – Serving as an instructor for a full day or multi-day course on human "
        "resource management",
        "presentation",
        5,
        _PRESENTATION_FIELDS,
        unit="instruction",
        short="Instruction",
    ),
    _dated_one(
        "ipma.publication.journal",
        "Publications – Research article published on HR management in a professional journal",
        "publication",
        5,
        "article",
        _PUBLICATION_FIELDS,
        short="Research article",
    ),
    _dated_one(
        "ipma.publication.newsletter",
        "Publications – Article published on human resource management in a newsletter",
        "publication",
        2,
        "article",
        _PUBLICATION_FIELDS,
        short="Newsletter article",
    ),
    _yearly(
        "ipma.experiential.employment",
        "Experiential Learning (HR Employment)",
        "experiential",
        1,
        (year_field("Indicate Employment by Year"),),
        unique_per=("year",),
        caps=(Cap(3),),
        short="Continuous HR employment",
        description="1 point for each year of continuous employment since certification or "
        "re-certification.",
    ),
)

PROGRAM = Program(
    code=CODE,
    name="IPMA-HR",
    long_name="International Public Management Association for Human Resources",
    credentials={
        "IPMA-SCP": "Senior Certified Professional",
        "IPMA-CP": "Certified Professional",
        "IPMA-CS": "Certified Specialist",
    },
    cycle=Cycle(
        years=3,
        description="Three years from the certification (or last renewal) date, ending the day "
        "before the same date three years later.",
    ),
    categories=CATEGORIES,
    kinds=KINDS,
    requirements=(Requirement(total=50, credentials=1, label="Each designation"),),
    point_names=("point", "points"),
    fees=(
        Fee(
            "recertification",
            "Recertification fee",
            Decimal("150.00"),
            "USD",
            stated=True,
            source="RULES.md (a program setting staff can change)",
        ),
    ),
    deadlines=(Deadline("invoice_payable_from", "Recertification invoice payable from", 2, 15),),
    one_credential_per_report=True,
    summary=(
        "To retain the IPMA-SCP, IPMA-CP and IPMA-CS designations, an individual must accumulate "
        "50 points every three years and submit a completed Recertification Report for each "
        "designation.",
        "You may begin earning points toward recertification immediately upon receiving your "
        "initial IPMA-SCP/IPMA-CP/IPMA-CS designation.",
    ),
)
