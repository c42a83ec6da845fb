"""Plan runs: the planner's previews, what each would change, and the button that publishes one."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from cohort.admin_access import (
    RoleScopedAdmin,
)
from scheduling.admin.actions import apply_plan_run
from scheduling.models import PlanRun


@admin.register(PlanRun)
class PlanRunAdmin(RoleScopedAdmin):
    list_display = ["pk", "cohort", "status", "placed_of_demanded", "not_placed", "created_at", "applied_at"]
    list_filter = [("cohort", RelatedOnlyFieldListFilter), "status"]
    search_fields = ["cohort__name", "cohort__slug", "error"]
    list_select_related = ["cohort"]
    actions = ["apply_selected"]
    fields = [
        "cohort",
        "status",
        "requested_by",
        "created_at",
        "finished_at",
        "applied_at",
        "error",
        "preview",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A run is a record of what the planner proposed; it is applied, never edited.
        return False

    @admin.display(description="placed / demanded")
    def placed_of_demanded(self, run: PlanRun) -> str:
        if "placed" not in run.result:
            return "–"
        return f"{run.result['placed']} / {run.result['demanded']}"

    @admin.display(description="not placed")
    def not_placed(self, run: PlanRun) -> int:
        return len(run.result.get("unplaced", [])) + len(run.result.get("unschedulable", []))

    @admin.display(description="what the plan does")
    def preview(self, run: PlanRun) -> SafeString:
        return render_to_string("admin/scheduling/planrun/preview.html", {"run": run})

    @admin.action(description="Apply the selected plan (publish its meetings)", permissions=["staff"])
    def apply_selected(self, request: HttpRequest, queryset: QuerySet[PlanRun]) -> None:
        for run in queryset.select_related("cohort"):
            apply_plan_run(self, request, run)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/apply/",
                self.admin_site.admin_view(self.apply_view),
                name="scheduling_planrun_apply",
            ),
            *super().get_urls(),
        ]

    def apply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._apply)(request, object_id)

    def _apply(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_staff_permission(request):
            raise PermissionDenied
        run = self.get_object(request, object_id)
        if run is None:
            raise Http404("No such plan.")
        apply_plan_run(self, request, run)
        return redirect("admin:scheduling_planrun_change", run.pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_apply"] = (
            obj is not None and obj.status == PlanRun.Status.SOLVED and self.has_staff_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
