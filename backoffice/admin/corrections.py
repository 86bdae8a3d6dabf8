"""Corrections on a member's behalf (backoffice.corrections): the adjustments list, the form that
adjusts a report's counted points, and the member's own entry form filled in by staff: a new
entry, or an existing one corrected (its form filled in with the entry)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from core.admin_helpers import ReadOnlyAdminMixin, reason_field
from core.formatting import format_date
from members.models import User
from recertification import rules, selectors, services
from recertification.entry_details import entry_pairs
from recertification.forms import EntryForm, entry_edit_form, form_groups
from recertification.models import Entry, PointsAdjustment, Report
from recertification.pages import accepted_years

from .. import corrections


class AdjustPointsForm(forms.Form):
    points = forms.DecimalField(
        label="Points to add (negative to take away)",
        max_digits=8,
        decimal_places=2,
        help_text="Added on top of the rules' total; the member sees it with the reason.",
    )
    reason = reason_field(help_text="The member reads this on the portal; kept in the history.")


class ReasonOnlyForm(forms.Form):
    reason = reason_field(help_text="Why you enter this for the member; kept in the history.")


@admin.register(PointsAdjustment)
class PointsAdjustmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "points", "reason", "made_by", "made_at"]
    list_select_related = ["report", "made_by"]
    search_fields = ["=report__member__member_number", "report__member__last_name", "reason"]
    ordering = ["-made_at"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "report/<int:pk>/",
                wrap(self.adjust_view),
                name="recertification_pointsadjustment_adjust",
            ),
            path(
                "member/<int:pk>/entry/",
                wrap(self.entry_view),
                name="recertification_pointsadjustment_entry",
            ),
            path(
                "entry/<int:pk>/correct/",
                wrap(self.entry_correct_view),
                name="recertification_pointsadjustment_correct",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, **context) -> TemplateResponse:
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, **context}
        return TemplateResponse(request, template, context)

    def _done(self, request, text: str, url_name: str, pk: int) -> HttpResponse:
        self.message_user(request, text, messages.SUCCESS)
        return redirect(url_name, pk)

    def adjust_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not corrections.can_correct(request.user):
            raise PermissionDenied
        report = get_object_or_404(Report.objects.select_related("member"), pk=pk)
        scored = selectors.scored_report(report)
        form = AdjustPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                corrections.points_adjust(
                    report=report,
                    points=form.cleaned_data["points"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self._done(
                    request,
                    "The points are adjusted.",
                    "admin:recertification_report_change",
                    report.pk,
                )
        return self._page(
            request,
            "admin/backoffice/adjust_points.html",
            title=f"Adjust the points of {report}",
            report=report,
            scored=scored,
            form=form,
        )

    def entry_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The member's entry form (the same fields and rules), filled in by staff with a reason."""
        if not corrections.can_correct(request.user):
            raise PermissionDenied
        member = get_object_or_404(User, pk=pk)
        accepting = [
            s for s in selectors.current_reports(member) if s.report.is_editable and not s.met
        ]
        groups = {
            group.key: (s.program, group)
            for s in accepting
            for group in form_groups(rules.get_program(s.program.code))
        }
        key = request.POST.get("group") or request.GET.get("group") or ""
        form = reason = None
        if key in groups:
            program, group = groups[key]
            form, reason = _entry_forms(request, program, group, accepting)
            if form.is_bound and _entry_saved(request, member, program, form, reason):
                return self._done(
                    request,
                    "The entry is saved for the member.",
                    "admin:members_user_change",
                    member.pk,
                )
        return self._page(
            request,
            "admin/backoffice/entry_for_member.html",
            title=f"Add an entry for {member.get_full_name() or member.username}",
            member=member,
            groups=[
                (k, f"{p.name}: {g.category.label} – {g.kinds[0].short}")
                for k, (p, g) in groups.items()
            ],  # fmt: skip
            key=key,
            form=form,
            reason_form=reason,
            total=sum((s.total for s in accepting), Decimal(0)),
        )

    def entry_correct_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """One of a member's entries on the member's own form, filled in with it, corrected by
        staff with a reason; refused (with the reason on the page) once its report is submitted."""
        if not corrections.can_correct(request.user):
            raise PermissionDenied
        entry = get_object_or_404(Entry.objects.select_related("member"), pk=pk)
        member = entry.member
        choices = selectors.entry_report_choices(entry)
        linked = [r for r in choices if r.linked]
        refusal = _correction_refusal(entry, linked)
        form = reason = None
        if refusal:
            if request.method == "POST":
                messages.error(request, f"The entry was not changed. {refusal}")
        else:
            data = request.POST if request.method == "POST" else None
            years = accepted_years(
                min(r.cycle_start for r in choices), max(r.cycle_end for r in choices)
            )
            form = entry_edit_form(entry, choices=choices, years=years, data=data)
            form.fields.pop("files", None)  # the entry keeps its files; the member manages them
            reason = ReasonOnlyForm(data)
            if form.is_bound and _entry_corrected(request, entry, form, reason):
                return self._done(
                    request,
                    "The entry is corrected for the member; the history names you and your reason.",
                    "admin:members_user_change",
                    member.pk,
                )
        kind = _kind(entry)
        return self._page(
            request,
            "admin/backoffice/entry_correct.html",
            title=f"Correct an entry of {member.get_full_name() or member.username}",
            member=member,
            entry=entry,
            kind=kind,
            pairs=entry_pairs(entry, rules.get_program(entry.program)) if kind else [],
            reports=linked,
            refusal=refusal,
            form=form,
            reason_form=reason,
        )


def _entry_forms(request, program, group, accepting) -> tuple[EntryForm, ReasonOnlyForm]:
    """The member's entry form for one group of kinds, over the reports of its program that take
    entries, and the reason form; bound on a POST."""
    mine = [s for s in accepting if s.program.code == program.code]
    credentials = sorted({c for s in mine for c in s.credentials}, key=lambda c: c.pk)
    years = accepted_years(
        min(s.report.cycle_start for s in mine), max(s.report.cycle_end for s in mine)
    )
    data = request.POST if request.method == "POST" else None
    form = EntryForm(
        data,
        request.FILES if data else None,
        group=group,
        credentials=credentials,
        reports=[list(s.credentials) for s in mine],
        years=years,
    )
    return form, ReasonOnlyForm(data)


def _correction_refusal(entry: Entry, linked: list[Report]) -> str:
    """Why the entry cannot be corrected here ("" when it can): as entry_update refuses it."""
    if not linked:
        return "The entry counts toward no report, so it cannot be corrected here."
    for report in linked:
        if not report.is_editable:
            when = f" on {format_date(report.submitted_at)}" if report.submitted_at else ""
            return (
                f"The entry belongs to report {report.pk}, submitted{when} "
                f"({report.get_status_display().lower()}); it can no longer be changed. Adjust "
                "the report's points instead, or return the report to the member first."
            )
    kind = _kind(entry)
    if kind is None or not kind.member_entry:
        return "Members cannot enter this kind of activity, so it cannot be corrected here."
    return ""


def _kind(entry: Entry) -> rules.Kind | None:
    try:
        return rules.get_program(entry.program).kind(entry.kind)
    except (KeyError, ValueError):
        return None


def _refused_on_form(form: EntryForm, save) -> bool:
    """Run ``save`` (the service, one transaction); True when it saved, else False with the
    refusal on the form: a repeat asks staff to confirm that the member took part twice."""
    try:
        save()
    except services.RepeatedEntry as repeat:
        form.repeat = {"message": repeat.message, "earlier": repeat.earlier.pk}
        form.add_error(None, repeat.message)
    except ValidationError as error:
        form.add_error(None, error.messages)
    else:
        return True
    return False


def _entry_corrected(request, entry: Entry, form: EntryForm, reason: ReasonOnlyForm) -> bool:
    """Correct the entry with the valid values; False with the refusal on the form otherwise
    (the service's one transaction leaves the entry as it was)."""
    if not (form.is_valid() and reason.is_valid()):
        return False
    return _refused_on_form(
        form,
        lambda: corrections.entry_correct_for_member(
            entry=entry,
            values=form.scoring_values(),
            details=form.detail_values(),
            credentials=form.chosen_credentials() if form.counts_toward_changed() else None,
            repeat_of=form.confirmed_repeat(),
            actor=request.user,
            reason=reason.cleaned_data["reason"],
        ),
    )


def _entry_saved(request, member, program, form: EntryForm, reason: ReasonOnlyForm) -> bool:
    """Save the valid entry for the member; False with the refusal on the form otherwise."""
    if not (form.is_valid() and reason.is_valid()):
        return False
    return _refused_on_form(
        form,
        lambda: corrections.entry_add_for_member(
            member=member,
            program_code=program.code,
            values=form.scoring_values(),
            details=form.detail_values(),
            credentials=form.chosen_credentials(),
            files=form.cleaned_data.get("files") or [],
            repeat_of=form.confirmed_repeat(),
            actor=request.user,
            reason=reason.cleaned_data["reason"],
        ),
    )
