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


# Each program's test cycle: IPMA-HR's ends this year, so its invoice is payable from 15 February.
DESIGNATIONS = {"ipma-hr": "IPMA-SCP", "namss": "CPCS", "ihmm": "CHMM"}
CYCLES = {
    "ipma-hr": (dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "namss": (dt.date(2023, 12, 2), dt.date(2026, 12, 1)),
    "ihmm": (dt.date(2022, 3, 1), dt.date(2027, 2, 28)),
}


class ReportFactory(factory.django.DjangoModelFactory):
    """An open report; `credentials=[...]` links existing credentials, otherwise the member's
    credential of the program is linked (made when missing). A member holds a designation once,
    so reports of earlier cycles share it."""

    class Meta:
        model = "recertification.Report"
        skip_postgeneration_save = True

    member = factory.SubFactory(UserFactory)
    program = "ipma-hr"
    cycle_start = factory.LazyAttribute(lambda r: CYCLES[r.program][0])
    cycle_end = factory.LazyAttribute(lambda r: CYCLES[r.program][1])

    @factory.post_generation
    def credentials(self, create, extracted, **kwargs):
        from members.models import Credential
        from recertification.models import ReportCredential

        if not create:
            return
        if extracted is None:
            designation = DESIGNATIONS[self.program]
            existing = Credential.objects.filter(
                holder=self.member, designation=designation
            ).first()
            extracted = [
                existing
                or CredentialFactory(
                    holder=self.member,
                    program=self.program,
                    designation=designation,
                    certified_since=self.cycle_start,
                    cycle_start=self.cycle_start,
                    cycle_end=self.cycle_end,
                    status=kwargs.get("status", "renew"),
                )
            ]
        for credential in extracted:
            ReportCredential.objects.create(
                report=self, credential=credential, cycle_start=self.cycle_start
            )


def report_for(credential, **kwargs):
    """The current-cycle report of an existing credential."""
    return ReportFactory(
        member=credential.holder,
        program=credential.program,
        cycle_start=credential.cycle_start,
        cycle_end=credential.cycle_end,
        credentials=[credential],
        **kwargs,
    )


class EntryFactory(factory.django.DjangoModelFactory):
    """A stored entry; `reports=[...]` links it (scoring fields given as the service stores them)."""

    class Meta:
        model = "recertification.Entry"
        skip_postgeneration_save = True

    member = factory.SubFactory(UserFactory)
    program = "ipma-hr"
    kind = "ipma.pd.partial_day"
    category = "pd"
    date = dt.date(2024, 3, 5)
    quantity = 1
    details = factory.LazyFunction(lambda: {"sponsor": "Example Sponsor", "title": "Workshop"})

    @factory.post_generation
    def reports(self, create, extracted, **kwargs):
        if create and extracted:
            self.reports.add(*extracted)


class EntryFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "recertification.EntryFile"

    entry = factory.SubFactory(EntryFactory)
    file = factory.django.FileField(filename="evidence.pdf", data=b"%PDF-1.4 test")
    original_name = "evidence.pdf"
    content_type = "application/pdf"
    size = 13
