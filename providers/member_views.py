"""The member's credits reported by CE providers: /recertification/reported/.

Views are thin: the completion is fetched through the member (404 otherwise), the posted form is
validated, one service is called (providers.acceptance), then a redirect with a message; a refused
form is shown again on the page with the member's input and the reason.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from recertification import pages, services
from recertification.models import Entry
from recertification.views import NOT_SAVED

from . import acceptance
from .forms_member import AcceptForm, DeclineForm
from .models import Completion
from .signin import in_provider_area

logger = logging.getLogger(__name__)


def member_only(view):
    """Signed in, and not a provider's account (a provider's users have no member pages)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if in_provider_area(request):  # marked at sign-in: no query on each page
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def _completion(request, pk: int) -> Completion:
    try:
        return acceptance.completion_for_member(request.user, pk)
    except Completion.DoesNotExist:
        raise Http404("No such reported credit") from None


def _page(request, *, bound_pk=None, accept_form=None, decline_form=None, status: int = 200):
    """The list: pending credits first, each with its forms (those of ``bound_pk`` as posted,
    with their errors), then the decided ones."""
    rows = []
    for credit in acceptance.pending_for(request.user):
        pk = credit.completion.pk
        accept = accept_form if accept_form is not None and pk == bound_pk else None
        decline = decline_form if decline_form is not None and pk == bound_pk else None
        rows.append(
            {
                "credit": credit,
                "accept_form": accept or AcceptForm(credit=credit),
                "decline_form": decline or DeclineForm(completion_pk=pk),
                "bound": pk == bound_pk,
            }
        )
    context = {
        "active": "portal",
        "pending": rows,
        "decided": acceptance.decided_for(request.user),
    }
    return render(request, "providers/member/credits.html", context, status=status)


@member_only
@require_GET
def credits(request):
    return _page(request)


@member_only
@require_POST
def accept(request, pk: int):
    completion = _completion(request, pk)
    if completion.status != Completion.Status.PENDING:
        messages.info(request, "This reported credit was already decided: nothing was changed.")
        return redirect("reported:credits")
    credit = acceptance.pending_credit(request.user, completion)
    form = AcceptForm(request.POST, credit=credit)
    if form.is_valid():
        replace = None
        replace_pk = form.replace_entry_pk()
        if replace_pk is not None:
            replace = Entry.objects.filter(pk=replace_pk, member=request.user).first()
            if replace is None:
                raise Http404("No such entry")
        try:
            entry = acceptance.completion_accept(
                completion=completion,
                member=request.user,
                credentials=form.chosen_credentials(),
                replace_entry=replace,
                keep_both=form.keep_both(),
            )
        except services.RepeatedEntry as repeat:
            form = AcceptForm(request.POST, credit=credit, repeated=True)
            form.is_valid()
            form.add_error(None, repeat.message)
        except ValidationError as error:
            _add_errors(form, error)
        except DatabaseError:
            logger.exception("accepting completion %s failed", completion.pk)
            form.add_error(None, NOT_SAVED)
            return _page(request, bound_pk=pk, accept_form=form, status=503)
        else:
            title = completion.course.title
            messages.success(
                request,
                f"“{title}” accepted. " + pages.saved_message(request.user, entry, verb="saved"),
            )
            return redirect("reported:credits")
    messages.error(request, "The credit was not accepted. Please see the reason below.")
    return _page(request, bound_pk=pk, accept_form=form)


@member_only
@require_POST
def decline(request, pk: int):
    completion = _completion(request, pk)
    if completion.status != Completion.Status.PENDING:
        messages.info(request, "This reported credit was already decided: nothing was changed.")
        return redirect("reported:credits")
    form = DeclineForm(request.POST, completion_pk=completion.pk)
    if form.is_valid():
        try:
            acceptance.completion_decline(
                completion=completion, member=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        except DatabaseError:
            logger.exception("declining completion %s failed", completion.pk)
            form.add_error(None, NOT_SAVED)
            return _page(request, bound_pk=pk, decline_form=form, status=503)
        else:
            messages.success(request, f"“{completion.course.title}” declined.")
            return redirect("reported:credits")
    messages.error(request, "The credit was not declined. Please see the reason below.")
    return _page(request, bound_pk=pk, decline_form=form)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
