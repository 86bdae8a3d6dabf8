"""Which credential rows the portal can read: a program it knows and one of that program's
designations. The condition is one expression; these pin it against the rules declarations."""

from __future__ import annotations

import pytest

from members.models import Credential, known_pairs, readable_credentials
from recertification import rules
from recertification.models import ReportCredential
from tests.factories import CredentialFactory, ReportFactory

pytestmark = pytest.mark.django_db


def test_every_declared_designation_is_readable_and_nothing_else_is():
    declared = [(p.code, d) for p in rules.programs() for d in p.credentials]
    for program, designation in declared:
        CredentialFactory(program=program, designation=designation)
    other = declared[-1][1]
    odd = [
        CredentialFactory(program="ipma-hr", designation="CPCS"),  # another program's designation
        CredentialFactory(program="retired", designation="IPMA-SCP"),  # a program not declared
        CredentialFactory(program="ipma-hr", designation="ipma-scp"),  # case matters
        CredentialFactory(program="ipma-hr ", designation="IPMA-SCP"),  # a stray space
        CredentialFactory(program="ipma-hr\x1fIPMA", designation="SCP"),  # split elsewhere
        CredentialFactory(program="", designation=other),
    ]
    readable = set(Credential.objects.values_list("program", "designation"))
    assert readable == set(declared)
    unreadable = set(Credential.all_objects.unreadable().values_list("pk", flat=True))
    assert unreadable == {c.pk for c in odd}
    assert len(known_pairs()) == len(declared)


def test_rows_that_refer_to_a_credential_are_read_through_it():
    good = CredentialFactory(program="namss", designation="CPCS")
    bad = CredentialFactory(program="namss", designation="IPMA-SCP")
    ReportFactory(member=good.holder, program="namss", credentials=[good])
    ReportFactory(member=bad.holder, program="namss", credentials=[bad])
    mine = ReportCredential.objects.filter(credential__in=[good, bad])

    links = mine.filter(readable_credentials("credential__"))
    assert list(links.values_list("credential_id", flat=True)) == [good.pk]
    hidden = mine.exclude(readable_credentials("credential__"))
    assert list(hidden.values_list("credential_id", flat=True)) == [bad.pk]
