"""A mentor's own pages: their next two weeks, their weekly hours as a seven-day editor, their time away and
extra hours (written through ``pages.away``), their scholars with the latest check-ins, and their calendar links.
The admin stays for what staff do.

After each save the page says what the save did to published meetings (``people.saying_what_changed``): which were
cancelled or came back (their attendees are told by mail) and which now fall outside the mentor's hours (staff
re-plan those; the week at a glance flags them). Writes go through ``mentors.services``, as the API's do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cohort.dates import WEEKDAY_NAMES, monday_of
from mentors.forms import WeeklyHoursForm
from mentors.models import Mentor
from mentors.services import mentor_hours_replace
from scheduling.models import HealthFinding, Meeting
from scheduling.pages.people import TO_RATE_SHOWN, feed_rows, own_page, person_render, saying_what_changed
from scheduling.problem_builder import limits_of, preferred_hours_of
from scheduling.selectors import meetings_outside_hours, unresolved_findings
from scheduling.services.feedback import meetings_to_rate
from scholars.forms import ExtraHoursForm, TimeAwayForm
from scholars.models import Blackout, CheckIn, ExtraHours, Mentorship, Scholar

DAYS_SHOWN = 14


@dataclass(frozen=True)
class DayOfMeetings:
    day: dt.date
    meetings: list[Meeting]


@dataclass(frozen=True)
class ScholarRow:
    scholar: Scholar
    role: str
    latest: CheckIn | None


def _days_of_meetings(mentor: Mentor, first_day: dt.date) -> list[DayOfMeetings]:
    """The mentor's meetings from ``first_day`` for ``DAYS_SHOWN`` days, by day in the mentor's zone (the one
    ``own_page`` made current), days without meetings left out."""
    zone = timezone.get_current_timezone()
    starts = dt.datetime.combine(first_day, dt.time(0), tzinfo=zone)
    meetings = (
        Meeting.objects.filter(
            series__mentor=mentor, starts_at__gte=starts, starts_at__lt=starts + dt.timedelta(days=DAYS_SHOWN)
        )
        .select_related("series__mentor")
        .order_by("starts_at")
    )
    by_day: dict[dt.date, list[Meeting]] = {}
    for meeting in meetings:
        by_day.setdefault(timezone.localtime(meeting.starts_at).date(), []).append(meeting)
    return [DayOfMeetings(day, day_meetings) for day, day_meetings in by_day.items()]


def _scholar_rows(mentor: Mentor) -> list[ScholarRow]:
    """The mentor's scholars still in the programme, each with their latest check-in (two queries)."""
    latest = CheckIn.objects.filter(scholar=OuterRef("scholar_id")).order_by("-week_start").values("pk")[:1]
    mentorships = list(
        Mentorship.objects.filter(mentor=mentor)
        .exclude(scholar__status__in=Scholar.INACTIVE_STATUSES)
        .select_related("scholar__cohort")
        .annotate(latest_check_in=Subquery(latest))
        .order_by("scholar__name")
    )
    check_ins = CheckIn.objects.in_bulk([m.latest_check_in for m in mentorships if m.latest_check_in])
    return [
        ScholarRow(m.scholar, m.get_role_display(), check_ins.get(m.latest_check_in)) for m in mentorships
    ]


def _hours_summary(mentor: Mentor) -> list[tuple[str, str]]:
    by_day: dict[int, list[str]] = {}
    for window in mentor.availability.all():
        by_day.setdefault(window.weekday, []).append(f"{window.start_time:%H:%M}–{window.end_time:%H:%M}")
    return [(WEEKDAY_NAMES[day], ", ".join(by_day[day])) for day in sorted(by_day)]


@own_page(mentors=True)
def mentor_home(request: HttpRequest, mentor: Mentor) -> HttpResponse:
    return mentor_home_page(request, mentor)


def mentor_home_page(
    request: HttpRequest,
    mentor: Mentor,
    blackout_form: TimeAwayForm | None = None,
    extra_hours_form: ExtraHoursForm | None = None,
) -> HttpResponse:
    """The home page, with a refused time-away or extra-hours form (and its errors) when there is one."""
    today = timezone.localdate()
    context = {
        "title": mentor.name,
        "mentor": mentor,
        "days": _days_of_meetings(mentor, monday_of(today)),
        "hours": _hours_summary(mentor),
        "limits": limits_of(mentor).describe(),
        "preferred_hours": preferred_hours_of(mentor, None),
        "outside_hours": meetings_outside_hours(mentor, now=timezone.now()),
        "findings": unresolved_findings(mentor=mentor).exclude(HealthFinding.ABOUT_THE_MENTOR),
        "time_away": mentor.blackouts.filter(end_date__gte=today).order_by("start_date"),
        "blackout_form": blackout_form or TimeAwayForm(instance=Blackout(mentor=mentor)),
        "extra_hours": mentor.extra_hours.filter(date__gte=today).order_by("date", "start_time"),
        "extra_hours_form": extra_hours_form or ExtraHoursForm(instance=ExtraHours(mentor=mentor)),
        "scholars": _scholar_rows(mentor),
        "to_rate": meetings_to_rate(mentor, now=timezone.now())[:TO_RATE_SHOWN],
        "feeds": feed_rows(request.user),
        "today": today,
    }
    refused = blackout_form is not None or extra_hours_form is not None
    return person_render(request, mentor, "pages/mentor_home.html", context, 400 if refused else 200)


@require_http_methods(["GET", "POST"])
@own_page(mentors=True)
def mentor_hours(request: HttpRequest, mentor: Mentor) -> HttpResponse:
    """The mentor's weekly hours as a whole week: a toggle per day, ranges on quarter hours, copy to all days."""
    form = WeeklyHoursForm(
        request.POST if request.method == "POST" else None, windows=mentor.availability.all()
    )
    if form.is_bound and form.is_valid():
        try:
            saying_what_changed(
                request,
                mentor,
                lambda: mentor_hours_replace(mentor=mentor, windows=form.windows, by=request.user),
                done=lambda _: "Your hours are saved; the next plan uses them.",
            )
        except ValidationError as error:
            form.errors_above.extend(error.messages)
        else:
            return redirect("home")
    return person_render(
        request,
        mentor,
        "pages/mentor_hours.html",
        {"title": "Your weekly hours", "form": form, "zone": mentor.time_zone},
        400 if form.is_bound and form.errors else 200,
    )
