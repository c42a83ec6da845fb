"""Scholars, teams, mentorships and check-ins: staff manage them; a mentor sees their own scholars' rows."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import QuerySet
from django.http import HttpRequest

from cohort.admin_access import MeetingInputsAdminMixin, PersonAdminMixin, RoleScopedAdmin
from mentors.forms import BlackoutForm
from mentors.models import Blackout
from scholars.models import CheckIn, Mentorship, Scholar, Team


class MentorshipInline(admin.TabularInline):
    model = Mentorship
    extra = 0
    autocomplete_fields = ["mentor"]


class ScholarBlackoutInline(admin.TabularInline):
    model = Blackout
    form = BlackoutForm
    fk_name = "scholar"
    fields = ["start_date", "end_date", "reason"]
    extra = 0
    verbose_name_plural = "blackouts (days with no meetings)"


@admin.register(Scholar)
class ScholarAdmin(PersonAdminMixin, MeetingInputsAdminMixin, RoleScopedAdmin):
    mentor_lookup = "mentorships__mentor_id"
    list_display = ["name", "cohort", "stream", "status", "mentor_names", "time_zone", "is_sample"]
    list_filter = [
        ("cohort", RelatedOnlyFieldListFilter),
        ("stream", RelatedOnlyFieldListFilter),
        "status",
        ("mentorships__mentor", RelatedOnlyFieldListFilter),
        "is_sample",
    ]
    search_fields = ["name", "slug", "email"]
    list_select_related = ["cohort", "stream"]
    inlines = [MentorshipInline, ScholarBlackoutInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scholar]:
        return super().get_queryset(request).prefetch_related("mentorships__mentor")

    @admin.display(description="mentors")
    def mentor_names(self, scholar: Scholar) -> str:
        return ", ".join(mentorship.mentor.name for mentorship in scholar.mentorships.all())


@admin.register(Team)
class TeamAdmin(MeetingInputsAdminMixin, RoleScopedAdmin):
    mentor_lookup = "mentor_id"
    list_display = ["name", "cohort", "mentor"]
    list_filter = [("cohort", RelatedOnlyFieldListFilter), ("mentor", RelatedOnlyFieldListFilter)]
    search_fields = ["name", "mentor__name", "members__name"]
    list_select_related = ["cohort", "mentor"]
    filter_horizontal = ["members"]


@admin.register(Mentorship)
class MentorshipAdmin(MeetingInputsAdminMixin, RoleScopedAdmin):
    mentor_lookup = "mentor_id"
    list_display = ["mentor", "scholar", "role", "start_date", "end_date"]
    list_filter = [
        "role",
        ("scholar__cohort", RelatedOnlyFieldListFilter),
        ("scholar__stream", RelatedOnlyFieldListFilter),
        ("mentor", RelatedOnlyFieldListFilter),
        "scholar__status",
    ]
    search_fields = ["mentor__name", "scholar__name"]
    list_select_related = ["mentor", "scholar"]
    autocomplete_fields = ["mentor", "scholar"]


@admin.register(CheckIn)
class CheckInAdmin(RoleScopedAdmin):
    mentor_lookup = "scholar__mentorships__mentor_id"
    list_display = ["scholar", "week_start", "has_blockers", "created_at"]
    list_filter = [
        ("scholar__cohort", RelatedOnlyFieldListFilter),
        ("scholar__stream", RelatedOnlyFieldListFilter),
        ("scholar__mentorships__mentor", RelatedOnlyFieldListFilter),
        "scholar__status",
    ]
    search_fields = ["scholar__name", "progress", "blockers", "next_steps"]
    date_hierarchy = "week_start"
    list_select_related = ["scholar"]

    @admin.display(description="blockers", boolean=True)
    def has_blockers(self, check_in: CheckIn) -> bool:
        return bool(check_in.blockers)
