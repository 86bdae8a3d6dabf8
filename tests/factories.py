"""Factories for every model, so tests say only what matters to them."""

from __future__ import annotations

import datetime as dt

import factory

from members.models import CommitteeRecord, Credential, MembershipRecord, User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    organization = "City of Springfield"
    street = "1 Main Street"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class StaffFactory(UserFactory):
    is_staff = True


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    holder = factory.SubFactory(UserFactory)
    program = "ipma-hr"
    designation = "IPMA-SCP"
    certified_since = dt.date(2021, 1, 1)
    cycle_start = dt.date(2024, 1, 1)
    cycle_end = dt.date(2026, 12, 31)
    status = Credential.Status.RENEW


class MembershipRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipRecord

    member = factory.SubFactory(UserFactory)
    kind = MembershipRecord.Kind.NATIONAL
    year = 2024


class CommitteeRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeRecord

    member = factory.SubFactory(UserFactory)
    committee = "Certification Committee"
    role = CommitteeRecord.Role.MEMBER
    year = 2024
