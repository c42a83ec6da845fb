"""Series (plans write them; here only where they happen is set) and meetings, which staff and mentors move,
cancel or mark here.

Every move, cancellation and mark goes through ``scheduling.services.meeting_edits``, so reminders and feeds
follow it and the audit trail records who; the private notes are edited in place (they shape no meeting).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from cohort.admin_access import (
    DefaultChoiceFilter,
    ReadOnlyAdmin,
    ReadOnlyInline,
    RoleScopedAdmin,
    render_in_time_zone,
)
from cohort.cadence import every_weeks
from cohort.dates import WEEKDAY_NAMES
from cohort.selectors import is_staff_role
from scheduling.admin.actions import local_time
from scheduling.models import CalendarClash, Meeting, MeetingSeries
from scheduling.services.meeting_edits import (
    meeting_cancel,
    meeting_mark,
    meeting_move,
    series_cancel_rest,
    series_place_set,
)

EDITABLE_MEETING = (Meeting.Status.SCHEDULED, Meeting.Status.MOVED)


class MeetingInline(ReadOnlyInline):
    model = Meeting
    fields = ["starts_at", "ends_at", "status", "version"]
    readonly_fields = fields
    show_change_link = True


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(RoleScopedAdmin):
    mentor_lookup = "mentor_id"
    list_display = ["title", "cohort", "mentor", "kind", "rhythm", "status"]
    list_filter = [
        ("cohort", RelatedOnlyFieldListFilter),
        ("mentor", RelatedOnlyFieldListFilter),
        "kind",
        "status",
    ]
    search_fields = ["title", "mentor__name", "scholars__name"]
    list_select_related = ["cohort", "mentor"]
    inlines = [MeetingInline]
    actions = ["cancel_rest"]
    # Where it happens is the one thing set on this page (by staff, or the mentor on their own series, both with the
    # change permission); plans and meeting edits write the rest.
    fields = [
        "title", "cohort", "mentor", "team", "scholars", "kind", "demand_key", "rhythm", "week_parity", "rrule",
        "starts_on", "ends_on", "status", "uid", "version", "plan_run", "meeting_place",
    ]  # fmt: skip
    readonly_fields = [field for field in fields if field != "meeting_place"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: MeetingSeries | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MeetingSeries, form, change: bool) -> None:
        series_place_set(series=obj, place=form.cleaned_data["meeting_place"], by=request.user)

    @admin.display(description="when")
    def rhythm(self, series: MeetingSeries) -> str:
        return (
            f"{WEEKDAY_NAMES[series.weekday]} {series.start_time:%H:%M} ({series.time_zone}), "
            f"{every_weeks(series.interval_weeks)}, "
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

    def _mark_each(self, request: HttpRequest, meetings: QuerySet[Meeting], status: str, done: str) -> None:
        self._each(request, meetings, lambda m: meeting_mark(meeting=m, status=status, by=request.user), done)

    @admin.action(description="Mark the selected meetings held", permissions=["change"])
    def mark_held(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        self._mark_each(request, queryset, Meeting.Status.HELD, "held")

    @admin.action(description="Mark the selected meetings missed", permissions=["change"])
    def mark_missed(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        self._mark_each(request, queryset, Meeting.Status.MISSED, "marked missed")

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


@admin.register(CalendarClash)
class CalendarClashAdmin(ReadOnlyAdmin):
    """Meetings that an attendee's own calendar shows them busy for: flagged, never moved by cohortops. Move the
    meeting from its page; the clash resolves itself when it no longer holds."""

    mentor_lookup = "meeting__series__mentor_id"
    list_display = ["meeting_link", "person", "busy_starts_at", "busy_ends_at", "created_at", "resolved_at"]
    list_filter = [
        ("resolved_at", admin.EmptyFieldListFilter),
        ("meeting__series__cohort", RelatedOnlyFieldListFilter),
    ]
    search_fields = ["mentor__name", "scholar__name", "meeting__series__title"]
    list_select_related = ["meeting__series", "mentor", "scholar"]

    @admin.display(description="meeting", ordering="meeting__starts_at")
    def meeting_link(self, clash: CalendarClash):
        url = reverse("admin:scheduling_meeting_change", args=[clash.meeting_id])
        return format_html('<a href="{}">{}</a>', url, clash.meeting)
