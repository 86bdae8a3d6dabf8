"""Reads that member pages share; every query is scoped to its owner."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import CommitteeRecord, Credential, MembershipRecord, User


def credentials_for(user: User) -> QuerySet[Credential]:
    return Credential.objects.filter(holder=user).order_by("program", "designation")


def membership_records_for(user: User) -> QuerySet[MembershipRecord]:
    return MembershipRecord.objects.filter(member=user).order_by("-year", "kind", "organization")


def committee_records_for(user: User) -> QuerySet[CommitteeRecord]:
    return CommitteeRecord.objects.filter(member=user).order_by("-year", "committee")
