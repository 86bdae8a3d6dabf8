import datetime as dt

import pytest

from tests.factories import CredentialFactory, UserFactory

CYCLES = {
    "ipma-hr": ("IPMA-SCP", dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "namss": ("CPCS", dt.date(2023, 12, 2), dt.date(2026, 12, 1)),
    "ihmm": ("CHMM", dt.date(2022, 3, 1), dt.date(2027, 2, 28)),
}


@pytest.fixture
def credential_for(member):
    """An open credential of `member` in a program, with the test cycle of that program."""

    def make(program: str, designation: str | None = None, holder=None, **extra):
        default, start, end = CYCLES[program]
        return CredentialFactory(
            holder=holder or member,
            program=program,
            designation=designation or default,
            certified_since=start,
            cycle_start=start,
            cycle_end=end,
            **extra,
        )

    return make


@pytest.fixture
def other_member(db):
    return UserFactory(username="olive.other", email="olive@example.org")
