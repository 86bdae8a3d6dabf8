"""The provider area (/provider/): who gets in, that each provider sees only its own rows, and the
course, attendees and token pages (the roster's own tests: tests/providers/test_roster.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from core.models import AuditLog
from providers import roster
from providers.models import ApiToken, Completion, Course
from providers.reporting import NO_NUMBER_MATCH
from providers.tokens import token_create, token_for
from recertification import rules
from tests.factories import PASSWORD, StaffFactory
from tests.providers.factories import (
    CompletionFactory,
    CourseFactory,
    ProviderFactory,
    namss_member,
    provider_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2025, 6, 1, 12), tick=False):
        yield


@pytest.fixture
def world(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    a = ProviderFactory(name="Alpha Learning")
    b = ProviderFactory(name="Beta Seminars")
    a_course = CourseFactory(provider=a, on="namss", title="Alpha course")
    b_course = CourseFactory(provider=b, on="namss", title="Beta secret course")
    b_token, _ = token_create(provider=b, name="Beta LMS")
    b_upload = roster.store(provider=b, course=b_course, data=b"completion_id,last_name\nx,Y\n")
    return {
        "a": a,
        "b": b,
        "a_user": provider_user(a),
        "b_user": provider_user(b),
        "a_course": a_course,
        "b_course": b_course,
        "b_token": b_token,
        "b_upload": b_upload,
    }


def every_url(course_pk: int, token_pk: int, upload: uuid.UUID) -> list[tuple[str, str]]:
    """Every URL of the area with the method it answers (POSTs are sent empty)."""
    return [
        ("get", reverse("providers:dashboard")),
        ("get", reverse("providers:course_new")),
        ("post", reverse("providers:course_new")),
        ("get", reverse("providers:course", args=[course_pk])),
        ("get", reverse("providers:course_edit", args=[course_pk])),
        ("post", reverse("providers:course_edit", args=[course_pk])),
        ("post", reverse("providers:attendees_add", args=[course_pk])),
        ("post", reverse("providers:roster_upload", args=[course_pk])),
        ("get", reverse("providers:roster_preview", args=[course_pk, upload])),
        ("post", reverse("providers:roster_confirm", args=[course_pk, upload])),
        ("post", reverse("providers:roster_discard", args=[course_pk, upload])),
        ("get", reverse("providers:unmatched")),
        ("get", reverse("providers:tokens")),
        ("post", reverse("providers:tokens")),
        ("get", reverse("providers:token_revoke", args=[token_pk])),
        ("post", reverse("providers:token_revoke", args=[token_pk])),
    ]


def test_every_url_is_listed_here():
    """A URL added to providers/urls.py must join every_url (and so every test below)."""
    from providers.urls import urlpatterns

    listed = {url for _, url in every_url(1, 2, uuid.UUID(int=3))}
    names = {p.name for p in urlpatterns}
    assert len(names) == 12
    for name in names:
        kwargs = {"pk": 1, "upload": uuid.UUID(int=3)} if "roster_" in name else {}
        if name in ("course", "course_edit", "attendees_add", "roster_upload"):
            kwargs = {"pk": 1}
        if name == "token_revoke":
            kwargs = {"pk": 2}
        assert reverse(f"providers:{name}", kwargs=kwargs) in listed


def test_anonymous_is_sent_to_sign_in_everywhere(client, world):
    for method, url in every_url(world["b_course"].pk, world["b_token"].pk, world["b_upload"]):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("who", ["member", "staff", "inactive"])
def test_a_member_staff_or_an_inactive_providers_user_gets_404_everywhere(client, world, who):
    if who == "member":
        user = namss_member()
    elif who == "staff":
        user = StaffFactory(is_superuser=True)
    else:
        world["a"].is_active = False
        world["a"].save()
        user = world["a_user"]
    client.force_login(user)
    course = world["a_course"] if who == "inactive" else world["b_course"]
    for method, url in every_url(course.pk, world["b_token"].pk, world["b_upload"]):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (who, method, url)
    assert Course.objects.count() == 2 and ApiToken.objects.count() == 1


def test_provider_a_never_reaches_provider_bs_course_token_or_upload(client, world):
    client.force_login(world["a_user"])
    b_course, b_token, b_upload = world["b_course"], world["b_token"], world["b_upload"]
    own_lists = {
        reverse(f"providers:{name}") for name in ("dashboard", "course_new", "unmatched", "tokens")
    }
    checked = 0
    for method, url in every_url(b_course.pk, b_token.pk, b_upload):
        if url in own_lists:
            continue  # A's own area: below
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)
        checked += 1
    assert checked == 10
    # B's upload under A's own course: the stored name is built from A, so it is not found.
    a_course = world["a_course"]
    for name in ("roster_preview", "roster_confirm", "roster_discard"):
        url = reverse(f"providers:{name}", args=[a_course.pk, b_upload])
        method = "get" if name == "roster_preview" else "post"
        assert getattr(client, method)(url).status_code == 404, name
    assert roster.load(provider=world["b"], course=b_course, upload=b_upload) is not None
    b_token.refresh_from_db()
    assert b_token.revoked_at is None
    # A's lists show none of B's rows.
    CompletionFactory(course=b_course, member=None, status="unmatched", unmatched_reason="x")
    for url in (reverse("providers:dashboard"), reverse("providers:unmatched")):
        page = client.get(url).content.decode()
        assert "Beta secret course" not in page
    tokens_page = client.get(reverse("providers:tokens")).content.decode()
    assert "Beta LMS" not in tokens_page and b_token.prefix not in tokens_page


def test_the_dashboard_counts_each_courses_completions(client, world):
    course = world["a_course"]
    for status in ("pending", "pending", "accepted"):
        CompletionFactory(course=course, status=status)
    CompletionFactory(course=course, member=None, status="unmatched", unmatched_reason="why")
    client.force_login(world["a_user"])
    response = client.get(reverse("providers:dashboard"))
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert (row["course"].pending, row["course"].accepted, row["course"].unmatched) == (2, 1, 1)
    assert response.context["unmatched"] == 1
    assert reverse("providers:course_new") in response.content.decode()


# --- courses -------------------------------------------------------------------------------


def course_post(**overrides):
    data = {
        "program": "namss",
        "kind": "namss.ce",
        "title": "Privileging basics",
        "starts_on": "2025-04-01",
        "ends_on": "2025-04-02",
        "quantity": "3",
        "course_id": "PB-1",
        "detail__namss_ce__location": "Online",
    }
    data.update(overrides)
    return data


def test_a_course_is_created_with_its_kinds_own_field(client, world):
    client.force_login(world["a_user"])
    response = client.post(reverse("providers:course_new"), course_post())
    course = Course.objects.get(title="Privileging basics")
    assert response.status_code == 302
    assert response["Location"] == reverse("providers:course", args=[course.pk])
    assert course.provider == world["a"]
    assert course.details == {"location": "Online"}
    assert course.quantity == Decimal("3") and course.created_by == world["a_user"]


def test_the_course_form_offers_only_the_kinds_providers_may_report(client, world):
    client.force_login(world["a_user"])
    form = client.get(reverse("providers:course_new")).context["form"]
    kinds = {code for _, options in form.fields["kind"].choices[1:] for code, _ in options}
    reportable = {k.code for p in rules.programs() for k in p.kinds if k.reported is not None}
    every_kind = {k.code for p in rules.programs() for k in p.kinds}
    assert kinds == reportable and "namss.ce" in kinds
    assert len(every_kind - kinds) > 10  # the kinds only members enter are not offered
    assert {g["kind"].code for g in form.detail_groups} == {"namss.ce", "ihmm.training"}


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"quantity": "100"}, "quantity", "At most 45 credits"),
        ({"detail__namss_ce__location": ""}, "detail__namss_ce__location", "Give the location"),
        ({"ends_on": "2025-03-01"}, "ends_on", "cannot come before"),
        ({"kind": "ihmm.training"}, "kind", "Choose a kind of activity NAMSS lets"),
        ({"title": ""}, "title", "required"),
    ],
)
def test_course_errors_are_shown_on_their_fields_with_the_input_kept(
    client, world, overrides, field, words
):
    client.force_login(world["a_user"])
    response = client.post(reverse("providers:course_new"), course_post(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert words in " ".join(form.errors[field])
    assert form["course_id"].value() == "PB-1"
    assert 'value="PB-1"' in response.content.decode()
    assert not Course.objects.filter(title="Privileging basics").exists()


def test_another_kinds_fields_are_ignored_and_the_chosen_kinds_are_checked(client, world):
    client.force_login(world["a_user"])
    data = course_post(
        program="ihmm",
        kind="ihmm.training",
        quantity="4",
        **{"detail__ihmm_training__activity_type": "Webinar"},
    )
    client.post(reverse("providers:course_new"), data)
    course = Course.objects.get(title="Privileging basics")
    assert course.details == {"activity_type": "Webinar"}  # not NAMSS's location
    response = client.post(
        reverse("providers:course_new"),
        course_post(course_id="PB-2", program="ihmm", kind="ihmm.training", quantity="4"),
    )
    assert "Give the type of activity" in " ".join(
        response.context["form"].errors["detail__ihmm_training__activity_type"]
    )


def test_a_course_is_changed_and_a_used_course_id_is_refused(client, world):
    client.force_login(world["a_user"])
    course = world["a_course"]
    CourseFactory(provider=world["a"], course_id="TAKEN")
    url = reverse("providers:course_edit", args=[course.pk])
    assert client.get(url).context["form"]["title"].value() == "Alpha course"
    response = client.post(url, course_post(course_id="TAKEN"))
    assert "already have a course" in " ".join(response.context["form"].errors["course_id"])
    response = client.post(url, course_post(title="Alpha course, revised"))
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Alpha course, revised"


def test_a_course_members_acted_on_cannot_change(client, world):
    course = world["a_course"]
    CompletionFactory(course=course, status="declined", decline_reason="Not mine")
    client.force_login(world["a_user"])
    url = reverse("providers:course_edit", args=[course.pk])
    assert client.get(url).context["locked"] is True
    response = client.post(url, course_post(title="Changed"))
    assert response.status_code == 200
    assert "can no longer change" in " ".join(response.context["form"].non_field_errors())
    course.refresh_from_db()
    assert course.title == "Alpha course"


# --- attendees -----------------------------------------------------------------------------


def attendees_post(*rows, total=None):
    data = {
        "attendees-TOTAL_FORMS": str(total or len(rows)),
        "attendees-INITIAL_FORMS": "0",
        "attendees-MIN_NUM_FORMS": "0",
        "attendees-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"attendees-{i}-{name}"] = value
    return data


def test_attendees_are_reported_matched_or_unmatched_and_an_id_made_up(client, world):
    member = namss_member(last_name="Okafor")
    course = world["a_course"]
    client.force_login(world["a_user"])
    response = client.post(
        reverse("providers:attendees_add", args=[course.pk]),
        attendees_post(
            {"member_number": member.member_number, "last_name": "okafor"},
            {"completion_id": "mine-2", "member_number": "00000000", "last_name": "Nobody"},
            {},  # a blank row is ignored
        ),
    )
    assert response.status_code == 302
    matched = Completion.objects.get(member=member)
    assert matched.status == "pending" and matched.channel == "form"
    assert matched.completion_id.startswith("form-") and len(matched.completion_id) > 8
    unmatched = Completion.objects.get(completion_id="mine-2")
    assert unmatched.unmatched_reason == NO_NUMBER_MATCH
    page = client.get(response["Location"]).content.decode()
    assert NO_NUMBER_MATCH in page
    assert member.first_name not in page  # the matched member's name stays private


def test_one_bad_attendee_saves_nothing_and_its_row_shows_why(client, world):
    member = namss_member()
    course = world["a_course"]
    client.force_login(world["a_user"])
    response = client.post(
        reverse("providers:attendees_add", args=[course.pk]),
        attendees_post(
            {"member_number": member.member_number, "last_name": member.last_name},
            {"member_number": "123", "last_name": "Lee", "quantity": "9"},
        ),
    )
    assert response.status_code == 200
    assert not Completion.objects.exists()
    first, second = response.context["formset"].forms
    assert not first.errors
    assert "more than the course gives" in " ".join(second.errors["quantity"])
    assert second["last_name"].value() == "Lee"  # the input is kept
    assert "Nothing was saved" in response.content.decode()


def test_a_row_django_cannot_read_is_shown_on_its_field(client, world):
    client.force_login(world["a_user"])
    response = client.post(
        reverse("providers:attendees_add", args=[world["a_course"].pk]),
        attendees_post({"member_number": "1", "last_name": "Lee", "completed_on": "yesterday"}),
    )
    assert response.context["formset"].forms[0].errors["completed_on"]
    assert not Completion.objects.exists()


def test_an_empty_attendees_form_says_so(client, world):
    client.force_login(world["a_user"])
    response = client.post(
        reverse("providers:attendees_add", args=[world["a_course"].pk]), attendees_post({}, {})
    )
    assert "at least one attendee" in " ".join(response.context["formset"].non_form_errors())


def test_the_unmatched_list_shows_the_reason_and_links_the_course(client, world):
    course = world["a_course"]
    CompletionFactory(
        course=course, member=None, status="unmatched", unmatched_reason=NO_NUMBER_MATCH
    )
    CompletionFactory(course=course)  # pending: not listed
    client.force_login(world["a_user"])
    response = client.get(reverse("providers:unmatched"))
    assert len(response.context["page"].object_list) == 1
    page = response.content.decode()
    assert NO_NUMBER_MATCH in page
    assert reverse("providers:course", args=[course.pk]) in page


# --- tokens --------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_works_until_revoked(client, world):
    client.force_login(world["a_user"])
    response = client.post(reverse("providers:tokens"), {"name": "Our LMS"})
    assert response.status_code == 200
    raw = response.context["raw"]
    assert raw in response.content.decode()
    token = ApiToken.objects.get(name="Our LMS")
    assert token.provider == world["a"] and token_for(raw) == token
    listing = client.get(reverse("providers:tokens")).content.decode()
    assert "Our LMS" in listing and token.prefix in listing and raw not in listing
    confirm = client.get(reverse("providers:token_revoke", args=[token.pk]))
    assert "Revoke the token" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # the confirmation page changes nothing
    response = client.post(reverse("providers:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == world["a_user"]
    assert token_for(raw) is None
    assert AuditLog.objects.filter(action="revoked").exists()


def test_a_token_without_a_name_is_refused_on_the_field(client, world):
    client.force_login(world["a_user"])
    response = client.post(reverse("providers:tokens"), {"name": "  "})
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.filter(provider=world["a"]).exists()


def test_empty_posts_to_ones_own_pages_come_back_with_a_message(client, world):
    client.force_login(world["a_user"])
    course = world["a_course"]
    for name, args in (
        ("course_new", []),
        ("course_edit", [course.pk]),
        ("attendees_add", [course.pk]),
        ("roster_upload", [course.pk]),
        ("tokens", []),
    ):
        response = client.post(reverse(f"providers:{name}", args=args))
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "alert-danger" in page or "is-invalid" in page, name
    assert Course.objects.count() == 2 and not Completion.objects.exists()
    assert not ApiToken.objects.filter(provider=world["a"]).exists()


def test_a_provider_user_signing_in_lands_in_the_provider_area(client):
    provider = ProviderFactory()
    user = provider_user(provider, username="pat.provider")
    answer = client.post(
        reverse("login"), {"username": "pat.provider", "password": PASSWORD}, follow=True
    )
    assert answer.redirect_chain[-1][0] == reverse("providers:dashboard")
    page = answer.content.decode()
    assert "Provider area</a>" in page and '/recertification/"' not in page
    assert client.get("/").url == reverse("providers:dashboard")
    provider.is_active = False
    provider.save()
    client.logout()
    client.force_login(user)  # no sign-in signal: the session is not marked
    assert client.get("/").status_code == 200
