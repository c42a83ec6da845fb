"""Scholars, teams, mentorships, check-ins, blackouts and extra hours: staff manage them; a mentor sees their own
scholars' rows and keeps their own blackouts and extra hours on their mentor page, which this app extends."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from cohort.admin_access import (
    ImportFromFileMixin,
    MeetingInputsAdminMixin,
    PersonAdminMixin,
    ReadOnlyAdmin,
    RoleScopedAdmin,
    TabularInline,
    report_logins,
    upload_view,
)
from cohort.models import Cohort
from cohort.selectors import is_staff_role
from mentors.admin import MentorAdmin, OwnZoneHoursInline, mentor_link
from mentors.models import Mentor
from scholars.calendar_sources import MAX_SOURCES_PER_PERSON, calendar_source_remove
from scholars.forms import (
    BlackoutForm,
    CalendarSourceAdminForm,
    CalendarSourceInlineFormSet,
    ExtraHoursFormSet,
)
from scholars.models import Blackout, CalendarSource, CheckIn, ExtraHours, Mentorship, Scholar, Team
from scholars.roster_csv import COLUMNS, RosterError, RosterRejected
from scholars.services import cohort_logins_invite, scholar_logins_create, scholars_bulk_create
from scholars.tasks import read_on_worker


@admin.action(description="Invite its scholars and mentors (logins and sign-in links)", permissions=["staff"])
def invite_cohort_people(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Cohort]
) -> None:
    """On the cohort page, which scheduling registers (it adds its own actions there)."""
    for cohort in queryset:
        report_logins(modeladmin, request, cohort_logins_invite(cohort=cohort))


class MentorshipInline(TabularInline):
    model = Mentorship
    extra = 0
    autocomplete_fields = ["mentor"]


class ScholarBlackoutInline(TabularInline):
    """A scholar's time away; the mentor's page uses the same, keyed on the mentor."""

    model = Blackout
    form = BlackoutForm
    fk_name = "scholar"
    fields = ["start_date", "end_date", "start_time", "end_time", "reason"]
    extra = 0
    verbose_name_plural = "blackouts (days or hours with no meetings)"


class MentorBlackoutInline(ScholarBlackoutInline):
    fk_name = "mentor"

    def get_formset(self, request: HttpRequest, obj: Mentor | None = None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        zone = obj.time_zone if obj is not None else "the mentor's time zone"
        fields = formset.form.base_fields
        fields["start_date"].label = f"First day ({zone})"
        fields["end_date"].label = "Last day (inclusive)"
        return formset


class ScholarExtraHoursInline(OwnZoneHoursInline):
    """Hours on single dates beyond the weekly ones (a date override); the mentor's page uses the same, keyed on the
    mentor."""

    model = ExtraHours
    formset = ExtraHoursFormSet
    fk_name = "scholar"
    fields = ["date", "start_time", "end_time", "note"]
    extra = 0
    verbose_name_plural = "extra hours on single dates (from today)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExtraHours]:
        # Past dates no longer shape anything; the audit trail keeps them. A day behind the server's date: the
        # person's zone may still be on yesterday.
        return super().get_queryset(request).filter(date__gte=timezone.localdate() - dt.timedelta(days=1))


class MentorExtraHoursInline(ScholarExtraHoursInline):
    fk_name = "mentor"


class CalendarSourceInline(TabularInline):
    """A person's own calendars, read for busy times: the address is asked for, never shown back."""

    model = CalendarSource
    form = CalendarSourceAdminForm
    formset = CalendarSourceInlineFormSet
    max_num = MAX_SOURCES_PER_PERSON
    fields = ["label", "url", "url_hint", "status", "status_detail", "read_at"]
    readonly_fields = ["url_hint", "status", "status_detail", "read_at"]
    extra = 0
    verbose_name_plural = "own calendars (read for busy times; plans avoid them)"


class MentorCalendarSourceInline(CalendarSourceInline):
    fk_name = "mentor"


class ScholarCalendarSourceInline(CalendarSourceInline):
    fk_name = "scholar"


class CalendarSourcesAdminMixin:
    """Saves a person page's calendars through ``scholars.calendar_sources``: a removed one forgets its busy times
    (and the clashes they made), a new or readdressed one is read on a worker at once."""

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not CalendarSource:
            super().save_formset(request, form, formset, change)
            return
        to_read = [
            inline.instance
            for inline in formset.forms
            if inline.cleaned_data.get("url") and not inline.cleaned_data.get("DELETE")
        ]
        sources = formset.save(commit=False)
        for source in formset.deleted_objects:
            calendar_source_remove(source)
        for source in sources:
            source.save()
        for source in to_read:
            read_on_worker(source)


@admin.register(Scholar)
class ScholarAdmin(
    CalendarSourcesAdminMixin, ImportFromFileMixin, PersonAdminMixin, MeetingInputsAdminMixin, RoleScopedAdmin
):
    import_label = "Import a roster CSV"
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
    inlines = [MentorshipInline, ScholarExtraHoursInline, ScholarBlackoutInline, ScholarCalendarSourceInline]

    def get_inlines(self, request: HttpRequest, obj: Scholar | None) -> list:
        # A mentor sees their scholars' pages, but a scholar's own calendars are theirs and staff's alone.
        inlines = super().get_inlines(request, obj)
        return (
            inlines
            if is_staff_role(request.user)
            else [i for i in inlines if i is not ScholarCalendarSourceInline]
        )

    actions = ["create_logins"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scholar]:
        return super().get_queryset(request).prefetch_related("mentorships__mentor")

    @admin.display(description="mentors")
    def mentor_names(self, scholar: Scholar) -> str:
        return ", ".join(mentorship.mentor.name for mentorship in scholar.mentorships.all())

    def import_view(self, request: HttpRequest) -> HttpResponse:
        def handle(upload: UploadedFile) -> str:
            try:
                created = scholars_bulk_create(data=upload.read(), by=request.user)
            except RosterRejected as rejected:
                raise ValidationError(
                    [_roster_problem(error) for error in rejected.errors] + ["Nothing was imported."]
                ) from rejected
            return f"{len(created)} scholar{pluralize(len(created))} created, with their mentorships."

        return upload_view(
            self,
            request,
            title="Import a roster CSV",
            help_text=f"One scholar per row, with a header row naming the columns: {', '.join(COLUMNS)}. "
            "Cohort, stream and mentors are given by their slugs. Every row is created, or (when any row has a "
            "problem) none, each problem named by its line.",
            handle=handle,
            done_url=reverse("admin:scholars_scholar_changelist"),
        )

    @admin.action(description="Create logins and email sign-in links", permissions=["staff"])
    def create_logins(self, request: HttpRequest, queryset: QuerySet[Scholar]) -> None:
        report_logins(
            self, request, scholar_logins_create(scholars=queryset.select_related("user", "cohort"))
        )


def _roster_problem(error: RosterError) -> str:
    where = f"Line {error.line}" if error.line else "The file"
    return f"{where}{f', {error.field}' if error.field else ''}: {error.reason}"


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


@admin.register(Blackout)
class BlackoutAdmin(ReadOnlyAdmin):
    """Who is away when; a mentor's blackouts are edited on their page, a scholar's on theirs."""

    listed_for_mentors = False

    mentor_lookup = "mentor_id"
    list_display = ["person", "start_date", "end_date", "reason"]
    list_filter = [
        ("mentor", RelatedOnlyFieldListFilter),
        ("scholar__cohort", RelatedOnlyFieldListFilter),
        ("scholar__stream", RelatedOnlyFieldListFilter),
    ]
    search_fields = ["mentor__name", "scholar__name", "reason"]
    date_hierarchy = "start_date"
    list_select_related = ["mentor", "scholar"]

    @admin.display(description="who")
    def person(self, blackout: Blackout):
        if blackout.mentor is not None:
            return mentor_link(blackout.mentor)
        scholar = blackout.scholar
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:scholars_scholar_change", args=[scholar.pk]), scholar
        )


class MentorBlackoutsAdmin(CalendarSourcesAdminMixin, MentorAdmin):
    """The mentor page with the mentor's extra hours, blackouts and own calendars under their weekly hours. Mentors sit below
    scholars and cannot import these models, so this app registers the page in place of mentors' own;
    scheduling's mentor page extends this one."""

    inlines = [*MentorAdmin.inlines, MentorExtraHoursInline, MentorBlackoutInline, MentorCalendarSourceInline]


admin.site.unregister(Mentor)
admin.site.register(Mentor, MentorBlackoutsAdmin)


@admin.action(description="Read the selected calendars now", permissions=["staff"])
def read_calendars_now(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[CalendarSource]
) -> None:
    sources = list(queryset)
    for source in sources:
        read_on_worker(source)
    modeladmin.message_user(
        request, f"{len(sources)} calendar{pluralize(len(sources))} to be read in a moment."
    )


@admin.register(CalendarSource)
class CalendarSourceAdmin(ReadOnlyAdmin):
    """Everyone's own calendars and whether they can be read; each person edits theirs on their page."""

    listed_for_mentors = False
    mentor_lookup = "mentor_id"
    list_display = ["owner", "label", "url_hint", "status", "status_detail", "read_at", "failing_since"]
    list_filter = ["status", ("scholar__cohort", RelatedOnlyFieldListFilter)]
    search_fields = ["mentor__name", "scholar__name", "label", "url_hint"]
    list_select_related = ["mentor", "scholar"]
    actions = [read_calendars_now]
