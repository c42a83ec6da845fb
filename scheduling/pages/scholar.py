"""A scholar's own pages: their meetings, calendar links, time away and extra hours, preferences and weekly
check-ins.

Writes go through the same services as the API: ``scholars.services`` for preferences and check-ins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cohort.dates import WEEKDAY_NAMES, format_duration, monday_of
from scheduling.models import Meeting
from scheduling.pages.people import TO_RATE_SHOWN, add_errors, feed_rows, own_page, person_render
from scheduling.problem_builder import limits_of, preferred_hours_of
from scheduling.selectors import upcoming_meetings_for
from scheduling.services.feedback import meetings_to_rate
from scholars.forms import CheckInForm, ExtraHoursForm, ScholarPreferencesForm, TimeAwayForm
from scholars.models import Blackout, CheckIn, ExtraHours, Scholar
from scholars.services import check_in_submit, check_in_week_in_cohort, scholar_preferences_update

UPCOMING_SHOWN = 10
CHECK_INS_SHOWN = 4


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


@own_page(scholars=True)
def scholar_home(request: HttpRequest, scholar: Scholar) -> HttpResponse:
    return scholar_home_page(request, scholar)


def scholar_home_page(
    request: HttpRequest,
    scholar: Scholar,
    blackout_form: TimeAwayForm | None = None,
    extra_hours_form: ExtraHoursForm | None = None,
) -> HttpResponse:
    """The home page, with a refused time-away or extra-hours form (and its errors) when there is one."""
    now = timezone.now()
    today = timezone.localdate(now)
    this_week = monday_of(today)
    check_ins = list(scholar.check_ins.all()[:CHECK_INS_SHOWN])
    meetings = upcoming_meetings_for(request.user, now=now).prefetch_related("series__scholars")[
        :UPCOMING_SHOWN
    ]
    return person_render(
        request,
        scholar,
        "pages/scholar_home.html",
        {
            "title": scholar.name,
            "scholar": scholar,
            "meetings": [_meeting_row(meeting, scholar) for meeting in meetings],
            "this_week": this_week,
            "this_week_written": any(c.week_start == this_week for c in check_ins),
            "check_in_open": scholar.is_active and check_in_week_in_cohort(scholar.cohort, this_week),
            "check_ins": check_ins,
            "to_rate": meetings_to_rate(scholar, now=now)[:TO_RATE_SHOWN],
            "feeds": feed_rows(request.user),
            "day_names": ", ".join(WEEKDAY_NAMES[day] for day in scholar.work_days),
            "reminders": " and ".join(
                format_duration(m, exact=True) for m in scholar.reminder_offsets_minutes
            ),
            "limits": limits_of(scholar).describe(),
            "preferred_hours": preferred_hours_of(scholar, None),
            "time_away": scholar.blackouts.filter(end_date__gte=today).order_by("start_date"),
            "blackout_form": blackout_form or TimeAwayForm(instance=Blackout(scholar=scholar)),
            "extra_hours": scholar.extra_hours.filter(date__gte=today).order_by("date", "start_time"),
            "extra_hours_form": extra_hours_form or ExtraHoursForm(instance=ExtraHours(scholar=scholar)),
        },
        400 if blackout_form is not None or extra_hours_form is not None else 200,
    )


@require_http_methods(["GET", "POST"])
@own_page(scholars=True)
def preferences(request: HttpRequest, scholar: Scholar) -> HttpResponse:
    form = ScholarPreferencesForm(request.POST or None, scholar=scholar)
    if request.method == "POST" and form.is_valid():
        try:
            updated = scholar_preferences_update(scholar=scholar, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"Preferences saved. Times are shown in {updated.time_zone}; reminders not yet sent follow "
                "your new settings.",
            )
            return redirect("home")
    status = 400 if form.errors else 200
    return person_render(
        request, scholar, "pages/preferences.html", {"title": "Preferences", "form": form}, status
    )


@own_page(scholars=True)
def check_in_this_week(request: HttpRequest, scholar: Scholar) -> HttpResponse:
    return redirect("check-in", week=monday_of(timezone.localdate()).isoformat())


@require_http_methods(["GET", "POST"])
@own_page(scholars=True)
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
            add_errors(form, error)
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
    return person_render(request, scholar, "pages/check_in.html", context, 400 if form.errors else 200)
