"""Member pages name no program the member does not hold, and promise no way to pay that the
invoice may not offer."""

import pytest

from members.models import Credential
from recertification.rules import get_program, programs
from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db


def other_program_names(program: str) -> list[str]:
    """The codes and designations of every program but `program`."""
    names = []
    for declaration in programs():
        if declaration.code != program:
            names += [declaration.code.upper(), *declaration.credentials]
    return names


def page_text(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def member_of(program: str):
    user = UserFactory()
    designation = next(iter(get_program(program).credentials))
    CredentialFactory(holder=user, program=program, designation=designation)
    return user


@pytest.mark.parametrize("program", ["ipma-hr", "namss", "ihmm"])
@pytest.mark.parametrize("url", ["/profile/extension/", "/profile/membership/"])
def test_the_page_names_no_other_program(client, program, url):
    main = page_text(client, member_of(program), url)
    for name in other_program_names(program):
        assert name not in main, f"{url} of a {program} member names {name}"


def test_a_member_without_an_extension_to_request_is_told_so(client):
    main = page_text(client, member_of("ihmm"), "/profile/extension/")
    assert "nothing to request" in main


def test_the_paper_report_route_does_not_promise_card_payment(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    user = UserFactory()
    CredentialFactory(holder=user, status=Credential.Status.LAPSED)
    main = page_text(client, user, "/profile/reinstatement/")
    assert "Get my invoice" in main
    assert "by card" not in main
    assert "The invoice shows the ways to pay it." in main
