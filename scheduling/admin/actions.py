"""Admin actions that start scheduling's work from a page: plan, apply, export meetings, new calendar links.

Offered on the cohort, mentor, scholar and team pages (see ``lower_app_pages``) and on plan runs.
"""

from __future__ import annotations

import csv
import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from cohort.models import Cohort
from scheduling.feed_tokens import feed_token_rotate
from scheduling.models import Meeting, PlanRun
from scheduling.services.planning import PlanNotApplicable, plan_apply
from scheduling.tasks import plan_on_worker


def local_time(instant: dt.datetime, zone: str) -> str:
    """A meeting's time as its attendees' calendars show it, with the zone named."""
    return f"{instant.astimezone(ZoneInfo(zone)):%a %d %b %Y %H:%M} ({zone})"


@admin.action(description="Plan the schedule (a preview: nothing is published)", permissions=["staff"])
def plan_cohorts(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Cohort]) -> None:
    # The API's path: a worker solves, the page never waits on the solver.
    for cohort in queryset:
        run = plan_on_worker(cohort=cohort, requested_by=request.user)
        modeladmin.message_user(
            request,
            format_html(
                '{}: plan #{} is being solved on a worker. <a href="{}">Open it</a> to preview it and apply it '
                "once it is solved.",
                cohort,
                run.pk,
                reverse("admin:scheduling_planrun_change", args=[run.pk]),
            ),
            messages.SUCCESS,
        )


def apply_plan_run(modeladmin: admin.ModelAdmin, request: HttpRequest, run: PlanRun) -> None:
    """Publish one plan and say what changed, or why it could not be applied."""
    try:
        diff = plan_apply(plan_run=run, applied_by=request.user)
    except PlanNotApplicable as error:
        modeladmin.message_user(request, f"{run.cohort}: {error}", messages.ERROR)
        return
    modeladmin.message_user(
        request,
        f"{run.cohort}: plan #{run.pk} applied: {diff.summary()}.",
        messages.SUCCESS,
    )


@admin.action(description="Apply the latest preview (publish its meetings)", permissions=["staff"])
def apply_latest_plans(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Cohort]
) -> None:
    for cohort in queryset:
        run = cohort.plan_runs.filter(status=PlanRun.Status.SOLVED).order_by("-created_at").first()
        if run is None:
            modeladmin.message_user(
                request, f"{cohort}: no preview to apply; plan it first.", messages.WARNING
            )
            continue
        apply_plan_run(modeladmin, request, run)


def _csv_cell(value: object) -> str:
    """Text a spreadsheet shows as text: a leading =, +, - or @ would otherwise run as a formula."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@admin.action(description="Export the meetings to CSV", permissions=["staff"])
def export_meetings_csv(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Cohort]
) -> HttpResponse:
    meetings = (
        Meeting.objects.filter(series__cohort__in=queryset)
        .select_related("series__cohort", "series__mentor")
        .prefetch_related("series__scholars")
        .order_by("series__cohort__slug", "starts_at", "pk")
    )
    slugs = sorted({cohort.slug for cohort in queryset})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meetings-{"-".join(slugs)[:80]}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "cohort",
            "meeting",
            "kind",
            "mentor",
            "scholars",
            "local start",
            "local end",
            "time zone",
            "start (UTC)",
            "end (UTC)",
            "status",
        ]
    )
    for meeting in meetings:
        series = meeting.series
        zone = ZoneInfo(series.cohort.time_zone)
        row = [
            series.cohort.slug,
            series.title,
            series.get_kind_display(),
            series.mentor.name,
            "; ".join(scholar.name for scholar in series.scholars.all()),
            f"{meeting.starts_at.astimezone(zone):%Y-%m-%d %H:%M}",
            f"{meeting.ends_at.astimezone(zone):%Y-%m-%d %H:%M}",
            series.cohort.time_zone,
            meeting.starts_at.astimezone(dt.UTC).isoformat(),
            meeting.ends_at.astimezone(dt.UTC).isoformat(),
            meeting.get_status_display(),
        ]
        writer.writerow([_csv_cell(value) for value in row])
    return response


@admin.action(description="New calendar feed link (the old link stops working)", permissions=["change"])
def rotate_feed_links(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    for owner in queryset:
        link = feed_token_rotate(owner=owner, by=request.user)
        modeladmin.message_user(
            request,
            format_html(
                "New calendar link for {}: <code>{}</code> (shown only now; subscribe with it, the old one is "
                "revoked; on a shared feed only your own link changes).",
                owner,
                link.https_url,
            ),
            messages.SUCCESS,
        )
