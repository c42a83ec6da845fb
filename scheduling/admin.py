"""The scheduling admin: plans and their previews, meetings a mentor moves or cancels, and the delivery log.

Every change to a meeting goes through ``scheduling.services`` so reminders and feeds follow it; series and
notifications are read-only here (plans write series, the dispatcher writes notifications).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from io import StringIO
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from cohort.admin import CohortAdmin
from cohort.admin_access import (
    DefaultChoiceFilter,
    ReadOnlyAdmin,
    ReadOnlyInline,
    RoleScopedAdmin,
    render_in_time_zone,
)
from cohort.dates import WEEKDAY_NAMES
from cohort.models import Cohort
from cohort.selectors import is_staff_role
from mentors.admin import MentorAdmin
from mentors.models import Mentor
from scheduling.feed_tokens import feed_token_revoke, feed_token_rotate
from scheduling.models import DeliveryAttempt, FeedToken, Meeting, MeetingSeries, Notification, PlanRun
from scheduling.services.meeting_edits import meeting_cancel, meeting_mark, meeting_move, series_cancel_rest
from scheduling.services.planning import PlanNotApplicable, plan_apply
from scheduling.tasks import plan_on_worker
from scheduling.week import cohort_week_view
from scholars.admin import ScholarAdmin, TeamAdmin
from scholars.models import Scholar, Team

EDITABLE_MEETING = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED)


def local_time(instant: dt.datetime, zone: str) -> str:
    """A meeting's time as its attendees' calendars show it, with the zone named."""
    return f"{instant.astimezone(ZoneInfo(zone)):%a %d %b %Y %H:%M} ({zone})"


# --- Actions shared with the cohort, mentor, scholar and team admins ------------------------------------------


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
        f"{run.cohort}: plan #{run.pk} applied: {len(diff.added)} series added, {len(diff.moved)} moved, "
        f"{len(diff.removed)} removed, {len(diff.unchanged)} unchanged.",
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


# --- Plans ----------------------------------------------------------------------------------------------------


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
        run = self.get_object(request, object_id)
        if run is None:
            raise Http404("No such plan.")
        if not self.has_staff_permission(request):
            raise PermissionDenied
        apply_plan_run(self, request, run)
        return redirect("admin:scheduling_planrun_change", run.pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_apply"] = (
            obj is not None and obj.status == PlanRun.Status.SOLVED and self.has_staff_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)


# --- Series and meetings --------------------------------------------------------------------------------------


class MeetingInline(ReadOnlyInline):
    model = Meeting
    fields = ["starts_at", "ends_at", "status", "version"]
    readonly_fields = fields
    show_change_link = True


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(ReadOnlyAdmin):
    mentor_lookup = "mentor_id"
    list_display = ["title", "cohort", "mentor", "kind", "rhythm", "status"]
    list_filter = [
        ("cohort", RelatedOnlyFieldListFilter),
        ("stream", RelatedOnlyFieldListFilter),
        ("mentor", RelatedOnlyFieldListFilter),
        "kind",
        "status",
    ]
    search_fields = ["title", "mentor__name", "scholars__name"]
    list_select_related = ["cohort", "mentor"]
    inlines = [MeetingInline]
    actions = ["cancel_rest"]

    @admin.display(description="when")
    def rhythm(self, series: MeetingSeries) -> str:
        every = "every other week" if series.interval_weeks == 2 else "weekly"
        return (
            f"{WEEKDAY_NAMES[series.weekday]} {series.start_time:%H:%M} ({series.time_zone}), {every}, "
            f"{series.duration_minutes} min"
        )

    @admin.action(description="Cancel every meeting from now on", permissions=["staff"])
    def cancel_rest(self, request: HttpRequest, queryset: QuerySet[MeetingSeries]) -> None:
        now = timezone.now()
        for series in queryset:
            cancelled = series_cancel_rest(series=series, from_instant=now, by=request.user)
            self.message_user(
                request, f"{series}: {len(cancelled)} upcoming meetings cancelled.", messages.SUCCESS
            )


class MeetingWhenFilter(DefaultChoiceFilter):
    title = "when"
    parameter_name = "when"
    default = "upcoming"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("past", "Past")]

    def filter_choice(self, queryset: QuerySet, choice: str) -> QuerySet:
        now = timezone.now()
        if choice == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset.filter(starts_at__gte=now)


class WallClockField(forms.SplitDateTimeField):
    """A date and a time as typed, left naive: the move service reads them in the series' zone and says why when
    that zone skips or repeats them."""

    def compress(self, data_list: list) -> dt.datetime | None:
        if not data_list:
            return None
        day, time = data_list
        if day in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return dt.datetime.combine(day, time)


class MeetingMoveForm(forms.Form):
    starts_at = WallClockField(widget=AdminSplitDateTime)
    ends_at = WallClockField(
        widget=AdminSplitDateTime, required=False, help_text="Empty: the meeting keeps its length."
    )
    force = forms.BooleanField(
        required=False,
        label="Move it even outside usual hours",
        help_text="Outside the mentor's availability, a scholar's working days and hours, or a blackout.",
    )
    reason = forms.CharField(
        required=False, max_length=500, help_text="Why, when moving outside usual hours; kept in the notes."
    )

    def __init__(self, *args, zone: str, can_force: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].label = f"New start ({zone})"
        self.fields["ends_at"].label = f"New end ({zone})"
        if not can_force:
            del self.fields["force"], self.fields["reason"]


@admin.register(Meeting)
class MeetingAdmin(RoleScopedAdmin):
    mentor_lookup = "series__mentor_id"
    list_display = ["series", "when", "status", "mentor", "scholars", "version", "changes"]
    list_filter = [
        MeetingWhenFilter,
        "status",
        ("series__cohort", RelatedOnlyFieldListFilter),
        ("series__mentor", RelatedOnlyFieldListFilter),
        "series__kind",
    ]
    search_fields = ["series__title", "series__mentor__name", "series__scholars__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["series__mentor"]
    fields = [
        "series",
        "when",
        "original_start",
        "starts_at",
        "ends_at",
        "status",
        "version",
        "private_notes",
    ]
    readonly_fields = ["series", "when", "original_start", "starts_at", "ends_at", "status", "version"]
    actions = ["cancel_selected", "mark_held", "mark_missed"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        return super().get_queryset(request).prefetch_related("series__scholars")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A deleted meeting would vanish from calendars without a cancellation notice: cancel it instead.
        return False

    @admin.display(description="when", ordering="starts_at")
    def when(self, meeting: Meeting) -> str:
        """In the page's zone (the mentor's own, for a mentor), and in the series' zone when that differs."""
        viewer, series_zone = timezone.get_current_timezone_name(), meeting.series.time_zone
        shown = local_time(meeting.starts_at, viewer)
        if series_zone != viewer:
            shown += f" · {meeting.starts_at.astimezone(ZoneInfo(series_zone)):%H:%M} in {series_zone}"
        return shown

    @admin.display(description="mentor", ordering="series__mentor__name")
    def mentor(self, meeting: Meeting) -> str:
        return meeting.series.mentor.name

    @admin.display(description="scholars")
    def scholars(self, meeting: Meeting) -> str:
        return ", ".join(scholar.name for scholar in meeting.series.scholars.all())

    @admin.display(description="")
    def changes(self, meeting: Meeting) -> str:
        if meeting.status not in EDITABLE_MEETING:
            return ""
        return format_html(
            '<a href="{}">Move</a> · <a href="{}">Cancel</a>',
            reverse("admin:scheduling_meeting_move", args=[meeting.pk]),
            reverse("admin:scheduling_meeting_cancel", args=[meeting.pk]),
        )

    def save_model(self, request: HttpRequest, obj: Meeting, form, change: bool) -> None:
        # Only the notes are edited here; writing every column could undo a move made meanwhile.
        obj.save(update_fields=[*form.changed_data, "updated_at"])

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["meeting_editable"] = (
            obj is not None and obj.status in EDITABLE_MEETING and self.has_change_permission(request, obj)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _each(
        self,
        request: HttpRequest,
        meetings: QuerySet[Meeting],
        change: Callable[[Meeting], object],
        done: str,
    ) -> None:
        changed = 0
        for meeting in meetings:
            try:
                change(meeting)
            except ValidationError as error:
                self.message_user(request, f"{meeting}: {' '.join(error.messages)}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(
                request, f"{changed} meeting{'s' if changed != 1 else ''} {done}.", messages.SUCCESS
            )

    @admin.action(description="Cancel the selected meetings", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        self._each(request, queryset, lambda m: meeting_cancel(meeting=m, by=request.user), "cancelled")

    @admin.action(description="Mark the selected meetings held", permissions=["change"])
    def mark_held(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        self._each(
            request,
            queryset,
            lambda m: meeting_mark(meeting=m, status=Meeting.Status.HELD, by=request.user),
            "held",
        )

    @admin.action(description="Mark the selected meetings missed", permissions=["change"])
    def mark_missed(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        self._each(
            request,
            queryset,
            lambda m: meeting_mark(meeting=m, status=Meeting.Status.MISSED, by=request.user),
            "marked missed",
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name="scheduling_meeting_move",
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="scheduling_meeting_cancel",
            ),
            *super().get_urls(),
        ]

    def _editable_meeting(self, request: HttpRequest, object_id: str) -> Meeting:
        meeting = self.get_object(request, object_id)
        if meeting is None:
            raise Http404("No such meeting.")
        if not self.has_change_permission(request, meeting):
            raise PermissionDenied
        return meeting

    def _edit_page(self, request: HttpRequest, meeting: Meeting, *, title: str, form=None, submit: str):
        return TemplateResponse(
            request,
            "admin/scheduling/meeting/edit_meeting.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": meeting,
                "title": title,
                "when": local_time(meeting.starts_at, meeting.series.time_zone),
                "form": form,
                "submit": submit,
                "editable": meeting.status in EDITABLE_MEETING,
            },
        )

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        meeting = self._editable_meeting(request, object_id)
        # Times are typed and shown in the series' own zone, the one its calendar entries are written in.
        return render_in_time_zone(meeting.series.time_zone, self._move, request, meeting)

    def _move(self, request: HttpRequest, meeting: Meeting) -> HttpResponse:
        zone = meeting.series.time_zone
        staff = is_staff_role(request.user)
        form = MeetingMoveForm(
            request.POST if request.method == "POST" else None,
            zone=zone,
            can_force=staff,
            initial={"starts_at": meeting.starts_at, "ends_at": meeting.ends_at},
        )
        if request.method == "POST" and form.is_valid():
            try:
                moved = meeting_move(
                    meeting=meeting,
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    by=request.user,
                    by_staff=staff,
                    force=form.cleaned_data.get("force", False),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                self.message_user(
                    request,
                    f"{moved.series.title} moved to {local_time(moved.starts_at, zone)}; attendees are told.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:scheduling_meeting_change", args=[meeting.pk]))
        return self._edit_page(
            request, meeting, title=f"Move {meeting.series.title}", form=form, submit="Move"
        )

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        meeting = self._editable_meeting(request, object_id)
        return render_in_time_zone(meeting.series.time_zone, self._cancel, request, meeting)

    def _cancel(self, request: HttpRequest, meeting: Meeting) -> HttpResponse:
        if request.method != "POST":
            return self._edit_page(
                request, meeting, title=f"Cancel {meeting.series.title}?", submit="Yes, cancel it"
            )
        try:
            meeting_cancel(meeting=meeting, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                f"{meeting.series.title} on {local_time(meeting.starts_at, meeting.series.time_zone)} cancelled; "
                "attendees are told.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:scheduling_meeting_change", args=[meeting.pk]))


# --- Notifications: the delivery log -------------------------------------------------------------------------


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["attempted_at", "channel", "recipient", "outcome", "detail"]
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["kind", "channel", "status", "due_at", "recipient", "meeting", "sent_at", "attempts"]
    list_filter = [
        "status",
        "kind",
        "channel",
        ("meeting__series__cohort", RelatedOnlyFieldListFilter),
        ("recipient_mentor", RelatedOnlyFieldListFilter),
    ]
    search_fields = ["dedupe_key", "recipient_email", "recipient_mentor__name", "recipient_scholar__name"]
    date_hierarchy = "due_at"
    list_select_related = ["recipient_mentor", "recipient_scholar", "meeting__series"]
    inlines = [DeliveryAttemptInline]

    @admin.display(description="recipient")
    def recipient(self, notification: Notification) -> str:
        person = notification.recipient_mentor or notification.recipient_scholar
        return person.name if person else notification.recipient_email

    def get_urls(self):
        return [
            path(
                "send-due/",
                self.admin_site.admin_view(require_POST(self.send_due_view)),
                name="scheduling_notification_send_due",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_send_due": self.has_staff_permission(request)}
        return super().changelist_view(request, extra_context)

    def send_due_view(self, request: HttpRequest) -> HttpResponse:
        """Send what is due now from this process, as ``manage.py send_due_notifications`` does."""
        if not self.has_staff_permission(request):
            raise PermissionDenied
        output = StringIO()
        call_command("send_due_notifications", stdout=output)
        self.message_user(request, output.getvalue().strip(), messages.SUCCESS)
        return redirect("admin:scheduling_notification_changelist")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "kind", "channel", "recipient", "outcome", "detail"]
    list_filter = [
        "outcome",
        "channel",
        "notification__kind",
        ("notification__meeting__series__cohort", RelatedOnlyFieldListFilter),
    ]
    search_fields = ["recipient", "detail"]
    date_hierarchy = "attempted_at"
    list_select_related = ["notification"]

    @admin.display(description="kind", ordering="notification__kind")
    def kind(self, attempt: DeliveryAttempt) -> str:
        return attempt.notification.get_kind_display()


# --- Feed tokens ----------------------------------------------------------------------------------------------


@admin.register(FeedToken)
class FeedTokenAdmin(ReadOnlyAdmin):
    list_display = ["scope", "owner", "subscriber", "token_hint", "created_at", "created_by", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "token_hint",
        "scholar__name",
        "mentor__name",
        "team__name",
        "cohort__name",
        "stream__title",
        "subscriber__username",
    ]
    list_select_related = ["scholar", "mentor", "team", "stream", "cohort", "created_by", "subscriber"]
    fields = ["scope", "owner", "subscriber", "token_hint", "created_at", "created_by", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="owner")
    def owner(self, token: FeedToken) -> str:
        owner = token.scholar or token.mentor or token.team or token.cohort
        if token.scope == FeedToken.Scope.STREAM:
            return f"{token.stream} in {token.cohort}"
        return str(owner)

    @admin.action(description="Revoke the selected feed links", permissions=["staff"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[FeedToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            feed_token_revoke(token=token)
        self.message_user(request, "The selected feed links no longer work.", messages.SUCCESS)


# --- Scheduling's part of the cohort, mentor, scholar and team pages --------------------------------------------
# Those apps sit below scheduling and never import it, so their pages gain scheduling's actions (plans, exports,
# the week at a glance, calendar links) here: scheduling registers a subclass of each page in place of the original.


class CohortPlanningAdmin(CohortAdmin):
    list_display = [*CohortAdmin.list_display, "week_link"]
    actions = [plan_cohorts, apply_latest_plans, export_meetings_csv, rotate_feed_links]

    @admin.display(description="week at a glance")
    def week_link(self, cohort: Cohort) -> SafeString:
        return format_html(
            '<a href="{}">This week</a>', reverse("admin:cohort_cohort_week", args=[cohort.pk])
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/week/",
                self.admin_site.admin_view(self.week_view),
                name="cohort_cohort_week",
            ),
            *super().get_urls(),
        ]

    def week_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return cohort_week_view(request, model_admin=self, object_id=object_id)


class MentorCalendarAdmin(MentorAdmin):
    actions = [*MentorAdmin.actions, rotate_feed_links]


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
