"""The week-at-a-glance page of the cohort admin: reads the chosen week and zone from the request and renders the
cohort's week (``scheduling.selectors.cohort_week``) with its chart (``scheduling.week_plot``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date

from cohort.admin_access import render_in_time_zone, viewer_time_zone
from cohort.dates import monday_of
from cohort.models import Cohort
from scheduling.selectors import ONE_WEEK, cohort_week
from scheduling.week_plot import week_plot


def _chosen_zone(request: HttpRequest, default: str) -> str:
    wanted = request.GET.get("tz") or default
    try:
        ZoneInfo(wanted)
    except (ZoneInfoNotFoundError, ValueError):
        messages.warning(
            request, f"“{wanted}” is not a time zone name such as Europe/London; showing {default}."
        )
        return default
    return wanted


def _chosen_week(request: HttpRequest, cohort: Cohort, zone: str) -> dt.date:
    """The asked-for week; else this week, held inside the cohort's dates."""
    asked = request.GET.get("week")
    if asked:
        try:
            day = parse_date(asked)
        except ValueError:
            day = None
        if day is not None:
            return monday_of(day)
        messages.warning(request, f"“{asked}” is not a date like 2027-01-04; showing this week.")
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    return monday_of(min(max(today, cohort.start_date), cohort.end_date))


def cohort_week_view(request: HttpRequest, *, model_admin: admin.ModelAdmin, object_id: str) -> HttpResponse:
    """``/admin/cohort/cohort/<id>/week/?week=YYYY-MM-DD&tz=Zone``, a page of the cohort admin."""
    cohort = model_admin.get_object(request, object_id)
    if cohort is None:
        raise Http404("No such cohort.")
    if not model_admin.has_view_permission(request, cohort):
        raise PermissionDenied
    zone = _chosen_zone(request, cohort.time_zone)
    glance = cohort_week(
        cohort=cohort, week_start=_chosen_week(request, cohort, zone), zone=zone, as_of=timezone.now()
    )
    zones = sorted(
        {cohort.time_zone, zone, "UTC", viewer_time_zone(request.user)}
        | {m.time_zone for m in glance.mentors}
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": cohort,
        "title": f"{cohort}: week of {glance.week_start:%d %b %Y}",
        "glance": glance,
        "plot": week_plot(glance.weeks, current=glance.week_start),
        "zones": zones,
        "previous_week": glance.week_start - ONE_WEEK,
        "next_week": glance.week_start + ONE_WEEK,
    }
    # Rendered in the chosen zone, so the page's own clock ("times in …") names it too.
    return render_in_time_zone(
        zone, lambda request: TemplateResponse(request, "admin/cohort/cohort/week.html", context), request
    )
