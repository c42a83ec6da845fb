"""Scheduling's part of the cohort, mentor, scholar and team pages.

Those apps sit below scheduling and never import it, so their pages gain scheduling's actions (plans, exports,
the week at a glance, calendar links) here: scheduling registers a subclass of each page in place of the original.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from cohort.admin import CohortAdmin
from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.admin.actions import apply_latest_plans, export_meetings_csv, plan_cohorts, rotate_feed_links
from scheduling.admin.report import cohort_report_view
from scheduling.admin.week import cohort_week_view
from scheduling.tasks import plan_on_worker
from scholars.admin import MentorBlackoutsAdmin, ScholarAdmin, TeamAdmin, invite_cohort_people
from scholars.models import Scholar, Team


class CohortPlanningAdmin(CohortAdmin):
    list_display = [*CohortAdmin.list_display, "week_link"]
    actions = [
        *CohortAdmin.actions,
        plan_cohorts,
        apply_latest_plans,
        export_meetings_csv,
        rotate_feed_links,
        invite_cohort_people,
    ]

    @admin.display(description="week at a glance")
    def week_link(self, cohort: Cohort) -> SafeString:
        return format_html(
            '<a href="{}">This week</a> · <a href="{}">Report</a>',
            reverse("admin:cohort_cohort_week", args=[cohort.pk]),
            reverse("admin:cohort_cohort_report", args=[cohort.pk]),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/week/",
                self.admin_site.admin_view(self.week_view),
                name="cohort_cohort_week",
            ),
            path(
                "<path:object_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name="cohort_cohort_report",
            ),
            path(
                "<path:object_id>/plan/",
                self.admin_site.admin_view(require_POST(self.plan_view)),
                name="cohort_cohort_plan",
            ),
            *super().get_urls(),
        ]

    def week_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return cohort_week_view(request, model_admin=self, object_id=object_id)

    def report_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return cohort_report_view(request, model_admin=self, object_id=object_id)

    def plan_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The dashboard's Plan button: solve on a worker and open the plan, which shows its progress."""
        if not self.has_staff_permission(request):
            raise PermissionDenied
        cohort = self.get_object(request, object_id)
        if cohort is None:
            raise Http404("No such cohort.")
        run = plan_on_worker(cohort=cohort, requested_by=request.user)
        self.message_user(request, f"{cohort}: plan #{run.pk} is being solved on a worker.", messages.SUCCESS)
        return redirect("admin:scheduling_planrun_change", run.pk)


class MentorCalendarAdmin(MentorBlackoutsAdmin):
    """Extends the mentor page scholars registered (with the blackouts), not mentors' own, so it keeps them."""

    actions = [*MentorBlackoutsAdmin.actions, rotate_feed_links]


class ScholarCalendarAdmin(ScholarAdmin):
    actions = [*ScholarAdmin.actions, rotate_feed_links]


class TeamCalendarAdmin(TeamAdmin):
    actions = [*TeamAdmin.actions, rotate_feed_links]


for model, page in (
    (Cohort, CohortPlanningAdmin),
    (Mentor, MentorCalendarAdmin),
    (Scholar, ScholarCalendarAdmin),
    (Team, TeamCalendarAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, page)
