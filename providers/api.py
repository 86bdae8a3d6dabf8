"""The providers' HTTP API under /api/v1/ (django-ninja); OpenAPI schema at /api/v1/openapi.json.

A provider's own system (a learning-management system, a registration system) sends its courses
and who completed them. Every request carries one of the provider's API tokens
(`Authorization: Bearer rp_…`, `tokens.token_for`); the provider is always the token's, and
another provider's course or completion is answered 404, like one that does not exist. Sessions
play no part: a signed-in browser without a token gets 401, so no CSRF token is needed either.

The views stay thin: the body is validated field by field by the schemas (`api_schemas.py`), and
the work is done by the same services as the provider area's (`courses.course_create`,
`course_update`, `reporting.completions_report`). Every error is JSON, `{"detail": …, "errors":
[{"field", "message", "index"}]}`, whoever found it (the schemas or the services).

Limits (settings, read at each request): PROVIDER_API_REQUESTS_PER_MINUTE per token (120), and
PROVIDER_API_AUTH_FAILURES_PER_MINUTE per client address for requests without a valid token (20;
past it the address gets 429 for a minute, whatever it sends, so tokens cannot be guessed fast).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer

from members.ratelimit import client_address, hit
from recertification import rules

from . import tokens
from .api_schemas import (
    CompletionOut,
    CompletionsIn,
    CompletionsOut,
    CourseIn,
    CourseOut,
    CoursePatch,
    ErrorOut,
    ProgramOut,
    course_values,
)
from .courses import course_create, course_update, reportable_kinds
from .models import ApiToken, Completion, Course, Provider
from .reporting import MAX_ATTENDEES, Attendee, ReportRefused, clean_text, completions_report

WINDOW_SECONDS = 60
PAGE_MAX = 500

DESCRIPTION = f"""\
The API a CE provider's own systems use to report its courses and who completed them.

**Authentication.** Every request sends one of the provider's API tokens as
`Authorization: Bearer rp_…`. A token is shown once when staff or the provider make it, is stored
only as a digest, can be revoked, and acts for its own provider only. A missing, wrong or revoked
token, or an inactive provider's, is answered 401. A course or completion of another provider is
answered 404.

**Reporting completions.** `POST /courses/{{id}}/completions` takes up to {MAX_ATTENDEES:,}
completions. Each is matched to a member by member number and last name (the email as a fallback);
what does not match stays with you as `unmatched` with the reason. A batch is all or nothing: when
one completion is wrong, nothing is saved and the answer (422) names each field at fault, e.g.
`completions[2].quantity`. Reporting the same `completion_id` again is idempotent: unchanged, it
is left as it is; changed before the member accepted or declined it, it is updated.

**Errors.** Every error is JSON: `{{"detail": "…", "errors": [{{"field": "…", "message": "…",
"index": null}}]}}`.

**Limits.** Requests per token per minute are limited (429 with `Retry-After`), and so are
requests without a valid token per client address.
"""

# --- authentication and rate limits --------------------------------------------------------------


def requests_per_minute() -> int:
    return int(getattr(settings, "PROVIDER_API_REQUESTS_PER_MINUTE", 120))


def auth_failures_per_minute() -> int:
    return int(getattr(settings, "PROVIDER_API_AUTH_FAILURES_PER_MINUTE", 20))


def _blocked_key(address: str) -> str:
    return "provider-api-blocked:" + hashlib.sha256(address.encode()).hexdigest()[:32]


class ProviderToken(HttpBearer):
    """`Authorization: Bearer rp_…`: the token (`request.auth`) of an active provider, or 401.

    A client address past its failed attempts is answered 429 before its token is looked at, for
    the rest of the window, so that a guess cannot be confirmed faster than the limit allows.
    """

    def __call__(self, request) -> ApiToken:
        address = client_address(request)
        if cache.get(_blocked_key(address)):
            raise Throttled(wait=WINDOW_SECONDS)
        scheme, _, raw = request.headers.get(self.header, "").partition(" ")
        token = self.authenticate(request, raw) if scheme.lower() == "bearer" else None
        if token is None:
            if not hit(
                "provider-api-auth-failure",
                address,
                limit=auth_failures_per_minute(),
                window_seconds=WINDOW_SECONDS,
            ):
                cache.set(_blocked_key(address), True, timeout=WINDOW_SECONDS)
                raise Throttled(wait=WINDOW_SECONDS)
            raise AuthenticationError(
                message="Send one of your API tokens as “Authorization: Bearer rp_…”; this one "
                "is missing, wrong or revoked."
            )
        if not hit(
            "provider-api-token",
            str(token.pk),
            limit=requests_per_minute(),
            window_seconds=WINDOW_SECONDS,
        ):
            raise Throttled(wait=WINDOW_SECONDS)
        return token

    def authenticate(self, request, token: str) -> ApiToken | None:
        return tokens.token_for(token)


api = NinjaAPI(
    title="Recertification Portal provider API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    # The interactive page loads its scripts from a CDN, which the site's Content-Security-Policy
    # refuses; the schema itself is served at /api/v1/openapi.json.
    docs_url=None,
    auth=ProviderToken(),
)


def _provider(request) -> Provider:
    return request.auth.provider


# --- the JSON error shape ----------------------------------------------------------------------


def _error(request, status: int, detail: str, errors: list[dict] | None = None, headers=None):
    response = api.create_response(
        request, {"detail": detail, "errors": errors or []}, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_name(location: list) -> tuple[str, int | None]:
    """A Pydantic error location as the field a client sent: ("completions[2].quantity", 2)."""
    name, index = "", None
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
            if name.startswith("completions[") and index is None:
                index = part
        else:
            name += f".{part}" if name else str(part)
    return name or "body", index


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    errors = []
    for error in exc.errors:
        location = list(error.get("loc", ()))
        if location and location[0] == "body":
            location = location[2:]  # "body" and the view's parameter name
        elif location:
            location = location[1:]  # "query" or "path"
        field, index = _field_name(location)
        errors.append({"field": field, "message": str(error.get("msg", "")), "index": index})
    return _error(request, 422, "Some fields are not valid; nothing was saved.", errors)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc: AuthenticationError):
    return _error(request, 401, str(exc), headers={"WWW-Authenticate": 'Bearer realm="api"'})


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    wait = str(exc.wait or WINDOW_SECONDS)
    return _error(
        request,
        429,
        f"Too many requests: try again in {wait} seconds.",
        headers={"Retry-After": wait},
    )


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _error(request, 404, "Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc: RequestDataTooBig):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(
        request,
        413,
        f"The request body is larger than {limit:,} bytes: send the completions in smaller batches.",
        [{"field": "body", "message": "Too large.", "index": None}],
    )


def _course_errors(error: DjangoValidationError) -> list[dict]:
    return [
        {"field": field, "message": " ".join(messages), "index": None}
        for field, messages in error.message_dict.items()
    ]


# --- programs ----------------------------------------------------------------------------------


@api.get("/programs", response=list[ProgramOut], summary="The programs you report to")
def programs(request):
    """Each program you report to with the kinds of activity you can report: the code to send as
    a course's `kind`, its unit, and the `details` each needs (with the choices of a choice)."""
    approved = {p.program: p.approved for p in _provider(request).programs.all()}
    return [
        {
            "code": program.code,
            "name": program.name,
            "approved": approved[program.code],
            "kinds": [
                {
                    "code": kind.code,
                    "label": kind.short,
                    "unit": kind.unit,
                    "unit_plural": kind.unit_plural,
                    "course_fields": [
                        {
                            "name": spec.name,
                            "label": spec.label,
                            "type": spec.type,
                            "required": spec.required,
                            "max_length": spec.max_length,
                            "choices": [code for code, _ in spec.choices],
                            "help_text": spec.help_text,
                        }
                        for spec in kind.course_fields
                    ],
                }
                for kind in reportable_kinds(program.code)
            ],
        }
        for program in rules.programs()
        if program.code in approved
    ]


# --- courses -----------------------------------------------------------------------------------


def _own_course(request, course_id: int) -> Course:
    return get_object_or_404(Course, provider=_provider(request), pk=course_id)


@api.get("/courses", response=list[CourseOut], summary="Your courses, newest first")
@paginate(LimitOffsetPagination, max_limit=PAGE_MAX)
def courses_list(request):
    return Course.objects.filter(provider=_provider(request))


@api.post("/courses", response={201: CourseOut, 422: ErrorOut}, summary="Create a course")
def courses_create(request, payload: CourseIn):
    try:
        course = course_create(provider=_provider(request), values=payload.model_dump())
    except DjangoValidationError as error:
        return Status(422, {"detail": "The course is not valid.", "errors": _course_errors(error)})
    return Status(201, course)


@api.get("/courses/{int:id}", response={200: CourseOut, 404: ErrorOut}, summary="One course")
def courses_detail(request, id: int):
    return _own_course(request, id)


def _update(request, id: int, values: dict):
    course = _own_course(request, id)
    try:
        course = course_update(course=course, values=course_values(course) | values)
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            return Status(
                422, {"detail": "The course is not valid.", "errors": _course_errors(error)}
            )
        return Status(409, {"detail": " ".join(error.messages), "errors": []})
    return Status(200, course)


CHANGED = {200: CourseOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@api.put("/courses/{int:id}", response=CHANGED, summary="Replace a course")
def courses_replace(request, id: int, payload: CourseIn):
    """Every field as for a new course; 409 once members accepted or declined its completions."""
    return _update(request, id, payload.model_dump())


@api.patch("/courses/{int:id}", response=CHANGED, summary="Change some of a course's fields")
def courses_change(request, id: int, payload: CoursePatch):
    """Only the fields sent change; 409 once members accepted or declined its completions."""
    return _update(request, id, payload.model_dump(exclude_unset=True))


# --- completions -------------------------------------------------------------------------------


def _refused_field(index: int, field: str) -> str:
    if index < 0:
        return "completions" if field == "attendees" else field
    return f"completions[{index}].{field}"


@api.post(
    "/courses/{int:id}/completions",
    response={200: CompletionsOut, 404: ErrorOut, 422: ErrorOut},
    summary="Report who completed a course",
)
def completions_post(request, id: int, payload: CompletionsIn):
    """All or nothing; idempotent on each `completion_id`. Each result says what became of it:
    created, updated or unchanged, pending the member's review or unmatched with the reason."""
    provider = _provider(request)
    course = _own_course(request, id)
    attendees = [
        Attendee(
            completion_id=item.completion_id,
            last_name=item.last_name,
            member_number=item.member_number or "",
            email=item.email or "",
            completed_on=item.completed_on,
            quantity=item.quantity,
        )
        for item in payload.completions
    ]
    try:
        result = completions_report(
            provider=provider,
            course=course,
            attendees=attendees,
            channel=Completion.Channel.API,
        )
    except ReportRefused as refused:
        errors = [
            {
                "field": _refused_field(e.index, e.field),
                "message": e.message,
                "index": e.index if e.index >= 0 else None,
            }
            for e in refused.errors
        ]
        return Status(
            422,
            {
                "detail": "Nothing was saved: some completions are not valid.",
                "errors": errors,
            },
        )
    return Status(
        200,
        {
            "created": result.count("created"),
            "updated": result.count("updated"),
            "unchanged": result.count("unchanged"),
            "matched": result.matched,
            "unmatched": result.unmatched,
            "results": [
                {
                    "completion_id": o.completion.completion_id,
                    "result": o.result,
                    "status": o.completion.status,
                    "unmatched_reason": o.completion.unmatched_reason,
                    "id": o.completion.pk,
                }
                for o in result.outcomes
            ],
        },
    )


@api.get("/completions", response=list[CompletionOut], summary="Your completions, newest first")
@paginate(LimitOffsetPagination, max_limit=PAGE_MAX)
def completions_list(
    request, status: Completion.Status | None = None, course: int | None = Query(None)
):
    """Filter by `status` (unmatched, pending, accepted, declined) and by `course` (its id)."""
    found = Completion.objects.filter(provider=_provider(request))
    if status is not None:
        found = found.filter(status=status)
    if course is not None:
        found = found.filter(course_id=course)
    return found


@api.get(
    "/completions/{path:completion_id}",
    response={200: CompletionOut, 404: ErrorOut},
    summary="One completion, by your completion id",
)
def completions_detail(request, completion_id: str):
    return get_object_or_404(
        Completion, provider=_provider(request), completion_id=clean_text(completion_id)
    )
