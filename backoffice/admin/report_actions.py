"""The decisions staff take on a report, shared by its page and the queue's bulk actions.

Each `ReportAction` names its permission, whether it needs a reason, what it does (shown on its
form) and the back-office function it calls, which locks, checks, logs and emails; `form_page`
renders the small form (with a reason where the member is affected) that comes before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db import transaction
from django.template.response import TemplateResponse

from recertification.models import Report

from ..audits import audit_clear, audit_fail, report_select_for_audit
from ..paper import paper_report_approve
from ..review import (
    APPROVABLE,
    RETURNABLE,
    approval_blocker,
    approval_check,
    early_approval_warning,
    report_approve,
    report_return,
    report_waive_fee,
)

S = Report.Status


@dataclass(frozen=True)
class ReportAction:
    name: str
    label: str
    permission: str  # codename in this app
    reason_required: bool
    explanation: str
    run: Callable[..., Report]

    def allowed(self, user) -> bool:
        return user.has_perm(f"recertification.{self.permission}")


def _approve(*, report: Report, actor, reason: str, early_confirmed: bool = False) -> Report:
    """Approve from the staff pages: a report approved already, or one far from the end of its
    cycle (unless confirmed with "Approve early"), is refused with the reason (skipped in bulk)."""
    with transaction.atomic():
        report = approval_check(report, early_confirmed=early_confirmed)
        if report.is_paper:
            return paper_report_approve(report=report, actor=actor, reason=reason)
        return report_approve(report=report, actor=actor, reason=reason)


def _approve_early(*, report: Report, actor, reason: str) -> Report:
    return _approve(report=report, actor=actor, reason=reason, early_confirmed=True)


ACTIONS: dict[str, ReportAction] = {
    a.name: a
    for a in [
        ReportAction(
            "approve",
            "Approve",
            "approve_report",
            False,
            "Approval renews the credential (a lapsed one is reinstated): status Renew, renewed "
            "today, the next cycle from the day after this one ends. The member is emailed and can "
            "enter points for the new cycle at once.",
            _approve,
        ),
        ReportAction(
            "approve_early",
            "Approve early",
            "approve_report",
            False,
            "Warning: this report's cycle is far from its end (before the program's application "
            "opens, or more than a year before the cycle ends; dates below). Approving now renews "
            "the credential early: status Renew, renewed today, and the next cycle starts the day "
            "after this one ends, as it would later. Approve only if that is intended.",
            _approve_early,
        ),
        ReportAction(
            "return",
            "Return for correction",
            "return_report",
            True,
            "The report opens again for the member, who is emailed this reason.",
            report_return,
        ),
        ReportAction(
            "waive_fee",
            "Waive fee",
            "waive_fee",
            True,
            "The open invoice is cancelled (a correction invoice records it) and the report goes "
            "on to review as if paid.",
            report_waive_fee,
        ),
        ReportAction(
            "select_audit",
            "Select for audit",
            "audit_report",
            True,
            "The member is asked for documents for each entry (“Audit: documents needed”) once "
            "the fee is paid.",
            report_select_for_audit,
        ),
        ReportAction(
            "clear_audit",
            "Clear audit",
            "audit_report",
            False,
            "Every entry must be accepted or rejected first; the accepted ones must still meet "
            "the requirement. The report goes back to review.",
            audit_clear,
        ),
        ReportAction(
            "fail_audit",
            "Fail audit",
            "audit_report",
            True,
            "The report is returned to the member, who is emailed this reason.",
            audit_fail,
        ),
    ]
}


def available_actions(report: Report, user, paid: bool) -> list[ReportAction]:
    """The buttons a report's page shows this user."""
    names = []
    if report.status in APPROVABLE:
        early = early_approval_warning(report) and not approval_blocker(report, paid=paid)
        names.append("approve_early" if early else "approve")
    if report.status in RETURNABLE:
        names.append("return")
    if report.status in RETURNABLE and not (report.fee_waived or paid):
        names.append("waive_fee")
    if report.status in APPROVABLE and not (
        report.selected_for_audit and report.audit_outcome == ""
    ):
        names.append("select_audit")
    if report.status == S.AUDIT:
        names += ["clear_audit", "fail_audit"]
    return [ACTIONS[n] for n in names if ACTIONS[n].allowed(user)]


def form_page(
    model_admin: admin.ModelAdmin, request, reports, form, title, explanation, **extra
) -> TemplateResponse:
    """The form before an action, for one report (its page) or several (a bulk action)."""
    return TemplateResponse(
        request,
        "admin/recertification/report/action.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": title,
            "reports": reports,
            "form": form,
            "explanation": explanation,
            **extra,
        },
    )
