"""What people change about single dates on their home page, a mentor and a scholar alike: time away (whole days,
or part of each day) and the extra hours they add on a date.

Each write goes through its service, as the API's does; the page then says what it did to published meetings
(``people.saying_what_changed``). A refused form comes back on the home page with its errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cohort.models import Person
from mentors.models import Mentor
from scheduling.pages.mentor import mentor_home_page
from scheduling.pages.people import add_errors, own_page, saying_what_changed
from scheduling.pages.scholar import scholar_home_page
from scholars.forms import ExtraHoursForm, TimeAwayForm
from scholars.models import Blackout, ExtraHours
from scholars.services import blackout_add, blackout_remove, extra_hours_add, extra_hours_remove


def _owner(person: Person) -> dict[str, Person]:
    return {"mentor": person} if isinstance(person, Mentor) else {"scholar": person}


@require_POST
@own_page(scholars=True, mentors=True)
def time_away_add(request: HttpRequest, person: Person) -> HttpResponse:
    form = TimeAwayForm(request.POST, instance=Blackout(**_owner(person)))
    return _add_from_home(
        request,
        person,
        form,
        lambda data: blackout_add(**_owner(person), by=request.user, **data),
        done=lambda blackout: f"Time away saved: {blackout.span_label}.",
        form_name="blackout_form",
    )


@require_POST
@own_page(scholars=True, mentors=True)
def time_away_remove(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    blackout = person.blackouts.filter(pk=pk).first()
    if blackout is None:
        raise Http404("No such time away of yours.")
    span = blackout.span_label
    return _remove_from_home(
        request,
        person,
        lambda: blackout_remove(blackout=blackout, by=request.user),
        done=f"Time away removed: {span}.",
    )


@require_POST
@own_page(scholars=True, mentors=True)
def extra_hours_add_page(request: HttpRequest, person: Person) -> HttpResponse:
    form = ExtraHoursForm(request.POST, instance=ExtraHours(**_owner(person)))
    return _add_from_home(
        request,
        person,
        form,
        lambda data: extra_hours_add(**_owner(person), by=request.user, **data),
        done=lambda extra: f"Extra hours saved: {extra}.",
        form_name="extra_hours_form",
    )


@require_POST
@own_page(scholars=True, mentors=True)
def extra_hours_remove_page(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    extra = person.extra_hours.filter(pk=pk).first()
    if extra is None:
        raise Http404("No such extra hours of yours.")
    said = str(extra)
    return _remove_from_home(
        request,
        person,
        lambda: extra_hours_remove(extra=extra, by=request.user),
        done=f"Extra hours removed: {said}.",
    )


def _add_from_home(
    request: HttpRequest,
    person: Person,
    form: BaseForm,
    write: Callable[[dict], Any],
    *,
    done: Callable[[Any], str],
    form_name: str,
) -> HttpResponse:
    """Save a home-page form through its service and go home saying what changed; or the home page again with the
    form and its errors (the service's too)."""
    if form.is_valid():
        try:
            saying_what_changed(request, person, lambda: write(form.cleaned_data), done=done)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("home")
    home_page = mentor_home_page if isinstance(person, Mentor) else scholar_home_page
    return home_page(request, person, **{form_name: form})


def _remove_from_home(
    request: HttpRequest, person: Person, write: Callable[[], Any], *, done: str
) -> HttpResponse:
    saying_what_changed(request, person, write, done=lambda _: done)
    return redirect("home")
