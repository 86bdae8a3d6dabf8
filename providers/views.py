"""The provider area: /provider/ (docs/providers.md).

A provider's user sees and reports only for its own provider: every view is wrapped in
`access.provider_area` (signed in, linked to an active provider, 404 otherwise) and fetches
courses and tokens through `request.provider` (404 otherwise).

Views are thin: validate the form, call one service (`courses.course_create`/`course_update`,
`reporting.completions_report`, `tokens.token_create`/`token_revoke`), redirect with a message;
a refused form comes back on the same page with the input kept and each error on its field or
row. A roster is read by `roster.py`, kept in the storage between its preview and the provider's
decision, and reported all or nothing.
"""

from __future__ import annotations

import logging
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recertification import rules
from recertification.views import NOT_SAVED

from . import roster, tokens
from .access import course_of, provider_area, token_of
from .courses import course_create, course_update
from .forms import (
    CourseForm,
    RosterDecisionForm,
    RosterUploadForm,
    TokenForm,
    apply_row_errors,
    attendee_formset,
    filled_rows,
)
from .models import Completion, Course
from .reporting import ReportRefused, ReportResult, completions_report, course_problem

logger = logging.getLogger(__name__)

COURSES_PER_PAGE = 50
COMPLETIONS_PER_PAGE = 100
PREVIEW_ROWS_PER_PAGE = 200
PREVIEW_ERRORS_SHOWN = 1000
STATUSES = [s.value for s in Completion.Status]


def _page_number(request) -> str:
    return request.GET.get("page") or "1"


def _program_name(code: str) -> str:
    try:
        return rules.get_program(code).name
    except (KeyError, ValueError):
        return code


def _kind_of(course: Course) -> rules.Kind | None:
    try:
        return course.kind_rules
    except (KeyError, ValueError):
        return None


def _details(course: Course) -> list[tuple[str, str]]:
    """The course's kind's own fields, labelled as the program declares them."""
    kind = _kind_of(course)
    if kind is None:
        return list((course.details or {}).items())
    return [(spec.label, (course.details or {}).get(spec.name, "")) for spec in kind.course_fields]


def _counted(queryset):
    return queryset.annotate(
        **{
            status: Count("completions", filter=Q(completions__status=status))
            for status in STATUSES
        }
    )


# --- the dashboard -------------------------------------------------------------------------------


@provider_area
@require_GET
def dashboard(request):
    provider = request.provider
    courses = _counted(Course.objects.filter(provider=provider)).order_by("-starts_on", "-id")
    page = Paginator(courses, COURSES_PER_PAGE).get_page(_page_number(request))
    rows = [{"course": c, "program": _program_name(c.program), "kind": _kind_of(c)} for c in page]
    unmatched = Completion.objects.filter(
        provider=provider, status=Completion.Status.UNMATCHED
    ).count()
    context = {
        "provider": provider,
        "rows": rows,
        "page": page,
        "unmatched": unmatched,
        "active": "courses",
    }
    return render(request, "providers/dashboard.html", context)


# --- courses -------------------------------------------------------------------------------------


def _course_form_page(request, form, *, course=None, status=200):
    active = "courses" if course is not None else "new"
    context = {"provider": request.provider, "form": form, "course": course, "active": active}
    if course is not None:
        context["locked"] = course.completions.filter(
            status__in=[Completion.Status.ACCEPTED, Completion.Status.DECLINED]
        ).exists()
    return render(request, "providers/course_form.html", context, status=status)


@provider_area
@require_http_methods(["GET", "POST"])
def course_new(request):
    if request.method != "POST":
        return _course_form_page(request, CourseForm(provider=request.provider))
    form = CourseForm(request.POST, provider=request.provider)
    if form.is_valid():
        try:
            course = course_create(
                provider=request.provider, values=form.values(), actor=request.user
            )
        except ValidationError as error:
            form.apply_errors(error)
        except DatabaseError:
            logger.exception("creating a course failed for provider %s", request.provider.pk)
            form.add_error(None, NOT_SAVED)
            return _course_form_page(request, form, status=503)
        else:
            messages.success(request, f"Course “{course.title}” saved. Now add its attendees.")
            return redirect("providers:course", pk=course.pk)
    return _course_form_page(request, form)


@provider_area
@require_http_methods(["GET", "POST"])
def course_edit(request, pk: int):
    course = course_of(request, pk)
    if request.method != "POST":
        return _course_form_page(
            request, CourseForm(provider=request.provider, course=course), course=course
        )
    form = CourseForm(request.POST, provider=request.provider, course=course)
    if form.is_valid():
        try:
            course = course_update(course=course, values=form.values(), actor=request.user)
        except ValidationError as error:
            form.apply_errors(error)
        except DatabaseError:
            logger.exception("changing course %s failed", course.pk)
            form.add_error(None, NOT_SAVED)
            return _course_form_page(request, form, course=course, status=503)
        else:
            messages.success(request, f"Course “{course.title}” saved.")
            return redirect("providers:course", pk=course.pk)
    return _course_form_page(request, form, course=course)


def _rows_wanted(request) -> int:
    try:
        return min(max(int(request.GET.get("rows", 3)), 1), 50)
    except ValueError:
        return 3


def _course_page(request, course, *, formset=None, upload_form=None, status=200):
    completions = course.completions.order_by("-reported_at", "-id")
    shown = request.GET.get("status", "")
    if shown in STATUSES:
        completions = completions.filter(status=shown)
    page = Paginator(completions, COMPLETIONS_PER_PAGE).get_page(_page_number(request))
    counts = _counted(Course.objects.filter(pk=course.pk)).values(*STATUSES).get()
    context = {
        "provider": request.provider,
        "course": course,
        "program": _program_name(course.program),
        "kind": _kind_of(course),
        "problem": course_problem(provider=request.provider, course=course),
        "page": page,
        "counts": counts,
        "total": sum(counts.values()),
        "shown_status": shown if shown in STATUSES else "",
        "statuses": Completion.Status.choices,
        "formset": formset if formset is not None else attendee_formset(rows=_rows_wanted(request)),
        "more_rows": min(_rows_wanted(request) + 5, 50),
        "upload_form": upload_form or RosterUploadForm(),
        "max_attendees": f"{roster.MAX_ATTENDEES:,}",
        "details": _details(course),
        "active": "courses",
    }
    return render(request, "providers/course_detail.html", context, status=status)


@provider_area
@require_GET
def course_detail(request, pk: int):
    return _course_page(request, course_of(request, pk))


def _reported_message(result: ReportResult, left_out: list[int] | None = None) -> str:
    created, updated = result.count("created"), result.count("updated")
    unchanged = result.count("unchanged")
    parts = [
        f"{len(result.outcomes):,} attendee{'s' if len(result.outcomes) != 1 else ''} reported"
    ]
    detail = [f"{created:,} new"]
    if updated:
        detail.append(f"{updated:,} updated")
    if unchanged:
        detail.append(f"{unchanged:,} unchanged")
    detail.append(f"{result.matched:,} matched to a member and pending their review")
    detail.append(f"{result.unmatched:,} unmatched (the reason is listed below)")
    message = f"{parts[0]}: " + ", ".join(detail) + "."
    if left_out:
        message += (
            f" As you decided, {len(left_out):,} row{'s' if len(left_out) != 1 else ''} with "
            f"errors {'were' if len(left_out) != 1 else 'was'} left out (line"
            f"{'s' if len(left_out) != 1 else ''} {_lines_text(left_out)}): nothing of "
            f"{'them' if len(left_out) != 1 else 'it'} was saved."
        )
    return message


def _lines_text(lines: list[int], limit: int = 30) -> str:
    text = ", ".join(str(n) for n in lines[:limit])
    if len(lines) > limit:
        text += f" and {len(lines) - limit:,} more"
    return text


@provider_area
@require_POST
def attendees_add(request, pk: int):
    course = course_of(request, pk)
    formset = attendee_formset(request.POST)
    if formset.is_valid():
        rows = filled_rows(formset)
        if not rows:
            formset.non_form_errors().append("Fill in at least one attendee.")
        else:
            try:
                result = completions_report(
                    provider=request.provider,
                    course=course,
                    attendees=[row.attendee() for row in rows],
                    channel=Completion.Channel.FORM,
                    actor=request.user,
                )
            except ReportRefused as refused:
                apply_row_errors(formset, rows, refused.errors)
            except DatabaseError:
                logger.exception("reporting attendees of course %s failed", course.pk)
                formset.non_form_errors().append(NOT_SAVED)
                return _course_page(request, course, formset=formset, status=503)
            else:
                messages.success(request, _reported_message(result))
                return redirect(reverse("providers:course", args=[course.pk]) + "#completions")
    messages.error(
        request, "Nothing was saved. Please correct the attendees marked below and send them again."
    )
    return _course_page(request, course, formset=formset)


# --- the roster CSV ------------------------------------------------------------------------------


@provider_area
@require_POST
def roster_upload(request, pk: int):
    course = course_of(request, pk)
    form = RosterUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            upload = roster.store(provider=request.provider, course=course, data=form.data_bytes)
        except roster.RosterFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("providers:roster_preview", pk=course.pk, upload=upload)
    messages.error(request, "The roster was not read: see the reason at the upload form below.")
    return _course_page(request, course, upload_form=form)


def _stored_roster(request, course, upload: uuid.UUID, *, match: bool = True) -> roster.Roster:
    """The provider's kept upload for this course, read and previewed; 404 when there is none
    (another provider's or course's, already reported or discarded)."""
    data = roster.load(provider=request.provider, course=course, upload=upload)
    if data is None:
        raise Http404("No such upload")
    try:
        parsed = roster.parse_roster(data)
    except roster.RosterFileError:  # it was read at upload: only a changed limit gets here
        roster.discard(provider=request.provider, course=course, upload=upload)
        raise Http404("No such upload") from None
    roster.preview(provider=request.provider, course=course, rows=parsed.rows, match=match)
    return parsed


def _preview_page(request, course, upload, parsed, *, decision_form=None, status=200):
    roster.match_rows(course=course, rows=parsed.rows)  # when the confirmation left it out
    page = Paginator(parsed.rows, PREVIEW_ROWS_PER_PAGE).get_page(_page_number(request))
    bad = parsed.bad
    context = {
        "provider": request.provider,
        "course": course,
        "program": _program_name(course.program),
        "kind": _kind_of(course),
        "problem": course_problem(provider=request.provider, course=course),
        "upload": upload,
        "roster": parsed,
        "page": page,
        "bad": bad[:PREVIEW_ERRORS_SHOWN],
        "bad_count": len(bad),
        "bad_more": max(len(bad) - PREVIEW_ERRORS_SHOWN, 0),
        "good_count": len(parsed.rows) - len(bad),
        "bad_lines": ",".join(str(n) for n in parsed.bad_lines),
        "bad_lines_text": _lines_text(parsed.bad_lines),
        "updated": parsed.count("already reported: updated"),
        "unchanged": parsed.count("already reported: unchanged"),
        "decision_form": decision_form,
        "upload_form": RosterUploadForm(),
        "active": "courses",
    }
    return render(request, "providers/roster_preview.html", context, status=status)


@provider_area
@require_GET
def roster_preview(request, pk: int, upload: uuid.UUID):
    course = course_of(request, pk)
    parsed = _stored_roster(request, course, upload)
    return _preview_page(request, course, upload, parsed)


@provider_area
@require_POST
def roster_confirm(request, pk: int, upload: uuid.UUID):
    course = course_of(request, pk)
    # The rows' errors decide what may be reported; reporting matches the rows itself.
    parsed = _stored_roster(request, course, upload, match=False)
    form = RosterDecisionForm(request.POST)
    if not form.is_valid():
        form.add_error(None, "Choose what to report.")
        return _preview_page(request, course, upload, parsed, decision_form=form)
    decision = form.cleaned_data["decision"]
    bad_lines = parsed.bad_lines
    if decision == "all" and bad_lines:
        form.add_error(
            None,
            f"{len(bad_lines):,} row{'s' if len(bad_lines) != 1 else ''} of the file "
            f"{'have' if len(bad_lines) != 1 else 'has'} errors, so nothing was saved. Fix the "
            "file and upload it again, or report the good rows and leave those out.",
        )
        return _preview_page(request, course, upload, parsed, decision_form=form)
    if decision == "good":
        if form.lines() != bad_lines:
            form.add_error(
                None,
                "The rows with errors are no longer those you saw (the course or the "
                "completions already reported changed). Nothing was saved: look at them again.",
            )
            return _preview_page(request, course, upload, parsed, decision_form=form)
        if not form.cleaned_data["leave_out"]:
            form.add_error(
                "leave_out",
                "Tick the box to confirm that the rows with errors are left out, or fix the file "
                "and upload it again.",
            )
            return _preview_page(request, course, upload, parsed, decision_form=form)
    good = parsed.good
    if not good:
        form.add_error(None, "No row of the file can be reported: fix it and upload it again.")
        return _preview_page(request, course, upload, parsed, decision_form=form)
    try:
        result = completions_report(
            provider=request.provider,
            course=course,
            attendees=[row.attendee for row in good],
            channel=Completion.Channel.ROSTER,
            actor=request.user,
        )
    except ReportRefused as refused:
        for error in refused.errors:
            if 0 <= error.index < len(good):
                good[error.index].add_error(error.field, error.message)
            else:
                form.add_error(None, error.message)
        form.add_error(None, "Nothing was saved: see the rows with errors below.")
        return _preview_page(request, course, upload, parsed, decision_form=form)
    except DatabaseError:
        logger.exception("reporting a roster of course %s failed", course.pk)
        form.add_error(None, NOT_SAVED)
        return _preview_page(request, course, upload, parsed, decision_form=form, status=503)
    roster.discard(provider=request.provider, course=course, upload=upload)
    messages.success(request, _reported_message(result, bad_lines if decision == "good" else None))
    return redirect(reverse("providers:course", args=[course.pk]) + "#completions")


@provider_area
@require_POST
def roster_discard(request, pk: int, upload: uuid.UUID):
    course = course_of(request, pk)
    if roster.load(provider=request.provider, course=course, upload=upload) is None:
        raise Http404("No such upload")
    roster.discard(provider=request.provider, course=course, upload=upload)
    messages.info(request, "The uploaded roster was discarded: nothing was saved.")
    return redirect("providers:course", pk=course.pk)


# --- unmatched completions -----------------------------------------------------------------------


@provider_area
@require_GET
def unmatched(request):
    completions = (
        Completion.objects.filter(provider=request.provider, status=Completion.Status.UNMATCHED)
        .select_related("course")
        .order_by("-reported_at", "-id")
    )
    page = Paginator(completions, COMPLETIONS_PER_PAGE).get_page(_page_number(request))
    context = {"provider": request.provider, "page": page, "active": "unmatched"}
    return render(request, "providers/unmatched.html", context)


# --- API tokens ----------------------------------------------------------------------------------


def _tokens_page(request, form=None, status=200):
    context = {
        "provider": request.provider,
        "tokens": request.provider.tokens.order_by("-created_at", "-id"),
        "form": form or TokenForm(),
        "active": "tokens",
    }
    return render(request, "providers/tokens.html", context, status=status)


@provider_area
@require_http_methods(["GET", "POST"])
def token_list(request):
    if request.method != "POST":
        return _tokens_page(request)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = tokens.token_create(
                provider=request.provider, name=form.cleaned_data["name"], actor=request.user
            )
        except ValidationError as error:
            for name, messages_ in getattr(error, "message_dict", {"": error.messages}).items():
                form.add_error(name if name in form.fields else None, messages_)
        except DatabaseError:
            logger.exception("creating a token failed for provider %s", request.provider.pk)
            form.add_error(None, NOT_SAVED)
            return _tokens_page(request, form, status=503)
        else:
            # Shown on this page once: the raw token is stored nowhere, not even in the session.
            context = {"provider": request.provider, "token": token, "raw": raw, "active": "tokens"}
            return render(request, "providers/token_created.html", context)
    return _tokens_page(request, form)


@provider_area
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk: int):
    token = token_of(request, pk)
    if request.method != "POST":
        context = {"provider": request.provider, "token": token, "active": "tokens"}
        return render(request, "providers/token_revoke.html", context)
    if token.revoked_at is not None:
        messages.info(request, f"The token “{token.name}” was already revoked.")
        return redirect("providers:tokens")
    try:
        tokens.token_revoke(token=token, actor=request.user)
    except DatabaseError:
        logger.exception("revoking token %s failed", token.pk)
        messages.error(request, NOT_SAVED)
        return redirect("providers:tokens")
    messages.success(
        request, f"The token “{token.name}” is revoked: the API refuses it from now on."
    )
    return redirect("providers:tokens")
