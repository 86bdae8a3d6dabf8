"""Factories for the lifecycle models (certificates, sent emails, extensions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from lifecycle.models import Certificate, ExtensionRequest
from members.models import Notification
from tests.factories import CredentialFactory, ReportFactory, UserFactory


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    credential = factory.SubFactory(CredentialFactory)
    cycle_start = factory.LazyAttribute(lambda c: c.credential.cycle_start)
    valid_from = factory.LazyAttribute(lambda c: c.credential.cycle_start)
    valid_through = factory.LazyAttribute(lambda c: c.credential.cycle_end)
    status_index = factory.Sequence(lambda n: 1000 + n)
    issued_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    key = factory.Sequence(lambda n: f"test:{n}")
    kind = Notification.Kind.CYCLE_REMINDER
    member = factory.SubFactory(UserFactory)
    to_email = factory.LazyAttribute(lambda n: n.member.email)
    subject = "Reminder"
    body_text = "Reminder"


class ExtensionRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExtensionRequest

    report = factory.SubFactory(
        ReportFactory,
        program="namss",
        cycle_start=dt.date(2023, 12, 2),
        cycle_end=dt.date(2026, 12, 1),
    )
    member = factory.LazyAttribute(lambda e: e.report.member)
    requested_at = factory.LazyFunction(timezone.now)
    new_deadline = dt.date(2027, 6, 1)
    credits_documented = Decimal("15")
    credits_needed = Decimal("15")
