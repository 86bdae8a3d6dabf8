import html

import pytest

from recertification import rules

pytestmark = pytest.mark.django_db


def test_the_list_of_programs_is_public(client):
    page = client.get("/rules/").content.decode()
    for program in rules.programs():
        assert f"/rules/{program.code}/" in page


@pytest.mark.parametrize("program", rules.programs(), ids=lambda p: p.code)
def test_each_program_page_is_rendered_from_its_declaration(client, program):
    response = client.get(f"/rules/{program.code}/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    for category in program.categories:
        assert category.label in page
    for kind in program.kinds:
        assert kind.label in page
        assert kind.points in page
        for cap in kind.cap_descriptions:
            assert cap in page
    for code in program.credentials:
        assert code in page


def test_an_unknown_program_is_404(client):
    assert client.get("/rules/no-such-program/").status_code == 404
