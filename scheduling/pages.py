"""The pages people use in a browser, server-rendered: a scholar's page with their meetings, calendar links,
preferences and weekly check-ins. Mentors and staff work in the admin.

Every time on a scholar's page is in the scholar's own zone (``timezone.override`` while the page renders), and
the header names that zone. Writes go through the same services as the API: ``scholars.services`` for
preferences and check-ins, ``scheduling.feed_tokens`` for calendar links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cohort.dates import WEEKDAY_NAMES, monday_of
from cohort.selectors import is_staff_role, mentor_of, scholar_of
from scheduling.feed_tokens import FeedLink, feed_status_for, feed_token_rotate, own_feed_owner
from scheduling.models import FeedToken, Meeting
from scheduling.selectors import upcoming_meetings_for
from scholars.forms import CheckInForm, ScholarPreferencesForm, reminder_label
from scholars.models import CheckIn, Scholar
from scholars.services import check_in_submit, scholar_preferences_update

UPCOMING_SHOWN = 10
CHECK_INS_SHOWN = 4
FEED_TITLES = {
    FeedToken.Scope.SCHOLAR: "My meetings",
    FeedToken.Scope.MENTOR: "My meetings",
    FeedToken.Scope.TEAM: "Team: {label}",
    FeedToken.Scope.STREAM: "Stream: {label}",
    FeedToken.Scope.COHORT: "Whole cohort: {label}",
}


def home(request: HttpRequest) -> HttpResponse:
    """Where a sign-in lands: a scholar's page, the admin for mentors and staff."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if scholar_of(user) is not None:
        return scholar_home(request)
    if mentor_of(user) is not None or is_staff_role(user):
        return redirect("admin:index")
    return render(request, "pages/not_linked.html", {"title": "No cohortops profile"}, status=403)


def scholar_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the signed-in scholar's own, rendered in their zone; anyone else goes home."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        scholar = scholar_of(request.user)
        if scholar is None:
            return redirect("home")
        with timezone.override(ZoneInfo(scholar.time_zone)):
            return view(request, scholar, *args, **kwargs)

    return wrapped


def _page(
    request: HttpRequest, scholar: Scholar, template: str, context: dict, status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {"viewer_name": scholar.name, "viewer_zone": scholar.time_zone, "scholar": scholar, **context},
        status=status,
    )


@dataclass(frozen=True)
class MeetingRow:
    meeting: Meeting
    with_whom: str

    @property
    def moved(self) -> bool:
        return self.meeting.status == Meeting.Status.MOVED


def _meeting_row(meeting: Meeting, scholar: Scholar) -> MeetingRow:
    series = meeting.series
    others = [s.name for s in series.active_scholars() if s.pk != scholar.pk]
    with_whom = series.mentor.name + (f", with {', '.join(others)}" if others else "")
    return MeetingRow(meeting=meeting, with_whom=with_whom)


@dataclass(frozen=True)
class FeedRow:
    scope: str
    title: str
    owner_id: int
    cohort_id: int | None
    active: bool
    hint: str


def _feed_rows(user) -> list[FeedRow]:
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


@scholar_page
def scholar_home(request: HttpRequest, scholar: Scholar) -> HttpResponse:
    now = timezone.now()
    this_week = monday_of(timezone.localdate(now))
    cohort = scholar.cohort
    check_ins = list(scholar.check_ins.all()[:CHECK_INS_SHOWN])
    meetings = upcoming_meetings_for(request.user, now=now).prefetch_related("series__scholars")[
        :UPCOMING_SHOWN
    ]
    return _page(
        request,
        scholar,
        "pages/scholar_home.html",
        {
            "title": scholar.name,
            "meetings": [_meeting_row(meeting, scholar) for meeting in meetings],
            "this_week": this_week,
            "this_week_written": any(c.week_start == this_week for c in check_ins),
            # The weeks check_in_submit accepts: from the one before the cohort starts to its last.
            "check_in_open": scholar.is_active
            and cohort.start_date - dt.timedelta(days=6) <= this_week <= cohort.end_date,
            "check_ins": check_ins,
            "feeds": _feed_rows(request.user),
            "day_names": ", ".join(WEEKDAY_NAMES[day] for day in scholar.work_days),
            "reminders": " and ".join(reminder_label(m) for m in scholar.reminder_offsets_minutes),
        },
    )


@require_http_methods(["GET", "POST"])
@scholar_page
def calendars(request: HttpRequest, scholar: Scholar) -> HttpResponse:
    """The scholar's calendar feeds. POST makes a new link for one (the old one stops working) and shows it, this
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
    return _page(
        request,
        scholar,
        "pages/calendars.html",
        {"title": "Calendars", "feeds": _feed_rows(request.user), "new_link": new_link},
    )


@require_http_methods(["GET", "POST"])
@scholar_page
def preferences(request: HttpRequest, scholar: Scholar) -> HttpResponse:
    form = ScholarPreferencesForm(request.POST or None, scholar=scholar)
    if request.method == "POST" and form.is_valid():
        try:
            updated = scholar_preferences_update(scholar=scholar, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"Preferences saved. Times are shown in {updated.time_zone}; reminders not yet sent follow "
                "your new settings.",
            )
            return redirect("home")
    status = 400 if form.errors else 200
    return _page(request, scholar, "pages/preferences.html", {"title": "Preferences", "form": form}, status)


@scholar_page
def check_in_this_week(request: HttpRequest, scholar: Scholar) -> HttpResponse:
    return redirect("check-in", week=monday_of(timezone.localdate()).isoformat())


@require_http_methods(["GET", "POST"])
@scholar_page
def check_in(request: HttpRequest, scholar: Scholar, week: str) -> HttpResponse:
    """The weekly check-in the prompt mail links to; writing the same week again edits it."""
    try:
        week_start = dt.date.fromisoformat(week)
    except ValueError as error:
        raise Http404("No such week.") from error
    existing = CheckIn.objects.filter(scholar=scholar, week_start=week_start).first()
    initial = (
        {"progress": existing.progress, "blockers": existing.blockers, "next_steps": existing.next_steps}
        if existing
        else None
    )
    form = CheckInForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            check_in_submit(scholar=scholar, week_start=week_start, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"Check-in for the week of {week_start:%-d %b %Y} saved; your mentor can read it now.",
            )
            return redirect("home")
    context = {
        "title": f"Check-in, week of {week_start:%-d %b %Y}",
        "form": form,
        "week_start": week_start,
        "editing": existing is not None,
        "action": reverse("check-in", kwargs={"week": week_start.isoformat()}),
    }
    return _page(request, scholar, "pages/check_in.html", context, 400 if form.errors else 200)


def _add_errors(form, error: ValidationError) -> None:
    """A service's errors on the form: by field where the form has that field, above the form otherwise."""
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
