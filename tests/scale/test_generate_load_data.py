"""`manage.py generate_load_data` at a tiny size: exact counts, valid entries, and a clean delete."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from members.models import Credential, User
from payments.models import Invoice
from recertification import rules
from recertification.models import Entry, EntryFile, Report, ReportCredential
from recertification.selectors import activity_for, scored_report
from recertification.services import entry_year_key

pytestmark = pytest.mark.django_db

MEMBERS, ENTRIES = 80, 2400


@pytest.fixture
def generated():
    call_command(
        "generate_load_data",
        members=MEMBERS,
        entries=ENTRIES,
        seed=5,
        heavy_fraction=0.05,
        force=True,
        verbosity=0,
    )


def test_it_refuses_a_production_database_without_force():
    # The test settings run with DEBUG=0, as production does.
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_load_data", members=1, entries=1, verbosity=0)
    assert not User.objects.exists()


def test_it_makes_exactly_the_sizes_asked_for(generated):
    members = User.objects.filter(username__startswith="load-", is_staff=False)
    assert members.count() == MEMBERS
    assert User.objects.filter(username="load-staff", is_superuser=True).exists()
    assert Entry.objects.count() == ENTRIES
    # Every entry counts toward exactly one report, of its own member and program.
    links = Entry.objects.annotate(n=Count("reports")).values_list("n", flat=True)
    assert set(links) == {1}
    assert not Entry.objects.exclude(reports__member=F("member")).exists()
    assert not Entry.objects.exclude(reports__program=F("program")).exists()
    # Every report has its credentials, and a credential has one report per cycle.
    assert not Report.objects.filter(report_credentials__isnull=True).exists()
    assert ReportCredential.objects.count() == len(
        set(ReportCredential.objects.values_list("credential_id", "cycle_start"))
    )


def test_the_mix_is_realistic(generated):
    programs = Counter(Credential.objects.values_list("program", flat=True))
    assert programs["ipma-hr"] > programs["namss"] > 0 and programs["ihmm"] > 0
    assert Report.objects.annotate(n=Count("credentials")).filter(n=2, program="namss").exists()
    statuses = set(Report.objects.values_list("status", flat=True))
    assert {"open", "approved"} <= statuses and statuses & {"payment_due", "in_review", "audit"}
    assert len(set(Credential.objects.values_list("status", flat=True))) >= 3
    sizes = sorted(Report.objects.annotate(n=Count("entries")).values_list("n", flat=True))
    assert sizes[-1] >= 5 * sizes[len(sizes) // 2]  # a few reports with very many entries
    assert EntryFile.objects.exists()
    assert Invoice.objects.filter(status="paid").exists()


def test_every_entry_is_valid_for_its_kind_and_its_report(generated):
    today = timezone.localdate()
    for entry in Entry.objects.prefetch_related("reports"):
        program = rules.get_program(entry.program)
        kind = program.kind(entry.kind)
        activity = activity_for(entry)
        rules.check_activity(program, activity)  # raises on a quantity the kind refuses
        assert kind.member_entry and kind.category == entry.category
        (report,) = entry.reports.all()
        if entry.date is not None:
            assert report.cycle_start <= entry.date <= min(report.cycle_end, today)
        else:
            assert report.cycle_start.year <= entry.year <= min(report.cycle_end.year, today.year)
        values = {
            name: getattr(activity, name)
            for name in ("kind", "date", "year", "quantity", "organization", "group", "approved")
        }
        assert entry.year_key == entry_year_key(program, values)


def test_submitted_reports_carry_the_engines_points(generated):
    submitted = Report.objects.exclude(status="open")
    assert submitted.exists()
    for report in submitted:
        scored = scored_report(report)  # entries and automatic membership points, as staff see
        assert report.submitted_at is not None
        assert (report.points_counted, report.points_required) == (scored.total, scored.required)
        assert report.snapshot["total"] == rules.format_decimal(scored.total)


def test_members_can_use_the_portal_with_the_generated_data(generated, client):
    member = (
        User.objects.filter(
            username__startswith="load-",
            credentials__status__in=Credential.OPEN_STATUSES,
            reports__status="open",
        )
        .order_by("pk")
        .first()
    )
    client.force_login(member)
    assert client.get("/recertification/").status_code == 200
    assert client.get("/recertification/summary/").status_code == 200
    assert client.get("/transactions/").status_code == 200


def test_delete_removes_everything_it_made(generated, staff):
    call_command("generate_load_data", delete=True, force=True, verbosity=0)

    assert not User.objects.filter(username__startswith="load-").exists()
    assert not Entry.objects.exists() and not Report.objects.exists()
    assert not Credential.objects.exists() and not Invoice.objects.exists()
    assert User.objects.filter(pk=staff.pk).exists()  # other accounts stay


def test_it_will_not_generate_twice_over_the_same_prefix(generated):
    with pytest.raises(CommandError, match="--delete"):
        call_command("generate_load_data", members=1, entries=1, force=True, verbosity=0)
    assert Entry.objects.count() == ENTRIES  # the first run's data is untouched
