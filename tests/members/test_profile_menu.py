"""The profile menu offers Extension and Reinstatement only to members whose programs have them."""

import pytest

from recertification.rules import get_program
from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db


def menu(client, user) -> str:
    client.force_login(user)
    html = client.get("/profile/").content.decode()
    start = html.index('aria-label="Profile menu"')
    return html[start : html.index("</nav>", start)]


@pytest.mark.parametrize("program", ["ipma-hr", "ihmm"])
def test_members_of_programs_without_them_see_neither_link(client, program):
    declaration = get_program(program)
    assert not declaration.offers_extensions and not declaration.offers_reinstatement
    user = UserFactory()
    CredentialFactory(holder=user, program=program, designation=next(iter(declaration.credentials)))
    html = menu(client, user)
    assert "Extension request" not in html
    assert "Reinstatement" not in html
    assert "Certificates and badges" in html


def test_a_namss_member_sees_both_links(client):
    declaration = get_program("namss")
    assert declaration.offers_extensions and declaration.offers_reinstatement
    user = UserFactory()
    CredentialFactory(holder=user, program="namss", designation="CPCS")
    html = menu(client, user)
    assert "Extension request" in html
    assert "Reinstatement" in html


def test_a_member_with_a_namss_credential_among_others_sees_both_links(client):
    user = UserFactory()
    CredentialFactory(holder=user, program="ipma-hr", designation="IPMA-SCP")
    CredentialFactory(holder=user, program="namss", designation="CPCS")
    html = menu(client, user)
    assert "Extension request" in html
    assert "Reinstatement" in html


@pytest.mark.parametrize("program", ["ipma-hr", "ihmm"])
def test_a_lapsed_member_of_any_program_finds_the_paper_report_route(client, program):
    declaration = get_program(program)
    user = UserFactory()
    CredentialFactory(
        holder=user,
        program=program,
        designation=next(iter(declaration.credentials)),
        status="lapsed",
    )
    html = menu(client, user)
    assert "Reinstatement" in html
    assert "Extension request" not in html


def test_a_credential_of_an_unknown_program_does_not_break_the_menu(client):
    user = UserFactory()
    CredentialFactory(holder=user, program="ipma-hr", designation="IPMA-SCP")
    CredentialFactory(holder=user, program="ihmm", designation="CHMM")
    user.credentials.filter(program="ihmm").update(program="retired-program")
    client.force_login(user)
    response = client.get("/profile/")
    assert response.status_code == 200
    assert "Certificates and badges" in response.content.decode()


@pytest.mark.parametrize("program", ["namss", "ihmm"])
def test_the_membership_page_is_offered_only_where_a_program_counts_membership(client, program):
    declaration = get_program(program)
    assert not any(k.auto_from.startswith("membership:") for k in declaration.kinds)
    user = UserFactory()
    CredentialFactory(holder=user, program=program, designation=next(iter(declaration.credentials)))
    assert ">Membership</a>" not in menu(client, user)
    ipma = UserFactory()
    CredentialFactory(holder=ipma, program="ipma-hr", designation="IPMA-SCP")
    assert ">Membership</a>" in menu(client, ipma)
