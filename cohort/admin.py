"""Cohorts, streams and the audit trail: the staff side of the admin, organised for daily work."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from cohort.admin_access import MeetingInputsAdminMixin, ReadOnlyAdmin, RoleScopedAdmin, TabularInline
from cohort.forms import CohortAdminForm
from cohort.models import AuditEntry, Break, Cohort, Phase, ProgramEvent, Stream


class PhaseInline(TabularInline):
    model = Phase
    extra = 0


class BreakInline(TabularInline):
    model = Break
    extra = 0


class ProgramEventInline(TabularInline):
    model = ProgramEvent
    extra = 0
    fields = ["title", "stream", "starts_at", "ends_at", "location", "description"]


@admin.register(Cohort)
class CohortAdmin(MeetingInputsAdminMixin, RoleScopedAdmin):
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
        (
            "Planning preferences",
            {
                "fields": list(Cohort.PLANNING_FIELDS),
                "description": "How plans weigh what people prefer. Every preference ranks below meetings placed, "
                "published slots kept, dates lost to busy times or days away, fewer meeting days and fewer blocks: "
                "the weights only choose between plans equal in all of those. 0 turns a preference off.",
            },
        ),
        (
            "Pair health",
            {
                "fields": list(Cohort.HEALTH_FIELDS),
                "description": "When a pair or a person is in trouble: each rule opens a finding, mailed once to "
                "staff and the pair's mentor, and resolved by itself when the meetings or check-ins recover.",
            },
        ),
    )
    inlines = [PhaseInline, BreakInline, ProgramEventInline]


@admin.register(Stream)
class StreamAdmin(RoleScopedAdmin):
    list_display = ["title", "slug", "source_file", "updated_at"]
    list_filter = [("cohorts", RelatedOnlyFieldListFilter)]
    search_fields = ["title", "slug", "description"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Who changed what that shapes meetings, and when. Staff only: with no ``mentor_lookup`` a mentor sees no
    rows, and the Mentors group has no permission on it at all."""

    list_display = ["at", "by", "action", "target_type", "target_repr", "changed_fields", "cohort_names"]
    list_filter = [
        "action",
        ("target_type", RelatedOnlyFieldListFilter),
        ("actor", RelatedOnlyFieldListFilter),
        ("cohorts", RelatedOnlyFieldListFilter),
    ]
    date_hierarchy = "at"
    search_fields = ["target_repr", "reason", "actor_name"]
    list_select_related = ["actor", "target_type"]
    fields = [
        "at", "by", "actor", "action", "target_type", "target_id", "target_repr", "changes_table", "cohort_names",
        "reason",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        return super().get_queryset(request).prefetch_related("cohorts")

    @admin.display(description="by", ordering="actor_name")
    def by(self, entry: AuditEntry) -> str:
        return entry.actor_name or "the system"

    @admin.display(description="fields")
    def changed_fields(self, entry: AuditEntry) -> str:
        return ", ".join(entry.changes) or "–"

    @admin.display(description="cohorts")
    def cohort_names(self, entry: AuditEntry) -> str:
        return ", ".join(cohort.name for cohort in entry.cohorts.all()) or "–"

    @admin.display(description="changes")
    def changes_table(self, entry: AuditEntry):
        return format_html_join(
            "\n",
            "<div><strong>{}</strong>: {} → {}</div>",
            ((name, before or "–", after or "–") for name, (before, after) in entry.changes.items()),
        )
