"""Staff accounts in the staff groups, and signed in, for the staff and security tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from backoffice.permissions import ensure_staff_groups
from tests.factories import StaffFactory


def staff_in(group: str | None, **kwargs):
    """A staff account in one of the staff groups (None: staff with no permission at all)."""
    ensure_staff_groups()
    user = StaffFactory(**kwargs)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def reviewer(db):
    return staff_in("Reviewer", username="rita.reviewer", email="rita@example.org")


@pytest.fixture
def finance(db):
    return staff_in("Finance", username="fran.finance", email="fran@example.org")


@pytest.fixture
def administrator(db):
    return staff_in("Administrator", username="ada.admin", email="ada@example.org")


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    return client_for(client, reviewer)


@pytest.fixture
def finance_client(client, finance):
    return client_for(client, finance)


@pytest.fixture
def administrator_client(client, administrator):
    return client_for(client, administrator)
