"""Corrections on a member's behalf (backoffice.corrections): the adjustments list, the form that
adjusts a report's counted points, and the member's own entry form filled in by staff."""

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
from members.models import User
from recertification import rules, selectors, services
from recertification.forms import EntryForm, form_groups
from recertification.models import PointsAdjustment, Report
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


def _entry_saved(request, member, program, form: EntryForm, reason: ReasonOnlyForm) -> bool:
    """Save the valid entry for the member; False with the refusal on the form otherwise."""
    if not (form.is_valid() and reason.is_valid()):
        return False
    try:
        corrections.entry_add_for_member(
            member=member,
            program_code=program.code,
            values=form.scoring_values(),
            details=form.detail_values(),
            credentials=form.chosen_credentials(),
            files=form.cleaned_data.get("files") or [],
            repeat_of=form.confirmed_repeat(),
            actor=request.user,
            reason=reason.cleaned_data["reason"],
        )
    except services.RepeatedEntry as repeat:
        form.add_error(None, str(repeat))
    except ValidationError as error:
        form.add_error(None, error.messages)
    else:
        return True
    return False
