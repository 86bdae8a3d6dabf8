"""The providers' HTTP API (/api/v1/): tokens, ownership, courses, completions, errors, limits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from members.models import Credential, Notification, User
from providers.models import Completion, Course
from providers.reporting import MAX_ATTENDEES, NO_NUMBER_MATCH
from providers.tokens import token_create, token_revoke
from tests.factories import CredentialFactory, UserFactory
from tests.providers.factories import (
    CompletionFactory,
    CourseFactory,
    ProviderFactory,
    namss_member,
)
from tests.providers.factories import provider_user as make_provider_user
from tests.security.urlwalk import all_routes

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2025, 6, 1, 12), tick=False):
        yield


@pytest.fixture(autouse=True)
def _many_failures_allowed(settings):
    """Tests send many requests without a valid token from one address; the limit on failures
    is tested on its own (test_failed_tokens_are_limited_per_address_then_every_request_waits)."""
    settings.PROVIDER_API_AUTH_FAILURES_PER_MINUTE = 1000


class ApiClient:
    """Django's test client through every middleware, with CSRF checks on and a bearer token."""

    def __init__(self, raw: str | None, address: str = "127.0.0.1") -> None:
        self.client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
        self.headers = {"Authorization": f"Bearer {raw}"} if raw else {}

    def _send(self, method: str, path: str, body=None, **extra):
        kwargs = {"headers": self.headers, **extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(API + path, **kwargs)

    def get(self, path, **extra):
        return self._send("get", path, **extra)

    def post(self, path, body=None, **extra):
        return self._send("post", path, body, **extra)

    def put(self, path, body=None, **extra):
        return self._send("put", path, body, **extra)

    def patch(self, path, body=None, **extra):
        return self._send("patch", path, body, **extra)


def api_for(provider, name="LMS", **kwargs) -> ApiClient:
    _, raw = token_create(provider=provider, name=name)
    return ApiClient(raw, **kwargs)


@pytest.fixture
def acme():
    return ProviderFactory(name="Acme Learning", programs=["namss"])


@pytest.fixture
def other():
    return ProviderFactory(name="Other Learning", programs=["namss", "ihmm"])


@pytest.fixture
def course(acme):
    return CourseFactory(on="namss", provider=acme, course_id="ACME-1")


@pytest.fixture
def acme_api(acme):
    return api_for(acme)


def batch(*items):
    return {"completions": list(items)}


def item(completion_id, member=None, **kwargs):
    values = {"completion_id": completion_id}
    if member is not None:
        values |= {"member_number": member.member_number, "last_name": member.last_name}
    return values | kwargs


def assert_error_names(response, status, *fields):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    named = {e["field"] for e in body["errors"]}
    assert set(fields) <= named, named
    return body


# --- authentication --------------------------------------------------------------------------------


def every_url(course_pk: int, completion_id: str) -> list[tuple[str, str, dict | None]]:
    """Every URL of the API (but the schema), with a body its method takes."""
    new_course = {
        "program": "namss",
        "kind": "namss.ce",
        "title": "Any",
        "starts_on": "2025-03-04",
        "quantity": "1",
        "details": {"location": "Online"},
    }
    return [
        ("get", "/programs", None),
        ("get", "/courses", None),
        ("post", "/courses", new_course),
        ("get", f"/courses/{course_pk}", None),
        ("put", f"/courses/{course_pk}", new_course),
        ("patch", f"/courses/{course_pk}", {"title": "Changed"}),
        ("post", f"/courses/{course_pk}/completions", batch(item("z-1", last_name="Any"))),
        ("get", "/completions", None),
        ("get", f"/completions/{completion_id}", None),
    ]


def send(api: ApiClient, method: str, path: str, body):
    return getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)


def test_without_a_valid_token_every_url_is_401_json(acme, course):
    completion = CompletionFactory(course=course)
    revoked_token, revoked_raw = token_create(provider=acme, name="Old")
    token_revoke(token=revoked_token)
    clients = {
        "none": ApiClient(None),
        "wrong": ApiClient("rp_" + "x" * 43),
        "not bearer": ApiClient(None),
        "revoked": ApiClient(revoked_raw),
    }
    clients["not bearer"].headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    for name, api in clients.items():
        for method, path, body in every_url(course.pk, completion.completion_id):
            response = send(api, method, path, body)
            assert response.status_code == 401, (name, method, path)
            assert response["Content-Type"].startswith("application/json")
            assert response["WWW-Authenticate"].startswith("Bearer")
            assert "token" in response.json()["detail"]
    assert Course.objects.count() == 1
    assert course.title == Course.objects.get().title


def test_an_inactive_providers_token_is_refused(acme, acme_api):
    assert acme_api.get("/courses").status_code == 200
    acme.is_active = False
    acme.save()
    assert acme_api.get("/courses").status_code == 401


def test_a_signed_in_session_without_a_token_is_401_on_every_url(acme, course):
    completion = CompletionFactory(course=course)
    member = namss_member()
    staff_of_acme = make_provider_user(acme)
    for user in (member, staff_of_acme):
        api = ApiClient(None)
        api.client.force_login(user)
        assert api.client.session["_auth_user_id"] == str(user.pk)  # signed in on the site
        for method, path, body in every_url(course.pk, completion.completion_id):
            response = send(api, method, path, body)
            assert response.status_code == 401, (user, method, path)
    assert not Completion.objects.filter(completion_id="z-1").exists()


def test_a_token_needs_no_csrf_token_and_sets_no_cookie(acme_api, course):
    response = acme_api.patch(f"/courses/{course.pk}", {"title": "Renamed"})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed"
    assert not response.cookies


# --- ownership -------------------------------------------------------------------------------------


def test_another_providers_course_and_completion_are_404_on_every_url(acme_api, other):
    theirs = CourseFactory(on="namss", provider=other, title="Theirs")
    completion = CompletionFactory(course=theirs, completion_id="theirs-1")
    for method, path, body in every_url(theirs.pk, completion.completion_id):
        if path in ("/programs", "/courses", "/completions"):
            continue  # no id in the URL: the lists are tested below
        response = send(acme_api, method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["detail"] == "Not found."
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"
    assert list(Completion.objects.values_list("completion_id", flat=True)) == ["theirs-1"]


def test_lists_show_only_the_tokens_providers_rows(acme, acme_api, course, other):
    mine = CompletionFactory(course=course, completion_id="mine-1")
    theirs = CourseFactory(on="ihmm", provider=other)
    CompletionFactory(course=theirs, completion_id="theirs-1")
    courses = acme_api.get("/courses").json()
    assert [c["id"] for c in courses["items"]] == [course.pk] and courses["count"] == 1
    completions = acme_api.get("/completions").json()
    assert [c["id"] for c in completions["items"]] == [mine.pk]
    assert [p["code"] for p in acme_api.get("/programs").json()] == ["namss"]
    their_api = api_for(other)
    assert {p["code"] for p in their_api.get("/programs").json()} == {"namss", "ihmm"}
    assert [c["id"] for c in their_api.get("/courses").json()["items"]] == [theirs.pk]
    # the same completion id is each provider's own
    assert their_api.get("/completions/mine-1").status_code == 404
    assert acme_api.get("/completions/mine-1").json()["id"] == mine.pk


def test_a_token_acts_for_its_own_provider_even_on_the_same_course_id(acme, other):
    CourseFactory(on="namss", provider=other, course_id="SHARED")
    response = api_for(acme).post(
        "/courses",
        {
            "program": "namss",
            "kind": "namss.ce",
            "title": "Mine",
            "starts_on": "2025-03-04",
            "quantity": 1,
            "details": {"location": "Online"},
            "course_id": "SHARED",
        },
    )
    assert response.status_code == 201, response.content
    assert Course.objects.get(pk=response.json()["id"]).provider == acme


# --- programs and courses --------------------------------------------------------------------------


def test_programs_say_what_each_kind_needs(acme_api):
    (program,) = acme_api.get("/programs").json()
    assert program["code"] == "namss" and program["approved"] is False
    kinds = {k["code"]: k for k in program["kinds"]}
    fields = {f["name"]: f for f in kinds["namss.ce"]["course_fields"]}
    assert fields["location"]["required"] is True
    assert kinds["namss.ce"]["unit"]


def test_choices_of_a_choice_field_are_listed():
    provider = ProviderFactory(programs=["ihmm"])
    (program,) = api_for(provider).get("/programs").json()
    kind = next(k for k in program["kinds"] if k["code"] == "ihmm.training")
    activity = next(f for f in kind["course_fields"] if f["name"] == "activity_type")
    assert activity["type"] == "choice" and "Seminar" in activity["choices"]


def test_create_a_course_and_read_it_back(acme, acme_api):
    response = acme_api.post(
        "/courses",
        {
            "program": "namss",
            "kind": "namss.ce",
            "title": "Bylaws for MSPs",
            "starts_on": "2025-04-01",
            "ends_on": "2025-04-02",
            "quantity": "2.5",
            "details": {"location": "Denver, CO"},
            "course_id": "B-7",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    course = Course.objects.get(pk=created["id"])
    assert course.provider == acme and course.details == {"location": "Denver, CO"}
    assert created["course_id"] == "B-7" and created["quantity"] == "2.50"
    assert acme_api.get(f"/courses/{course.pk}").json() == created


def test_course_errors_name_each_field(acme_api, course):
    body = assert_error_names(
        acme_api.post(
            "/courses",
            {
                "program": "namss",
                "kind": "namss.ce",
                "title": " ",
                "starts_on": "2025-04-02",
                "ends_on": "2025-04-01",
                "quantity": "2",
                "details": {},
                "course_id": "ACME-1",
            },
        ),
        422,
        "title",
        "ends_on",
        "details.location",
        "course_id",
    )
    assert all(e["index"] is None for e in body["errors"])
    assert_error_names(
        acme_api.post("/courses", {"program": "ihmm", "kind": "x"}), 422, "title", "starts_on"
    )
    assert_error_names(
        acme_api.post(
            "/courses",
            {
                "program": "ihmm",
                "kind": "ihmm.training",
                "title": "T",
                "starts_on": "2025-04-01",
                "quantity": "1",
            },
        ),
        422,
        "program",
    )
    assert_error_names(
        acme_api.post(
            "/courses",
            {"program": "namss", "kind": "namss.ce", "title": "T", "starts_on": "April 1st"}
            | {"quantity": "lots", "colour": "red"},
        ),
        422,
        "starts_on",
        "quantity",
        "colour",
    )
    assert Course.objects.count() == 1


def test_put_replaces_and_patch_changes_some_fields(acme_api, course):
    response = acme_api.patch(f"/courses/{course.pk}", {"title": "Renamed", "quantity": 2})
    assert response.status_code == 200, response.content
    course.refresh_from_db()
    assert course.title == "Renamed" and course.details == {"location": "Chicago, IL"}
    assert course.course_id == "ACME-1"
    assert_error_names(
        acme_api.patch(f"/courses/{course.pk}", {"details": {}}), 422, "details.location"
    )
    replaced = {
        "program": "namss",
        "kind": "namss.ce",
        "title": "Replaced",
        "starts_on": "2025-03-05",
        "quantity": "1",
        "details": {"location": "Online"},
    }
    assert acme_api.put(f"/courses/{course.pk}", replaced).status_code == 200
    course.refresh_from_db()
    assert (course.title, course.course_id, course.ends_on) == ("Replaced", "", dt.date(2025, 3, 5))


def test_a_course_members_acted_on_cannot_change(acme_api, course):
    CompletionFactory(course=course, status=Completion.Status.DECLINED, decline_reason="Not me")
    response = acme_api.patch(f"/courses/{course.pk}", {"title": "Renamed"})
    assert response.status_code == 409
    assert "can no longer change" in response.json()["detail"]
    course.refresh_from_db()
    assert course.title != "Renamed"


# --- completions -----------------------------------------------------------------------------------


def test_a_batch_matches_what_it_can_and_says_why_not_for_the_rest(acme_api, course):
    member = namss_member(last_name="Okafor")
    by_email = namss_member(last_name="Lee", email="lee@example.org")
    response = acme_api.post(
        f"/courses/{course.pk}/completions",
        batch(
            item("a-1", member),
            item("a-2", member_number="99999999", last_name="LEE", email="Lee@Example.org"),
            item("a-3", member_number=member.member_number, last_name="Wrong", quantity=1),
        ),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["matched"], body["unmatched"]) == (3, 2, 1)
    results = {r["completion_id"]: r for r in body["results"]}
    assert results["a-1"]["status"] == "pending" and results["a-1"]["result"] == "created"
    assert results["a-3"] == {
        "completion_id": "a-3",
        "result": "created",
        "status": "unmatched",
        "unmatched_reason": NO_NUMBER_MATCH,
        "id": Completion.objects.get(completion_id="a-3").pk,
    }
    assert Completion.objects.get(completion_id="a-2").member == by_email
    assert Completion.objects.get(completion_id="a-1").channel == Completion.Channel.API
    assert Notification.objects.filter(member__in=[member, by_email]).count() == 2
    one = acme_api.get("/completions/a-3").json()
    assert (one["course"], one["quantity"], one["status"]) == (course.pk, "1.00", "unmatched")
    unmatched = acme_api.get("/completions", data={"status": "unmatched"}).json()
    assert [c["completion_id"] for c in unmatched["items"]] == ["a-3"]
    other_course = CourseFactory(on="namss", provider=course.provider)
    assert acme_api.get("/completions", data={"course": other_course.pk}).json()["count"] == 0
    assert_error_names(acme_api.get("/completions", data={"status": "lost"}), 422, "status")


def test_posting_the_same_ids_again_changes_nothing(acme_api, course):
    member = namss_member()
    sent = batch(item("r-1", member), item("r-2", last_name="Nobody", member_number="1"))
    first = acme_api.post(f"/courses/{course.pk}/completions", sent).json()
    again = acme_api.post(f"/courses/{course.pk}/completions", sent).json()
    assert [r["result"] for r in again["results"]] == ["unchanged", "unchanged"]
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert Completion.objects.count() == 2
    assert Notification.objects.filter(member=member).count() == 1
    changed = batch(item("r-1", member, quantity="1"))
    assert acme_api.post(f"/courses/{course.pk}/completions", changed).json()["updated"] == 1


def test_one_bad_completion_saves_nothing_and_names_its_field(acme_api, course):
    member = namss_member()
    body = assert_error_names(
        acme_api.post(
            f"/courses/{course.pk}/completions",
            batch(
                item("b-1", member),
                item("b-2", member),
                item("b-3", member, quantity="99"),
                item("b-4", last_name=" ", member_number="1", completed_on="2025-07-01"),
            ),
        ),
        422,
        "completions[2].quantity",
        "completions[3].last_name",
        "completions[3].completed_on",
    )
    assert {e["index"] for e in body["errors"]} == {2, 3}
    assert not Completion.objects.exists()
    assert not Notification.objects.exists()


def test_wrong_types_are_named_like_the_services_errors(acme_api, course):
    member = namss_member()
    body = assert_error_names(
        acme_api.post(
            f"/courses/{course.pk}/completions",
            batch(
                item("t-1", member),
                item("t-2", member, completed_on="yesterday"),
                item("t-3", member, quantity="two"),
                {"member_number": "1"},
            ),
        ),
        422,
        "completions[1].completed_on",
        "completions[2].quantity",
        "completions[3].completion_id",
        "completions[3].last_name",
    )
    assert {e["index"] for e in body["errors"]} == {1, 2, 3}
    assert_error_names(acme_api.post(f"/courses/{course.pk}/completions", {}), 422, "completions")
    assert_error_names(
        acme_api.post(f"/courses/{course.pk}/completions", batch()), 422, "completions"
    )
    too_many = batch(*[item(f"m-{i}", last_name="X", member_number="1") for i in range(10_001)])
    assert MAX_ATTENDEES == 10_000
    assert_error_names(acme_api.post(f"/courses/{course.pk}/completions", too_many), 422)
    assert not Completion.objects.exists()


def test_malformed_json_is_a_json_4xx(acme_api, course):
    response = acme_api.post(f"/courses/{course.pk}/completions", '{"completions": [')
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    response = acme_api.post(f"/courses/{course.pk}/completions", "[1, 2]")
    assert_error_names(response, 422, "body")
    assert not Completion.objects.exists()


def test_a_course_the_provider_no_longer_reports_for_is_named(acme, acme_api, course):
    acme.programs.all().delete()
    response = acme_api.post(
        f"/courses/{course.pk}/completions", batch(item("n-1", last_name="X", member_number="1"))
    )
    body = assert_error_names(response, 422, "course")
    assert body["errors"][0]["index"] is None


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The queries the code makes. Django splits one `bulk_create` into several INSERTs when the
    database bounds the parameters of a statement (SQLite: 999, so about 50 completions an
    INSERT; PostgreSQL does not split), so consecutive INSERTs into one table count as one."""
    made: list[str] = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("INSERT INTO "):
            sql = sql.split(" (", 1)[0]
            if made and made[-1] == sql:
                continue
        made.append(sql)
    return made


def test_queries_stay_the_same_for_1000_completions_as_for_10(acme_api, course):
    members = UserFactory.build_batch(1010, email_verified_at=None)
    for number, member in enumerate(members, start=20_000_000):
        member.member_number = str(
            number
        )  # drawn at random otherwise, and bulk_create can't redraw
    User.objects.bulk_create(members)
    Credential.objects.bulk_create(
        [
            CredentialFactory.build(
                holder=member,
                program="namss",
                designation="CPCS",
                cycle_start=dt.date(2023, 12, 2),
                cycle_end=dt.date(2026, 12, 1),
            )
            for member in members
        ]
    )
    # a tenth unmatched, so that both paths are counted
    items = [
        item(f"q-{i}", member) if i % 10 else item(f"q-{i}", last_name="Nobody", member_number="0")
        for i, member in enumerate(members)
    ]
    url = f"/courses/{course.pk}/completions"
    acme_api.get("/courses")  # the token's last use is written once, before counting
    with CaptureQueriesContext(connection) as few:
        small = acme_api.post(url, batch(*items[:10]))
    with CaptureQueriesContext(connection) as many:
        large = acme_api.post(url, batch(*items[10:]))
    assert small.status_code == large.status_code == 200
    assert (large.json()["created"], large.json()["unmatched"]) == (1000, 100)
    assert len(statements(many)) == len(statements(few))
    assert Completion.objects.filter(status=Completion.Status.PENDING).count() == 909


# --- limits ----------------------------------------------------------------------------------------


def test_each_token_is_rate_limited(settings, acme):
    settings.PROVIDER_API_REQUESTS_PER_MINUTE = 2
    first, second = api_for(acme), api_for(acme, name="Second system")
    assert [first.get("/courses").status_code for _ in range(2)] == [200, 200]
    response = first.get("/courses")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many requests" in response.json()["detail"]
    assert second.get("/courses").status_code == 200


def test_failed_tokens_are_limited_per_address_then_every_request_waits(settings, acme):
    settings.PROVIDER_API_AUTH_FAILURES_PER_MINUTE = 3
    _, raw = token_create(provider=acme, name="LMS")
    guesser = ApiClient("rp_" + "g" * 43, address="203.0.113.9")
    assert [guesser.get("/courses").status_code for _ in range(3)] == [401, 401, 401]
    assert guesser.get("/courses").status_code == 429
    same_address = ApiClient(raw, address="203.0.113.9")
    blocked = same_address.get("/courses")
    assert blocked.status_code == 429 and blocked["Retry-After"] == "60"
    assert ApiClient(raw, address="198.51.100.4").get("/courses").status_code == 200


def test_a_body_over_the_upload_limit_is_413_json(settings, acme_api, course):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    sent = batch(*[item(f"s-{i}", last_name="Someone", member_number="1") for i in range(50)])
    response = acme_api.post(f"/courses/{course.pk}/completions", sent)
    assert_error_names(response, 413, "body")
    assert not Completion.objects.exists()


# --- the schema ------------------------------------------------------------------------------------


def test_the_openapi_schema_is_served_with_every_path_and_the_bearer_scheme():
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] and schema["info"]["version"] == "1"
    assert "Bearer" in schema["info"]["description"]
    assert {
        f"{API}/programs",
        f"{API}/courses",
        f"{API}/courses/{{id}}",
        f"{API}/courses/{{id}}/completions",
        f"{API}/completions",
        f"{API}/completions/{{completion_id}}",
    } <= set(schema["paths"])
    (scheme,) = schema["components"]["securitySchemes"].values()
    assert scheme == {"type": "http", "scheme": "bearer"}
    assert set(schema["paths"][f"{API}/courses/{{id}}"]) == {"get", "put", "patch"}
    assert Client().get(f"{API}/docs").status_code == 404


def test_every_api_url_is_listed_in_every_url():
    """An endpoint added to providers/api.py must join every_url (and so the ownership tests)."""
    served = {r.route for r in all_routes() if r.is_api} - {"api/v1/openapi.json", "api/v1/"}
    listed = {resolve("/api/v1" + path).route for _, path, _ in every_url(1, "c-1")}
    assert served == listed
