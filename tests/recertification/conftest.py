import pytest

from tests.factories import UserFactory


@pytest.fixture
def other_member(db):
    return UserFactory(username="olive.other", email="olive@example.org")
