"""What a scholar's and a mentor's own pages share: who is looking and in which zone, their calendar links,
a service's errors shown on a form, and what a write did to their meetings."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cohort.forms import MeetingLimitsForm
from cohort.models import Person
from cohort.selectors import mentor_of, scholar_of
from cohort.services import meeting_limits_update
from mentors.models import Mentor
from scheduling.feed_tokens import FeedLink, feed_status_for, feed_token_rotate, own_feed_owner
from scheduling.models import FeedToken, Meeting
from scheduling.selectors import PLANNED, meeting_statuses_ahead, meetings_outside_hours, open_clashes
from scholars.calendar_sources import calendar_source_add, calendar_source_remove
from scholars.forms import CalendarSourceForm
from scholars.tasks import read_on_worker

FEED_TITLES = {
    FeedToken.Scope.SCHOLAR: "My meetings",
    FeedToken.Scope.MENTOR: "My meetings",
    FeedToken.Scope.TEAM: "Team: {label}",
    FeedToken.Scope.STREAM: "Stream: {label}",
    FeedToken.Scope.COHORT: "Whole cohort: {label}",
}

PersonView = Callable[..., HttpResponse]

# Meetings to rate a home page lists: the latest of the last two weeks.
TO_RATE_SHOWN = 5
# Beyond this many days a message gives the first and the last instead of each.
MANY_DAYS = 3


def own_page(*, scholars: bool = False, mentors: bool = False) -> Callable[[PersonView], PersonView]:
    """A page of the signed-in person's own (a scholar's, a mentor's or either), passed to the view and rendered
    in their zone; anyone else goes home."""

    def decorate(view: PersonView) -> PersonView:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            person = (scholars and scholar_of(user)) or (mentors and mentor_of(user)) or None
            if person is None:
                return redirect("home")
            with timezone.override(ZoneInfo(person.time_zone)):
                return view(request, person, *args, **kwargs)

        return wrapped

    return decorate


def person_render(
    request: HttpRequest, person: Person, template: str, context: dict, status: int = 200
) -> HttpResponse:
    """Render now (inside the zone ``own_page`` set), the header naming who is looking and their zone."""
    return render(
        request,
        template,
        {"viewer_name": person.name, "viewer_zone": person.time_zone, **context},
        status=status,
    )


@dataclass(frozen=True)
class FeedRow:
    scope: str
    title: str
    owner_id: int
    cohort_id: int | None
    active: bool
    hint: str


def feed_rows(user) -> list[FeedRow]:
    return [
        FeedRow(
            scope=status["scope"],
            title=FEED_TITLES[status["scope"]].format(label=status["label"]),
            owner_id=status["owner_id"],
            cohort_id=status["cohort_id"],
            active=status["active"],
            hint=status["hint"],
        )
        for status in feed_status_for(user)
    ]


def subscribe_links(link: FeedLink, title: str) -> dict[str, str]:
    """Where each calendar app subscribes to a feed: webcal:// for Apple's and most others, and the pages of
    Google Calendar and Outlook that add a calendar from a URL."""
    return {
        "https": link.https_url,
        "webcal": link.webcal_url,
        "google": "https://calendar.google.com/calendar/render?" + urlencode({"cid": link.webcal_url}),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?"
        + urlencode({"url": link.https_url, "name": f"cohortops: {title}"}, quote_via=quote),
        "outlook_work": "https://outlook.office.com/calendar/0/addfromweb?"
        + urlencode({"url": link.https_url, "name": f"cohortops: {title}"}, quote_via=quote),
    }


@require_http_methods(["GET", "POST"])
@own_page(scholars=True, mentors=True)
def calendars(request: HttpRequest, person: Person) -> HttpResponse:
    """The person's calendar feeds. POST makes a new link for one (the old one stops working) and shows it, this
    once: only its hash is kept."""
    new_link = None
    if request.method == "POST":
        try:
            scope = request.POST["scope"]
            owner_id = int(request.POST["owner_id"])
            cohort_id = int(request.POST["cohort_id"]) if request.POST.get("cohort_id") else None
        except (KeyError, ValueError) as error:
            raise Http404("No such calendar of yours.") from error
        owned = own_feed_owner(request.user, scope=scope, owner_id=owner_id, cohort_id=cohort_id)
        if owned is None:
            raise Http404("No such calendar of yours.")
        owner, cohort = owned
        link = feed_token_rotate(owner=owner, by=request.user, cohort=cohort)
        title = FEED_TITLES[scope].format(label=str(owner))
        new_link = {"title": title, **subscribe_links(link, title)}
    return _calendars_page(request, person, new_link=new_link)


def _calendars_page(
    request: HttpRequest,
    person: Person,
    *,
    new_link: dict | None = None,
    source_form: CalendarSourceForm | None = None,
) -> HttpResponse:
    """The feeds, and the person's own calendars read for busy times with what they clash with; with a refused
    calendar form (and its errors) when there is one."""
    context = {
        "title": "Calendars",
        "feeds": feed_rows(request.user),
        "new_link": new_link,
        "sources": person.calendar_sources.annotate(
            busy_ahead=Count("busy_blocks", filter=Q(busy_blocks__ends_at__gt=timezone.now()))
        ).order_by("pk"),
        "source_form": source_form or CalendarSourceForm(),
        "clashes": open_clashes(now=timezone.now(), person=person),
        "viewer_is_mentor": isinstance(person, Mentor),
    }
    return person_render(request, person, "pages/calendars.html", context, 400 if source_form else 200)


@require_POST
@own_page(scholars=True, mentors=True)
def busy_calendar_add(request: HttpRequest, person: Person) -> HttpResponse:
    """Add the person's own calendar; a worker reads it at once, and the page shows how that went."""
    form = CalendarSourceForm(request.POST)
    if form.is_valid():
        try:
            source = calendar_source_add(owner=person, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            read_on_worker(source)
            messages.success(
                request, f"Calendar added ({source.url_hint}): it is read in a moment, then every so often."
            )
            return redirect("calendars")
    return _calendars_page(request, person, source_form=form)


@require_POST
@own_page(scholars=True, mentors=True)
def busy_calendar_remove(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    source = person.calendar_sources.filter(pk=pk).first()
    if source is None:
        raise Http404("No such calendar of yours.")
    calendar_source_remove(source)
    messages.success(request, f"Calendar removed ({source.url_hint}): its busy times are forgotten.")
    return redirect("calendars")


@require_http_methods(["GET", "POST"])
@own_page(scholars=True, mentors=True)
def meeting_limits(request: HttpRequest, person: Person) -> HttpResponse:
    """The person's own limits on meetings and preferred hours; the next plan keeps them, and nothing published
    moves."""
    form = MeetingLimitsForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            meeting_limits_update(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, "Saved; the next plan keeps your limits and leans to your preferred hours."
            )
            return redirect("home")
    return person_render(
        request,
        person,
        "pages/limits.html",
        {"title": "Your meeting limits and preferred hours", "form": form, "zone": person.time_zone},
        400 if form.errors else 200,
    )


def add_errors(form: Form, error: ValidationError) -> None:
    """A service's errors on the form: by field where the form has that field, above the form otherwise."""
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def saying_what_changed(
    request: HttpRequest, person: Person, write: Callable[[], Any], *, done: Callable[[Any], str]
) -> None:
    """Run the write, then tell the person what it did (``done`` says it from the write's result) and what that
    did to their published meetings, as ``messages``: those cancelled or back on, and a mentor's now outside
    their hours."""
    now = timezone.now()
    mentor = person if isinstance(person, Mentor) else None
    before = meeting_statuses_ahead(person, now=now)
    outside_before = {meeting.pk for meeting in meetings_outside_hours(mentor, now=now)} if mentor else set()
    result = write()
    after = meeting_statuses_ahead(person, now=now)
    cancelled = [
        pk for pk, status in after.items() if status == Meeting.Status.CANCELLED and before.get(pk) in PLANNED
    ]
    restored = [
        pk for pk, status in after.items() if status in PLANNED and before.get(pk) == Meeting.Status.CANCELLED
    ]
    told = "your scholars are told" if mentor else "the others in them are told"
    messages.success(request, done(result))
    if cancelled:
        messages.warning(request, f"{_count_by_day(cancelled)} cancelled; {told}.")
    if restored:
        messages.info(request, f"{_count_by_day(restored)} back on; {told}.")
    if mentor is None:
        return
    # Only what this write put outside: those it found there already are listed on the home page.
    newly_outside = [m.pk for m in meetings_outside_hours(mentor, now=now) if m.pk not in outside_before]
    if newly_outside:
        one = len(newly_outside) == 1
        messages.warning(
            request,
            f"{_count_by_day(newly_outside)} now outside your hours: staff will re-plan "
            f"{'it' if one else 'them'}; until then {'it stands' if one else 'they stand'}.",
        )


def _count_by_day(meeting_ids: Iterable[int]) -> str:
    """ "4 meetings on Wed 9 Dec, 1 on Thu 10 Dec", or over many days "8 meetings from Wed 9 Dec to Wed 27 Jan",
    in the person's zone."""
    days = Counter(
        timezone.localtime(starts_at).date()
        for starts_at in Meeting.objects.filter(pk__in=list(meeting_ids)).values_list("starts_at", flat=True)
    )
    total = sum(days.values())
    if len(days) > MANY_DAYS:
        first, last = min(days), max(days)
        return f"{total} meetings from {_day(first)} to {_day(last)}"
    parts = [
        f"{count}{f' meeting{pluralize(count)}' if index == 0 else ''} on {_day(day)}"
        for index, (day, count) in enumerate(sorted(days.items()))
    ]
    return ", ".join(parts)


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"
