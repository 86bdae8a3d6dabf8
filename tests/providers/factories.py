"""Factories for the CE providers' models (providers/models.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from providers.models import Completion, Course, Provider, ProviderProgram, ProviderUser
from tests.factories import CYCLES, DESIGNATIONS, CredentialFactory, UserFactory

# A course per program whose kind a provider can report (`rules.Kind.reported`), with the kind's
# other details filled in.
COURSES = {
    "ipma-hr": {"kind": "ipma.pd.full_day", "quantity": Decimal("1"), "details": {}},
    "namss": {
        "kind": "namss.ce",
        "quantity": Decimal("2.5"),
        "details": {"location": "Chicago, IL"},
    },
    "ihmm": {
        "kind": "ihmm.training",
        "quantity": Decimal("4"),
        "details": {"activity_type": "Seminar"},
    },
}


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Learning Provider {n}")
    contact_name = "Pat Provider"
    contact_email = factory.Sequence(lambda n: f"contact{n}@provider.example")

    @factory.post_generation
    def programs(self, create, extracted, **kwargs):
        """programs=["namss", ...] or {"namss": True} (approved); default: every program shipped."""
        if not create:
            return
        wanted = extracted if extracted is not None else dict.fromkeys(COURSES, False)
        if not isinstance(wanted, dict):
            wanted = dict.fromkeys(wanted, False)
        for code, approved in wanted.items():
            ProviderProgram.objects.create(provider=self, program=code, approved=approved)


def holder_of(program: str = "namss", **kwargs):
    """A member holding the program's test credential (`tests.factories.CYCLES`): the person a
    provider's report names."""
    member = UserFactory(**kwargs)
    start, end = CYCLES[program]
    CredentialFactory(
        holder=member,
        program=program,
        designation=DESIGNATIONS[program],
        cycle_start=start,
        cycle_end=end,
    )
    return member


def namss_member(**kwargs):
    """A CPCS in the NAMSS test cycle."""
    return holder_of("namss", **kwargs)


def provider_user(provider: Provider, **kwargs):
    """A sign-in account working in `provider`'s area."""
    user = UserFactory(**kwargs)
    ProviderUser.objects.create(provider=provider, user=user)
    return user


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    class Params:
        on = "namss"

    provider = factory.SubFactory(ProviderFactory)
    program = factory.LazyAttribute(lambda c: c.on)
    kind = factory.LazyAttribute(lambda c: COURSES[c.on]["kind"])
    title = factory.Sequence(lambda n: f"Credentialing essentials {n}")
    starts_on = dt.date(2025, 3, 4)
    ends_on = dt.date(2025, 3, 4)
    quantity = factory.LazyAttribute(lambda c: COURSES[c.on]["quantity"])
    details = factory.LazyAttribute(lambda c: dict(COURSES[c.on]["details"]))


class CompletionFactory(factory.django.DjangoModelFactory):
    """A completion matched to `member` and pending (pass member=None with status unmatched)."""

    class Meta:
        model = Completion

    course = factory.SubFactory(CourseFactory)
    provider = factory.SelfAttribute("course.provider")
    completion_id = factory.Sequence(lambda n: f"c-{n}")
    member = factory.SubFactory(UserFactory)
    member_number = factory.LazyAttribute(lambda c: c.member.member_number if c.member else "")
    last_name = factory.LazyAttribute(lambda c: c.member.last_name if c.member else "Nobody")
    completed_on = factory.SelfAttribute("course.ends_on")
    quantity = factory.SelfAttribute("course.quantity")
    status = Completion.Status.PENDING
    channel = Completion.Channel.API
