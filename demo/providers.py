"""The demo CE provider: a login `provider`, a course per program and reported attendance for
the demo members, so the portal opens with credits pending their review (and one the provider
could not match)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from members.models import User
from providers import courses, reporting
from providers.models import Completion, Course, Provider, ProviderProgram, ProviderUser

PROVIDER_NAME = "Midwest Professional Learning"

# (program, approved by the program, course id, course values)
COURSES = [
    (
        "ipma-hr",
        False,
        "MPL-HR-101",
        {
            "kind": "ipma.pd.full_day",
            "title": "Workforce Planning for Public Agencies",
            "quantity": Decimal("1"),
            "details": {},
        },
    ),
    (
        "namss",
        True,
        "MPL-CRED-210",
        {
            "kind": "namss.ce",
            "title": "Credentialing Standards Update",
            "quantity": Decimal("1.5"),
            "details": {"location": "Online"},
        },
    ),
    (
        "ihmm",
        False,
        "MPL-HAZ-330",
        {
            "kind": "ihmm.training",
            "title": "Hazardous Waste Operations Refresher",
            "quantity": Decimal("4"),
            "details": {"activity_type": "Refresher training"},
        },
    ),
]

# The demo members who attended each course: (username, completion id).
ATTENDEES = {
    "MPL-HR-101": [("ipma.member", "HR101-0001")],
    "MPL-CRED-210": [("namss.member", "CRED210-0001")],
    "MPL-HAZ-330": [("ihmm.member", "HAZ330-0001")],
}


def load_demo_provider(*, today: dt.date, user: User) -> Provider:
    """The provider, its programs, its user and its courses with their reported attendance."""
    provider, _ = Provider.objects.get_or_create(
        name=PROVIDER_NAME,
        defaults={
            "contact_name": "Pat Provider",
            "contact_email": "learning@demo.example.org",
            "contact_phone": "+1 217 555 0100",
        },
    )
    ProviderUser.objects.get_or_create(user=user, defaults={"provider": provider})
    day = today - dt.timedelta(days=14)
    for program, approved, course_id, values in COURSES:
        ProviderProgram.objects.get_or_create(
            provider=provider, program=program, defaults={"approved": approved}
        )
        course = Course.objects.filter(provider=provider, course_id=course_id).first()
        if course is None:
            course = courses.course_create(
                provider=provider,
                values=values | {"program": program, "course_id": course_id, "starts_on": day},
                actor=user,
            )
        attendees = [
            _attendee(username, completion_id) for username, completion_id in ATTENDEES[course_id]
        ]
        if program == "namss":
            # A typo in the last name: the provider sees it unmatched, staff can match it.
            namss = User.objects.get(username="namss.member")
            attendees.append(
                reporting.Attendee(
                    "CRED210-0002", "Leigh", member_number=namss.member_number, email=""
                )
            )
        reporting.completions_report(
            provider=provider,
            course=course,
            attendees=attendees,
            channel=Completion.Channel.FORM,
            actor=user,
        )
    return provider


def _attendee(username: str, completion_id: str) -> reporting.Attendee:
    member = User.objects.get(username=username)
    return reporting.Attendee(
        completion_id, member.last_name, member_number=member.member_number, email=member.email
    )
