"""Cohorts, streams and import warnings: the staff side of the admin, organised for daily work."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from cohort.admin_access import CalendarInputsAdminMixin, DefaultChoiceFilter, RoleScopedAdmin
from cohort.forms import CohortAdminForm
from cohort.models import Break, Cohort, ImportWarning, Phase, ProgramEvent, Stream

admin.site.site_header = "cohortops"
admin.site.site_title = "cohortops admin"
admin.site.index_title = "Cohort operations"
admin.site.site_url = None  # there is no public site to go back to


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


class BreakInline(admin.TabularInline):
    model = Break
    extra = 0


class ProgramEventInline(admin.TabularInline):
    model = ProgramEvent
    extra = 0
    fields = ["title", "stream", "starts_at", "ends_at", "location", "description"]


@admin.register(Cohort)
class CohortAdmin(CalendarInputsAdminMixin, RoleScopedAdmin):
    form = CohortAdminForm
    list_display = ["name", "slug", "start_date", "end_date", "time_zone"]
    list_filter = [("streams", RelatedOnlyFieldListFilter), "time_zone"]
    search_fields = ["name", "slug"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["streams"]
    fieldsets = (
        (None, {"fields": ["name", "slug", "start_date", "end_date", "time_zone", "streams"]}),
        ("Meetings", {"fields": ["default_cadence", "default_meeting_minutes"]}),
    )
    inlines = [PhaseInline, BreakInline, ProgramEventInline]
    calendar_fields = frozenset({"start_date", "end_date"})

    def calendar_cohorts(self, obj: Cohort) -> list[Cohort]:
        return [obj]


@admin.register(Stream)
class StreamAdmin(RoleScopedAdmin):
    list_display = ["title", "slug", "source_file", "updated_at"]
    list_filter = [("cohorts", RelatedOnlyFieldListFilter)]
    search_fields = ["title", "slug", "description"]


class WarningStateFilter(DefaultChoiceFilter):
    title = "state"
    parameter_name = "state"
    default = "open"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def filter_choice(self, queryset: QuerySet, choice: str) -> QuerySet:
        return queryset.filter(resolved_at__isnull=choice == "open")


@admin.register(ImportWarning)
class ImportWarningAdmin(RoleScopedAdmin):
    list_display = ["code", "stream", "mentor", "line", "message", "resolved_at", "resolved_by"]
    list_filter = [WarningStateFilter, "code", ("stream", RelatedOnlyFieldListFilter)]
    search_fields = ["message", "mentor__name", "stream__title", "source_file"]
    list_select_related = ["stream", "mentor", "resolved_by"]
    fields = ["stream", "mentor", "code", "message", "source_file", "line", "resolved_at", "resolved_by"]
    readonly_fields = fields
    actions = ["mark_resolved", "reopen"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Mark resolved", permissions=["staff"])
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[ImportWarning]) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=request.user, updated_at=timezone.now()
        )
        self.message_user(
            request, f"{count} warning{'s' if count != 1 else ''} marked resolved.", messages.SUCCESS
        )

    @admin.action(description="Reopen", permissions=["staff"])
    def reopen(self, request: HttpRequest, queryset: QuerySet[ImportWarning]) -> None:
        count = queryset.filter(resolved_at__isnull=False).update(
            resolved_at=None, resolved_by=None, updated_at=timezone.now()
        )
        self.message_user(request, f"{count} warning{'s' if count != 1 else ''} reopened.", messages.SUCCESS)
