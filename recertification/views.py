"""Recertification pages: the portal, the detailed summary, uploads, submission, and the public rules.

Views are thin: fetch through the owner (404 otherwise), call one service, redirect.
"""

from __future__ import annotations

import csv
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.page_cache import member_page

from . import help as program_help
from . import opening, pages, rules, selectors, services
from .forms import SubmissionForm, entry_edit_form
from .models import EntryFile
from .transcript import render_transcript

logger = logging.getLogger(__name__)

# Shown when the database fails in the middle of a change: the service's transaction rolled back.
NOT_SAVED = (
    "We could not save this just now because of a problem on our side. Nothing was changed: "
    "please try again in a few minutes."
)
NOT_SUBMITTED = (
    "We could not record your submission just now because of a problem on our side. Your report "
    "was not submitted and no invoice was issued. Please try again in a few minutes."
)


def rules_index(request):
    return render(request, "recertification/rules_index.html", {"programs": rules.programs()})


def _program_or_404(code: str) -> rules.Program:
    try:
        return rules.get_program(code)
    except (KeyError, ValueError):
        raise Http404("No such program") from None


def rules_reference(request, program: str):
    declaration = _program_or_404(program)
    year = timezone.localdate().year
    return render(
        request,
        "recertification/rules_reference.html",
        {
            "program": declaration,
            "programs": rules.programs(),
            "renewal_year": year,
            "calendar": program_help.renewal_calendar(declaration, year),
            "fees": program_help.fee_list(declaration, program_help.staff_fees(declaration)),
        },
    )


def rules_help(request, program: str):
    """The program's questions and answers, from the same declaration and fees as its rules page."""
    declaration = _program_or_404(program)
    year = timezone.localdate().year
    return render(
        request,
        "recertification/help.html",
        {
            "program": declaration,
            "programs": rules.programs(),
            "renewal_year": year,
            "topics": program_help.help_topics(
                declaration, year=year, fees=program_help.staff_fees(declaration)
            ),
        },
    )


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _not_just_saved(request) -> str | None:
    """The portal's "Just saved" view is shown once: rendered afresh, never kept."""
    return None if "saved" in request.GET else ""


@login_required
@require_http_methods(["GET", "POST"])
@member_page("portal", vary=_not_just_saved)
def portal(request):
    if request.method == "POST":
        return _save_entry(request)
    saved = _id_or_none(request.GET.get("saved"))
    context = pages.portal_context(request.user, saved=saved)
    if context["reports_missing"]:  # opened when the credential changed: this is a safety net
        opening.reports_open_on_page_view(member=request.user)
        context = pages.portal_context(request.user, saved=saved)
    return render(request, "recertification/portal.html", context)


def _save_entry(request):
    """Save the posted entry, building only its own form; the whole portal page is built only to
    show why an entry was not saved, with the member's input kept."""
    bound_key = request.POST.get("form")
    files = request.FILES or None
    form = pages.posted_entry_form(request.user, request.POST, files, bound_key)
    stopped: Exception | None = None
    if form is not None and form.is_valid():
        try:
            entry = services.entry_create(
                member=request.user,
                program_code=form.group.program.code,
                values=form.scoring_values(),
                details=form.detail_values(),
                credentials=form.chosen_credentials(),
                files=form.cleaned_data.get("files") or [],
                repeat_of=form.confirmed_repeat(),
            )
        except (services.RepeatedEntry, ValidationError) as error:
            stopped = error
        except DatabaseError as error:
            # entry_create is one transaction: it rolled back, so nothing is half-saved.
            logger.exception("saving an entry failed for member %s", request.user.pk)
            stopped = error
        else:
            # The "Just saved" panel: the confirmation, the new totals and the entry together.
            return redirect(f"{reverse('recertification:portal')}?saved={entry.pk}#saved")
    context = pages.portal_context(
        request.user, data=request.POST, files=files, bound_key=bound_key
    )
    form = context["bound_form"]
    if form is None:
        messages.error(request, pages.closed_form_message(context["sections"]))
        return redirect("recertification:portal")
    if stopped is not None and form.is_valid():
        if isinstance(stopped, services.RepeatedEntry):
            _ask_to_repeat(request, form, stopped)
            return render(request, "recertification/portal.html", context)
        if isinstance(stopped, DatabaseError):
            form.add_error(None, NOT_SAVED)
            messages.error(request, NOT_SAVED)
            return render(request, "recertification/portal.html", context, status=503)
        _apply_errors(form, stopped)
    messages.error(request, "The entry was not saved. Please correct the fields marked below.")
    return render(request, "recertification/portal.html", context)


def _id_or_none(value) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _ask_to_repeat(request, form, repeat) -> None:
    """Show the repeat warning on the form, with its "Save it again" button."""
    form.repeat = {"message": repeat.message, "earlier": repeat.earlier.pk}
    messages.warning(
        request,
        "The entry was not saved yet: you already entered this activity. Save it again below "
        "only if you took part twice.",
    )


@login_required
@member_page("summary")
def summary(request):
    return render(request, "recertification/summary.html", pages.summary_context(request.user))


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, pk: int):
    entry = selectors.entry_to_edit(request.user, pk)
    choices = selectors.entry_report_choices(entry)
    reports = [r for r in choices if r.linked]
    years = pages.accepted_years(
        min(r.cycle_start for r in choices), max(r.cycle_end for r in choices)
    )
    form = entry_edit_form(
        entry, choices=choices, years=years, data=request.POST or None, files=request.FILES or None
    )
    group = form.group
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update(
                entry=entry,
                values=form.scoring_values(),
                details=form.detail_values(),
                files=form.cleaned_data.get("files") or [],
                credentials=form.chosen_credentials() if form.counts_toward_changed() else None,
                repeat_of=form.confirmed_repeat(),
            )
        except services.RepeatedEntry as repeat:
            _ask_to_repeat(request, form, repeat)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, pages.saved_message(request.user, entry, verb="updated"))
            return redirect("recertification:summary")
    return render(
        request,
        "recertification/entry_edit.html",
        {
            "form": form,
            "entry": entry,
            "group": group,
            "active": "summary",
            "editable": all(r.is_editable for r in reports),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_delete(request, pk: int):
    entry = selectors.entry_for_member(request.user, pk)
    kind = rules.get_program(entry.program).kind(entry.kind)
    if request.method == "POST":
        try:
            services.entry_delete(entry=entry)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"The {kind.short} entry was deleted.")
        return redirect("recertification:summary")
    return render(
        request,
        "recertification/entry_delete.html",
        {
            "entry": entry,
            "kind": kind,
            "name": selectors.entry_name(entry, kind),
            "active": "summary",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def uploads(request):
    context = pages.uploads_context(request.user)
    if request.method == "POST":
        entry = selectors.entry_for_member(request.user, _int(request.POST.get("entry")))
        files = request.FILES.getlist("files")
        try:
            saved = services.entry_files_add(entry=entry, files=files)
        except ValidationError as error:
            context["upload_errors"] = {entry.pk: error.messages}
            messages.error(request, "Nothing was uploaded. " + " ".join(error.messages))
        else:
            messages.success(
                request, f"Uploaded {len(saved)} file{'s' if len(saved) != 1 else ''}."
            )
            return redirect("recertification:uploads")
    return render(request, "recertification/uploads.html", context)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such entry") from None


@login_required
def file_download(request, pk: int):
    if request.user.is_staff and request.user.has_perm("recertification.view_entryfile"):
        record = get_object_or_404(EntryFile, pk=pk)
    else:
        record = selectors.file_for_member(request.user, pk)
    try:
        handle = record.file.open("rb")
    except OSError:
        raise Http404("The file is not available") from None
    response = FileResponse(
        handle, as_attachment=True, filename=record.original_name, content_type=record.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def file_delete(request, pk: int):
    record = selectors.file_for_member(request.user, pk)
    try:
        services.entry_file_delete(file=record)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{record.original_name}” was removed.")
    return redirect("recertification:uploads")


@login_required
@require_http_methods(["GET", "POST"])
def submit(request):
    if request.method == "POST":
        return _submit_posted(request)
    opening.reports_open_on_page_view(member=request.user)
    context = pages.submit_context(request.user)
    context["form"] = SubmissionForm(reports=context["submittable"], today=timezone.localdate())
    return render(request, "recertification/submit.html", context)


def _submit_posted(request):
    """Submit the posted report: the form is checked against the reports still taking changes
    (nothing scored here: the service scores the report once, under its lock, and says what is
    missing); the whole page is built only when the report was not submitted."""
    today = timezone.localdate()
    reports = selectors.editable_reports(request.user)
    form = SubmissionForm(request.POST, reports=reports, today=today)
    status = 200
    if form.is_valid():
        report = next(r for r in reports if r.pk == form.cleaned_data["report"])
        try:
            services.report_submit(
                report=report, member=request.user, agreed_on=form.cleaned_data["date_agreed"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        except DatabaseError:
            # report_submit and the invoice are one transaction: it rolled back as a whole, so
            # the report is still open and there is no invoice. The member can simply retry.
            logger.exception("submitting report %s failed", report.pk)
            form.add_error(None, NOT_SUBMITTED)
            status = 503
        else:
            messages.success(
                request,
                f"Your {report.designations} Recertification Report was submitted. Your invoice is under My Invoices.",
            )
            return redirect("payments:transactions")
    context = pages.submit_context(request.user)
    form.set_reports(context["submittable"])
    context["form"] = form
    return render(request, "recertification/submit.html", context, status=status)


@login_required
def report_csv(request, pk: int):
    report = selectors.report_for_member(request.user, pk)
    scored = selectors.scored_report(report)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = (
        f"recertification-{report.designations.replace(' + ', '-')}-{report.cycle_start:%Y%m%d}.csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "Category",
            "Kind",
            "Name",
            "Date",
            "Year",
            "Quantity",
            "Points claimed",
            "Points counted",
            "Reason",
            "Entered On",
            "Added automatically",
        ]
    )
    for row in pages.export_rows(scored):
        writer.writerow([_csv_safe(v) for v in row])
    return response


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    # A leading = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def report_transcript(request, pk: int):
    report = selectors.report_for_member(request.user, pk)
    scored = selectors.scored_report(report)
    pdf = render_transcript(scored, member=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="transcript-{report.pk}.pdf"'
    return response
