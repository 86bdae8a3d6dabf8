"""What "Counts toward" controls, on the entry form and on the edit form (defect 8 b and c).

An entry counts toward reports. IPMA-HR designations (and NAMSS credentials on different cycles)
each have their own report, so the member chooses per credential. A NAMSS dual certificant's
CPCS and CPMSM share ONE report with one requirement (45 credits, 25 NAMSS approved): an entry
in it counts for both, so the form offers them as one choice and never "CPCS alone".
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditLog
from recertification import services
from recertification.models import Entry, Report
from tests.factories import CredentialFactory

from .helpers import group_of, shown_total, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"


def edit_url(entry) -> str:
    return f"/recertification/entries/{entry.pk}/edit/"


def namss_values(day=dt.date(2025, 9, 15), credits="6", approved=True) -> dict:
    return {
        "kind": "namss.ce",
        "date": day,
        "year": None,
        "quantity": Decimal(credits),
        "organization": "",
        "group": "",
        "approved": approved,
    }


NAMSS_DETAILS = {"title": "Credentialing webinar", "provider": "NAMSS", "location": "Online"}


@pytest.fixture
def dual(member, credential_for):
    """A NAMSS dual certificant: CPCS and CPMSM on the same cycle, so one shared report."""
    cpcs = credential_for("namss", "CPCS")
    cpmsm = credential_for("namss", "CPMSM")
    services.reports_ensure_open(member=member)
    assert Report.objects.get(member=member).designations == "CPCS + CPMSM"
    return cpcs, cpmsm


@pytest.fixture
def two_designations(member, credential_for):
    """An IPMA-HR member with two designations: two reports."""
    scp = credential_for("ipma-hr", "IPMA-SCP")
    cp = credential_for("ipma-hr", "IPMA-CP")
    services.reports_ensure_open(member=member)
    return scp, cp


def checkboxes(html: str, key: str) -> dict[str, bool]:
    """The "Counts toward" checkboxes of a form: value -> ticked."""
    found = {}
    for tag in re.findall(rf'<input[^>]*name="{re.escape(key)}-credentials"[^>]*>', html):
        value = re.search(r'value="([^"]+)"', tag).group(1)
        found[value] = bool(re.search(r"\schecked\b", tag))
    return found


def checkbox_values(html: str, key: str) -> list[str]:
    return list(checkboxes(html, key))


# --- (b) the entry form ----------------------------------------------------------------------


def test_a_dual_certificant_is_offered_one_choice_for_the_shared_report(client, member, dual):
    cpcs, cpmsm = dual
    client.force_login(member)
    html = client.get(PORTAL).content.decode()
    key = group_of("namss.ce").key
    assert checkbox_values(html, key) == [f"{cpcs.pk}+{cpmsm.pk}"]
    assert "CPCS (cycle ends 12/01/2026) and CPMSM (cycle ends 12/01/2026)" in html
    assert "CPCS and CPMSM are recertified together on one report" in html


def test_unticking_cpmsm_does_not_count_the_entry_for_cpmsm(client, member, dual):
    """The walk-through: CPCS ticked, CPMSM unticked (the form as it was). The shared report counts
    for both, so the entry is refused with the reason, not silently counted for CPMSM."""
    cpcs, _cpmsm = dual
    client.force_login(member)
    client.get(PORTAL)
    group = group_of("namss.ce")
    data = valid_post(group, dt.date(2025, 9, 15))
    data[f"{group.key}-credentials"] = [str(cpcs.pk)]
    response = client.post(PORTAL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "it cannot count toward CPCS alone" in html
    assert Entry.objects.count() == 0


def test_the_shared_choice_counts_the_entry_once_for_both(client, member, dual):
    cpcs, cpmsm = dual
    client.force_login(member)
    group = group_of("namss.ce")
    data = valid_post(group, dt.date(2025, 9, 15), quantity="6")
    data[f"{group.key}-credentials"] = [f"{cpcs.pk}+{cpmsm.pk}"]
    html = client.post(PORTAL, data, follow=True).content.decode()
    entry = Entry.objects.get()
    assert [r.designations for r in entry.reports.all()] == ["CPCS + CPMSM"]
    assert shown_total(html, "CPCS + CPMSM") == "6"


def test_the_service_never_counts_an_entry_toward_an_unchosen_credential(member, dual):
    cpcs, _cpmsm = dual
    with pytest.raises(ValidationError) as caught:
        services.entry_create(
            member=member,
            program_code="namss",
            values=namss_values(),
            details=NAMSS_DETAILS,
            credentials=[cpcs],
        )
    assert "cannot count toward CPCS alone" in " ".join(caught.value.messages)
    assert Entry.objects.count() == 0


def test_credentials_on_separate_reports_are_chosen_one_by_one(client, member, credential_for):
    """A NAMSS certificant whose CPMSM was earned mid-cycle (its own cycle): two reports, so
    unticking CPMSM really keeps the entry out of the CPMSM report."""
    cpcs = credential_for("namss", "CPCS")
    cpmsm = CredentialFactory(
        holder=member,
        program="namss",
        designation="CPMSM",
        certified_since=dt.date(2024, 6, 10),
        cycle_start=dt.date(2024, 6, 10),
        cycle_end=dt.date(2027, 12, 1),
    )
    client.force_login(member)
    html = client.get(PORTAL).content.decode()
    group = group_of("namss.ce")
    assert sorted(checkbox_values(html, group.key)) == sorted([str(cpcs.pk), str(cpmsm.pk)])
    data = valid_post(group, dt.date(2025, 9, 15), quantity="6")
    data[f"{group.key}-credentials"] = [str(cpcs.pk)]
    html = client.post(PORTAL, data, follow=True).content.decode()
    assert shown_total(html, "CPCS") == "6"
    assert shown_total(html, "CPMSM") == "0"


# --- (c) the edit form -----------------------------------------------------------------------


def entry_in(member, credentials, **values) -> Entry:
    return services.entry_create(
        member=member,
        program_code=credentials[0].program,
        values={
            "kind": "ipma.pd.full_day",
            "date": dt.date(2024, 3, 5),
            "year": None,
            "quantity": Decimal(2),
            "organization": "",
            "group": "",
            "approved": False,
            **values,
        },
        details={"title": "HR Academy", "sponsor": "IPMA-HR"},
        credentials=credentials,
    )


def edit_post(entry, credentials: list[str], **changes) -> dict:
    group = group_of(entry.kind)
    data = valid_post(group, entry.date, kind=entry.kind, quantity=str(int(entry.quantity)))
    data.pop("form")
    data.update({f"{group.key}-{k}": v for k, v in changes.items()})
    data[f"{group.key}-credentials"] = credentials
    return data


def test_the_edit_form_shows_counts_toward_with_the_entrys_reports_ticked(
    client, member, two_designations
):
    scp, cp = two_designations
    entry = entry_in(member, [scp])
    client.force_login(member)
    html = client.get(edit_url(entry)).content.decode()
    assert "Counts toward" in html
    key = group_of(entry.kind).key
    assert sorted(checkbox_values(html, key)) == sorted([str(scp.pk), str(cp.pk)])
    assert checkboxes(html, key) == {str(scp.pk): True, str(cp.pk): False}


def test_ticking_another_designation_on_edit_counts_the_entry_there_too(
    client, member, two_designations
):
    scp, cp = two_designations
    entry = entry_in(member, [scp])
    client.force_login(member)
    response = client.post(edit_url(entry), edit_post(entry, [str(scp.pk), str(cp.pk)]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(r.designations for r in entry.reports.all()) == ["IPMA-CP", "IPMA-SCP"]
    html = client.get(PORTAL).content.decode()
    assert shown_total(html, "IPMA-SCP") == "6"
    assert shown_total(html, "IPMA-CP") == "6"
    log = AuditLog.objects.filter(action="updated").get()
    assert len(log.before["reports"]) == 1 and len(log.after["reports"]) == 2


def test_unticking_a_designation_on_edit_takes_the_entry_out_of_its_report(
    client, member, two_designations
):
    scp, cp = two_designations
    entry = entry_in(member, [scp, cp])
    client.force_login(member)
    response = client.post(edit_url(entry), edit_post(entry, [str(cp.pk)]))
    assert response.status_code == 302
    assert [r.designations for r in entry.reports.all()] == ["IPMA-CP"]
    html = client.get(PORTAL).content.decode()
    assert shown_total(html, "IPMA-SCP") == "0"
    assert shown_total(html, "IPMA-CP") == "6"


def test_editing_without_any_designation_is_refused(client, member, two_designations):
    scp, _cp = two_designations
    entry = entry_in(member, [scp])
    client.force_login(member)
    response = client.post(edit_url(entry), edit_post(entry, []))
    assert response.status_code == 200
    assert "Choose at least one certification" in response.content.decode()
    assert [r.designations for r in entry.reports.all()] == ["IPMA-SCP"]


def test_an_entry_cannot_be_moved_into_a_report_that_has_met_its_requirement(
    client, member, two_designations
):
    """The same check as a new entry: a report at its requirement takes no new entries."""
    scp, cp = two_designations
    entry_in(member, [cp], quantity=Decimal(17), date=dt.date(2024, 5, 1))  # 51 points
    entry = entry_in(member, [scp])
    client.force_login(member)
    response = client.post(edit_url(entry), edit_post(entry, [str(scp.pk), str(cp.pk)]))
    assert response.status_code == 200
    assert "You have reached the 50 points required for IPMA-CP" in response.content.decode()
    assert [r.designations for r in entry.reports.all()] == ["IPMA-SCP"]


def test_an_entry_cannot_be_moved_into_a_submitted_report(client, member, two_designations):
    """A submitted report is not offered; the service refuses it all the same."""
    scp, cp = two_designations
    entry = entry_in(member, [scp])
    Report.objects.filter(credentials=cp).update(
        status=Report.Status.SUBMITTED, submitted_at=timezone.now()
    )
    client.force_login(member)
    html = client.get(edit_url(entry)).content.decode()
    assert "IPMA-CP (cycle ends" not in html
    with pytest.raises(ValidationError) as caught:
        services.entry_update(
            entry=entry,
            values={
                "kind": entry.kind,
                "date": entry.date,
                "year": None,
                "quantity": entry.quantity,
                "organization": "",
                "group": "",
                "approved": False,
            },
            details=entry.details,
            credentials=[scp, cp],
        )
    assert "can no longer be changed" in " ".join(caught.value.messages)
    assert [r.designations for r in entry.reports.all()] == ["IPMA-SCP"]


def test_the_edit_form_of_a_dual_certificant_keeps_the_shared_report(client, member, dual):
    cpcs, cpmsm = dual
    entry = services.entry_create(
        member=member,
        program_code="namss",
        values=namss_values(),
        details=NAMSS_DETAILS,
        credentials=[cpcs, cpmsm],
    )
    client.force_login(member)
    html = client.get(edit_url(entry)).content.decode()
    key = group_of("namss.ce").key
    assert checkbox_values(html, key) == [f"{cpcs.pk}+{cpmsm.pk}"]
    data = valid_post(group_of("namss.ce"), entry.date, title="Credentialing webinar")
    data.pop("form")
    data[f"{key}-credentials"] = [str(cpcs.pk)]
    response = client.post(edit_url(entry), data)
    assert response.status_code == 200
    assert "cannot count toward CPCS alone" in response.content.decode()
    data[f"{key}-credentials"] = [f"{cpcs.pk}+{cpmsm.pk}"]
    assert client.post(edit_url(entry), data).status_code == 302
    entry.refresh_from_db()
    assert entry.details["title"] == "Credentialing webinar"
    assert [r.designations for r in entry.reports.all()] == ["CPCS + CPMSM"]
