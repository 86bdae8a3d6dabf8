"""Which staff records a program's automatic points come from: scoring reads only those."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recertification import rules


def test_each_program_names_the_records_its_automatic_kinds_come_from():
    assert rules.get_program("ipma-hr").auto_records == {"membership", "committee"}
    assert rules.get_program("namss").auto_records == frozenset()
    assert rules.get_program("ihmm").auto_records == frozenset()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("program", "reads_records"), [("ipma-hr", True), ("namss", False), ("ihmm", False)]
)
def test_the_portal_reads_staff_records_only_for_a_program_that_scores_them(
    client, credential_for, pages_rendered_afresh, program, reads_records
):
    credential = credential_for(program)
    client.force_login(credential.holder)
    client.get("/recertification/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/recertification/").status_code == 200
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert ("members_membershiprecord" in sql) is reads_records
    assert ("members_committeerecord" in sql) is reads_records
