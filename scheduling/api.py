"""Meeting series, meetings and their edits, plan runs, pair health findings, feedback after meetings,
notifications, webhook endpoints, the caller's own page and feed links."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as ModelValidationError
from django.db import models
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cohort.cached_answers import CachedListMixin, cached_answer
from cohort.filters import IdFilter, IdFilterSet, InstantFilter, StrictBooleanFilter
from cohort.models import Cohort
from cohort.pagination import KeysetPagination, PreparedList, PreparedListMixin
from cohort.permissions import IsStaff
from cohort.renderers import JSONRenderer
from cohort.selectors import cohorts_for, is_staff_role, mentor_of, reader_of, scholar_of
from cohort.serializers import InstantInUtcField, JsonCharField, ModelSerializer
from scheduling.calendar_events import meeting_calendar
from scheduling.feed_tokens import feed_status_for, feed_token_rotate, own_feed_owner
from scheduling.feeds.scopes import FEED_SCOPES
from scheduling.models import (
    CalendarClash,
    FeedToken,
    HealthFinding,
    Meeting,
    MeetingFeedback,
    MeetingSeries,
    Notification,
    PlanRun,
    WebhookEndpoint,
    WebhookEvent,
)
from scheduling.reports import Scope, UnknownScope, cohort_report
from scheduling.selectors import (
    LISTED_MEETING_COLUMNS,
    MEETING_LIST_ORDER,
    ListedMeeting,
    clashes_for,
    feedback_for,
    health_findings_for,
    listed_meetings,
    meetings_editable_by,
    meetings_for,
    meetings_listed_to,
    notifications_for,
    series_for,
    upcoming_listed_for,
)
from scheduling.services.feedback import meeting_feedback_give
from scheduling.services.health import finding_acknowledge, finding_resolve
from scheduling.services.meeting_edits import meeting_cancel, meeting_mark, meeting_move, series_place_set
from scheduling.services.planning import PlanNotApplicable, plan_apply
from scheduling.services.webhooks import (
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
)
from scheduling.tasks import plan_on_worker


def _as_api_error(error: ModelValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class MeetingSeriesSerializer(ModelSerializer):
    place = serializers.CharField(
        read_only=True, help_text="Where its meetings happen: meeting_place, or else the mentor's own place."
    )

    class Meta:
        model = MeetingSeries
        fields = [
            "id", "cohort", "mentor", "team", "scholars", "kind", "title", "uid", "weekday", "start_time",
            "duration_minutes", "time_zone", "interval_weeks", "rrule", "starts_on", "ends_on", "status", "version",
            "meeting_place", "place",
        ]  # fmt: skip
        read_only_fields = [field for field in fields if field != "meeting_place"]


class MeetingSeriesViewSet(CachedListMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Published recurring meetings. Staff and the series' mentor set where it happens (PATCH ``meeting_place``,
    a video link or a room; empty: the mentor's own place): every series of the same meeting takes it, and a
    re-plan keeps it. Nothing else of a series is written here: plans and meeting edits do that."""

    serializer_class = MeetingSeriesSerializer
    filterset_fields = ["cohort", "mentor", "kind", "status"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return (
            series_for(self.request.user).select_related("mentor").prefetch_related("scholars").order_by("pk")
        )

    def update(self, request, *args, **kwargs) -> Response:
        # Visible but not theirs (a scholar's series, a co-mentor's) is a 403 before anything is read from the body.
        series = self.get_object()
        mentor = mentor_of(request.user)
        if not is_staff_role(request.user) and (mentor is None or series.mentor_id != mentor.pk):
            self.permission_denied(request, message="Only staff and the series' mentor set where it happens.")
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer) -> None:
        if "meeting_place" not in serializer.validated_data:
            return  # nothing else of a series is written here
        try:
            serializer.instance = series_place_set(
                series=serializer.instance,
                place=serializer.validated_data["meeting_place"],
                by=self.request.user,
            )
        except ModelValidationError as error:
            raise ValidationError(error.message_dict) from error


class MeetingSerializer(ModelSerializer):
    time_zone = serializers.CharField(source="series.time_zone", read_only=True)
    title = serializers.CharField(source="series.title", read_only=True)
    private_notes = serializers.SerializerMethodField()
    # Formatting a page's 150 instants in Python took a fifth of its time: the renderer writes them.
    serializer_field_mapping = {
        **ModelSerializer.serializer_field_mapping,
        models.DateTimeField: InstantInUtcField,
    }

    class Meta:
        model = Meeting
        fields = [
            "id", "series", "title", "original_start", "starts_at", "ends_at", "time_zone", "status", "version",
            "private_notes",
        ]  # fmt: skip
        read_only_fields = fields

    def get_private_notes(self, meeting: Meeting) -> str | None:
        return self._notes_for(meeting.private_notes, meeting.series.mentor_id)

    def _notes_for(self, private_notes: str, mentor_id: int) -> str | None:
        """Only staff and the meeting's mentor read private notes."""
        reads_all, reader_mentor_id = self._notes_reader
        return private_notes if reads_all or mentor_id == reader_mentor_id else None

    @cached_property
    def _notes_reader(self) -> tuple[bool, int | None]:
        """Whether the reader sees every meeting's notes, else whose meetings' (once per list, not per row)."""
        user = self.context["request"].user
        mentor = mentor_of(user)
        return is_staff_role(user), mentor.pk if mentor else None

    def to_representation(self, meeting: Meeting | ListedMeeting) -> dict:
        # A list of meetings is the API's largest answer: it reads its meetings as rows (``listed_meetings``), not
        # model instances, and writes them without DRF's per-field dispatch, giving exactly what the declared
        # fields give for the meeting (tests/api/test_api.py compares the three).
        row = listed_row(meeting) if isinstance(meeting, Meeting) else meeting
        return {
            "id": row.pk,
            "series": row.series,
            "title": row.series__title,
            # As InstantInUtcField gives them: a meeting just moved holds the zone it was moved in.
            "original_start": row.original_start.astimezone(dt.UTC),
            "starts_at": row.starts_at.astimezone(dt.UTC),
            "ends_at": row.ends_at.astimezone(dt.UTC),
            "time_zone": row.series__time_zone,
            "status": row.status,
            "version": row.version,
            "private_notes": self._notes_for(row.private_notes, row.series__mentor),
        }


def listed_row(meeting: Meeting) -> ListedMeeting:
    """One meeting read whole (a detail, an edit's answer) as the row a list reads it as."""
    series = meeting.series
    return ListedMeeting(
        pk=meeting.pk,
        series=meeting.series_id,
        series__title=series.title,
        series__time_zone=series.time_zone,
        series__mentor=series.mentor_id,
        original_start=meeting.original_start,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        status=meeting.status,
        version=meeting.version,
        private_notes=meeting.private_notes,
    )


class MeetingFilter(IdFilterSet):
    cohort = IdFilter(field_name="series__cohort")
    # A mentor in two streams, or a series with two scholars, would list a meeting twice through these joins.
    stream = IdFilter(field_name="series__mentor__streams", distinct=True)
    mentor = IdFilter(field_name="series__mentor")
    scholar = IdFilter(field_name="series__scholars", distinct=True)
    starts_after = InstantFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = InstantFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Meeting
        fields = ["cohort", "stream", "mentor", "scholar", "status", "starts_after", "starts_before"]


@extend_schema_field(OpenApiTypes.STR)
class InstantOrWallClockField(serializers.DateTimeField):
    """An ISO 8601 date-time: with a UTC offset it is that instant; without one it stays naive, a wall-clock time
    the move service reads in the meeting's own zone, where it can tell a skipped or repeated hour."""

    def enforce_timezone(self, value):
        return value if timezone.is_naive(value) else super().enforce_timezone(value)


class MoveSerializer(serializers.Serializer):
    starts_at = InstantOrWallClockField(
        help_text="The new start. With an offset (2027-03-02T10:00:00Z, 2027-03-02T11:00:00+01:00) it is that "
        "instant; without one (2027-03-02T11:00) it is wall-clock time in the meeting's time_zone. It must be in "
        "the future, on a day of the cohort outside its breaks, and a time that exists exactly once in the "
        "meeting's zone."
    )
    ends_at = InstantOrWallClockField(
        required=False, help_text="The new end, read like starts_at. Empty: the meeting keeps its length."
    )
    force = serializers.BooleanField(
        default=False,
        help_text="Staff only: move it even outside the mentor's availability, a scholar's working days and "
        "hours, or someone's blackout. Double-bookings and days outside the cohort are never allowed.",
    )
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=500,
        help_text="Why, when forcing: kept in the meeting's private notes.",
    )


class MarkSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[Meeting.Status.HELD, Meeting.Status.MISSED])


class FinishedResponseRenderer(BaseRenderer):
    """Lets a client ask for a file type (Accept or ``?format=``). The file itself is a finished response that skips
    rendering, so what reaches this renderer is an error: it goes out as the JSON it is."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


class CalendarRenderer(FinishedResponseRenderer):
    media_type = "text/calendar"
    format = "ics"


class CsvRenderer(FinishedResponseRenderer):
    media_type = "text/csv"
    format = "csv"


class MeetingViewSet(CachedListMixin, PreparedListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    ordering_fields = ["starts_at"]
    pagination_class = KeysetPagination

    def get_queryset(self):
        meetings = meetings_for(self.request.user).order_by(*MEETING_LIST_ORDER)
        # What a row shows and no more: the list is read most, the rest fetch one meeting whole.
        return listed_meetings(meetings) if self.action == "list" else meetings.select_related("series")

    def prepared_list(self) -> PreparedList:
        reader, person = reader_of(self.request.user)
        return PreparedList(
            key=("meetings", reader),
            rows=lambda: meetings_listed_to(reader),
            fields=LISTED_MEETING_COLUMNS,
            values={"person": person},
            row=ListedMeeting._make,
        )

    def _editable(self, pk) -> Meeting:
        # Visible but not editable (a scholar's own meeting) is a 403; invisible is a 404.
        meeting = self.get_object()
        if not meetings_editable_by(self.request.user).filter(pk=meeting.pk).exists():
            self.permission_denied(
                self.request, message="Only staff and the meeting's mentor change meetings."
            )
        return meeting

    @extend_schema(
        request=MoveSerializer,
        responses={
            200: MeetingSerializer,
            400: OpenApiResponse(
                description="Field name → messages saying why the meeting cannot move there, "
                'e.g. {"starts_at": ["2027-11-07 01:30 happens twice in America/New_York: …"]}.'
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None, format=None) -> Response:
        """Move one meeting; its attendees are told. Staff may force a time outside usual hours, with a reason."""
        meeting = self._editable(pk)
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            meeting = meeting_move(
                meeting=meeting, by=request.user, by_staff=is_staff_role(request.user), **data.validated_data
            )
        except ModelValidationError as error:
            raise _as_api_error(error) from error
        return Response(self.get_serializer(meeting).data)

    @extend_schema(request=None, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, format=None) -> Response:
        try:
            meeting = meeting_cancel(meeting=self._editable(pk), by=request.user)
        except ModelValidationError as error:
            raise _as_api_error(error) from error
        return Response(self.get_serializer(meeting).data)

    @extend_schema(
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The meeting as an RFC 5545 calendar file."
            )
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CalendarRenderer])
    def ics(self, request, pk=None, format=None) -> HttpResponse:
        """Download one meeting's .ics (what the reminder mail attaches), for anyone who can see the meeting."""
        meeting = self.get_object()
        response = HttpResponse(meeting_calendar(meeting), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
        return response

    @extend_schema(request=MarkSerializer, responses={200: MeetingSerializer})
    @action(detail=True, methods=["post"])
    def mark(self, request, pk=None, format=None) -> Response:
        meeting = self._editable(pk)
        data = MarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            meeting = meeting_mark(meeting=meeting, status=data.validated_data["status"], by=request.user)
        except ModelValidationError as error:
            raise _as_api_error(error) from error
        return Response(self.get_serializer(meeting).data)


class PlanDiffSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField())
    moved = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())


class PlanRunSerializer(ModelSerializer):
    class Meta:
        model = PlanRun
        fields = [
            "id",
            "cohort",
            "status",
            "result",
            "diff",
            "error",
            "created_at",
            "finished_at",
            "applied_at",
        ]
        read_only_fields = fields


class CohortPlanView(APIView):
    """Start planning a cohort on a worker; poll the returned plan run until it is solved."""

    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={202: PlanRunSerializer})
    def post(self, request, pk: int) -> Response:
        cohort = get_object_or_404(cohorts_for(request.user), pk=pk)
        run = plan_on_worker(cohort=cohort, requested_by=request.user)
        return Response(PlanRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ReportWeekSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="The week's Monday, in the cohort's zone.")
    demanded = serializers.FloatField(help_text="The cadences' minimum, scaled by the week's meeting days.")
    planned = serializers.IntegerField(help_text="On the calendar and not cancelled.")
    held = serializers.IntegerField()
    not_marked = serializers.IntegerField(help_text="Over, and not marked held or missed.")
    missed = serializers.IntegerField()
    cancelled = serializers.IntegerField(
        help_text="By a person; the cohort's calendar taking a date is not counted."
    )
    ratings = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True, help_text="1 (not useful) to 4 (very useful).")


class CohortReportSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[scope.value for scope in Scope])
    id = serializers.IntegerField(source="key", allow_null=True)
    label = serializers.CharField()
    weeks = ReportWeekSerializer(many=True)
    totals = serializers.DictField()


class ReportQuerySerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[scope.value for scope in Scope], default=Scope.COHORT)
    id = serializers.IntegerField(required=False, help_text="The stream's, mentor's or mentorship's id.")


class CohortReportView(APIView):
    """A cohort's report, week by week: meetings demanded, planned, held, not marked, missed and cancelled, and the
    ratings given; for the cohort, one of its streams, mentors or pairs (``?scope=stream&id=…``; a pair's id is
    its mentorship's). ``?format=csv`` (or ``Accept: text/csv``) gives the same weeks as CSV. Staff only."""

    permission_classes = [IsStaff]
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        parameters=[ReportQuerySerializer],
        responses={
            200: CohortReportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The weeks, one row each."),
        },
    )
    def get(self, request, pk: int, format=None) -> Response:
        cohort = get_object_or_404(cohorts_for(request.user), pk=pk)
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            report = cohort_report(
                cohort=cohort,
                as_of=timezone.now(),
                scope=Scope(query.validated_data["scope"]),
                key=query.validated_data.get("id"),
            )
        except UnknownScope as error:
            raise ValidationError({error.field: [str(error)]}) from error
        if request.accepted_renderer.format == CsvRenderer.format:
            return HttpResponse(report.csv(), content_type="text/csv; charset=utf-8")
        return Response(CohortReportSerializer(report).data)


class PlanRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Plan runs: poll one after starting it from its cohort; apply a solved one."""

    serializer_class = PlanRunSerializer
    permission_classes = [IsStaff]
    filterset_fields = ["cohort", "status"]

    def get_queryset(self):
        return PlanRun.objects.order_by("-created_at")

    @extend_schema(request=None, responses={200: PlanDiffSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None, format=None) -> Response:
        try:
            diff = plan_apply(plan_run=self.get_object(), applied_by=request.user)
        except PlanNotApplicable as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(diff.to_dict())


class CalendarClashSerializer(ModelSerializer):
    class Meta:
        model = CalendarClash
        fields = [
            "id",
            "meeting",
            "mentor",
            "scholar",
            "busy_starts_at",
            "busy_ends_at",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields


class CalendarClashFilter(IdFilterSet):
    open = StrictBooleanFilter(
        field_name="resolved_at",
        lookup_expr="isnull",
        label="true: only open clashes; false: only resolved ones.",
    )

    class Meta:
        model = CalendarClash
        fields = ["meeting", "mentor", "scholar", "open"]


class CalendarClashViewSet(viewsets.ReadOnlyModelViewSet):
    """Published meetings that an attendee's own calendar shows them busy for. Flagged, never acted on; a clash
    resolves itself (``resolved_at``) when the busy time goes or the meeting moves, is cancelled or is over.
    ``?open=true`` lists the open ones."""

    serializer_class = CalendarClashSerializer
    filterset_class = CalendarClashFilter

    def get_queryset(self):
        return clashes_for(self.request.user).order_by("pk")


class HealthFindingSerializer(ModelSerializer):
    rule_label = serializers.CharField(source="get_rule_display", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Empty on a resolved finding: it resolved itself."
    )

    class Meta:
        model = HealthFinding
        fields = [
            "id", "cohort", "rule", "rule_label", "subject", "mentorship", "mentor", "scholar", "summary", "details",
            "status", "opened_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
            "resolution_note", "cleared_at",
        ]  # fmt: skip
        read_only_fields = fields


class HealthFindingFilter(IdFilterSet):
    live = StrictBooleanFilter(
        field_name="cleared_at",
        lookup_expr="isnull",
        label="true: only findings their rule still finds; false: only those the data has cleared.",
    )

    class Meta:
        model = HealthFinding
        fields = ["cohort", "rule", "status", "mentor", "scholar", "live"]


class ResolveSerializer(serializers.Serializer):
    note = JsonCharField(
        required=False, allow_blank=True, max_length=2000, help_text="How it was settled, for the record."
    )


class HealthFindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Pair health findings: pairs and people in trouble, as the cohort's rules found them (no first meeting, below
    the cadence, check-ins missed, many cancellations). Staff see all and acknowledge or resolve them; a mentor
    sees those about their own pairs and scholars. A finding resolves itself (``resolved_by`` empty) when the data
    recovers. ``?live=true`` lists those the rules still find."""

    serializer_class = HealthFindingSerializer
    filterset_class = HealthFindingFilter

    def get_queryset(self):
        return (
            health_findings_for(self.request.user)
            .select_related("acknowledged_by", "resolved_by")
            .order_by("-opened_at", "-pk")
        )

    def _staff_only(self) -> HealthFinding:
        finding = self.get_object()
        if not is_staff_role(self.request.user):
            self.permission_denied(self.request, message="Only staff acknowledge and resolve findings.")
        return finding

    @extend_schema(request=None, responses={200: HealthFindingSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, format=None) -> Response:
        """Staff have seen it and are on it."""
        try:
            finding = finding_acknowledge(finding=self._staff_only(), by=request.user)
        except ModelValidationError as error:
            raise _as_api_error(error) from error
        return Response(self.get_serializer(finding).data)

    @extend_schema(request=ResolveSerializer, responses={200: HealthFindingSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None, format=None) -> Response:
        """Settle it, saying how. It stays resolved while its rule still finds it."""
        finding = self._staff_only()
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            finding = finding_resolve(
                finding=finding, by=request.user, note=data.validated_data.get("note", "")
            )
        except ModelValidationError as error:
            raise _as_api_error(error) from error
        return Response(self.get_serializer(finding).data)


class WebhookEndpointSerializer(ModelSerializer):
    events = serializers.MultipleChoiceField(
        choices=WebhookEvent.choices,
        allow_empty=False,
        error_messages={"empty": "Pick at least one event."},
        help_text="What it hears of; each message's ``type`` is one of these.",
    )
    secret = serializers.SerializerMethodField(
        help_text="The signing secret (``whsec_...``): in the answer to a create or a rotation only, never again."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "name", "url", "events", "cohort", "disable_after_failures", "is_active", "failures_in_a_row",
            "disabled_at", "disabled_reason", "previous_secret_expires_at", "created_at", "secret",
        ]  # fmt: skip
        read_only_fields = [
            "failures_in_a_row", "disabled_at", "disabled_reason", "previous_secret_expires_at", "created_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.STR)
    def get_secret(self, endpoint: WebhookEndpoint) -> str | None:
        return self.context.get("secret")

    def validate_events(self, value: set[str]) -> list[str]:
        return sorted(value)


class RotateSecretSerializer(serializers.Serializer):
    overlap_hours = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=24 * 30,
        help_text="How long the old secret still signs next to the new one (default 24); 0 ends it at once.",
    )


class WebhookEndpointFilter(IdFilterSet):
    is_active = StrictBooleanFilter(label="true: endpoints switched on; false: those switched off.")

    class Meta:
        model = WebhookEndpoint
        fields = ["is_active", "cohort"]


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Integrations' webhook endpoints, for staff. Each hears of the events it picked (meetings planned, moved,
    cancelled, held or missed; mentorships created or ended; pair health findings opened), for one cohort or all,
    as signed POSTs in the Standard Webhooks layout (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``),
    retried with backoff, in order for each meeting. The secret is in the answer to a create or a
    ``rotate-secret`` only. After ``disable_after_failures`` failed attempts in a row the endpoint is switched off
    and staff are mailed; PATCH ``is_active: true`` switches it on and sends what it kept back."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsStaff]
    queryset = WebhookEndpoint.objects.order_by("name", "pk")
    filterset_class = WebhookEndpointFilter

    def perform_create(self, serializer: WebhookEndpointSerializer) -> None:
        try:
            made = endpoint_create(
                endpoint=WebhookEndpoint(**serializer.validated_data), by=self.request.user
            )
        except ModelValidationError as error:
            raise _as_api_error(error) from error
        serializer.instance = made.endpoint
        serializer.context["secret"] = made.secret

    def perform_update(self, serializer: WebhookEndpointSerializer) -> None:
        endpoint = serializer.instance
        changes = {
            name: value
            for name, value in serializer.validated_data.items()
            if getattr(endpoint, name) != value
        }
        try:
            serializer.instance = endpoint_update(endpoint=endpoint, changes=changes, by=self.request.user)
        except ModelValidationError as error:
            raise _as_api_error(error) from error

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        endpoint_delete(endpoint=instance, by=self.request.user)

    @extend_schema(request=RotateSecretSerializer, responses={200: WebhookEndpointSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None, format=None) -> Response:
        """A new secret, in this answer only; the old one signs every message too for ``overlap_hours``."""
        data = RotateSecretSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hours = data.validated_data.get("overlap_hours")
        made = endpoint_secret_rotate(
            endpoint=self.get_object(),
            by=request.user,
            overlap=None if hours is None else dt.timedelta(hours=hours),
        )
        return Response(self.get_serializer(made.endpoint, context={"secret": made.secret}).data)


class MeetingFeedbackSerializer(ModelSerializer):
    rating_label = serializers.CharField(source="get_rating_display", read_only=True)

    class Meta:
        model = MeetingFeedback
        fields = ["id", "meeting", "mentor", "scholar", "rating", "rating_label", "note", "created_at"]
        read_only_fields = ["id", "mentor", "scholar", "rating_label", "created_at"]
        extra_kwargs = {
            "note": {
                "help_text": "Read as check-ins are: by its writer, staff and (a scholar's) their mentors."
            }
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Someone else's meeting is as unknown as one that does not exist.
        self.fields["meeting"].queryset = meetings_for(request.user) if request else Meeting.objects.none()


class MeetingFeedbackViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Ratings (1 not useful … 4 very useful) and notes that attendees give once a meeting is over, once each,
    within 14 days of its end; the mailed link does the same without signing in. Read as check-ins are: staff all,
    a mentor their own and their scholars', a scholar their own."""

    serializer_class = MeetingFeedbackSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["meeting", "rating", "mentor", "scholar"]

    def get_queryset(self):
        return feedback_for(self.request.user).order_by("-created_at", "-pk")

    def create(self, request, *args, **kwargs) -> Response:
        person = scholar_of(request.user) or mentor_of(request.user)
        if person is None:
            self.permission_denied(request, message="Only a meeting's attendees rate it.")
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            feedback = meeting_feedback_give(
                meeting=data.validated_data["meeting"],
                person=person,
                rating=data.validated_data["rating"],
                note=data.validated_data.get("note", ""),
            )
        except ModelValidationError as error:
            raise _as_api_error(error) from error
        return Response(self.get_serializer(feedback).data, status=status.HTTP_201_CREATED)


class NotificationSerializer(ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "channel", "status", "due_at", "sent_at", "meeting", "attempts", "last_error"]
        read_only_fields = fields


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    filterset_fields = ["kind", "status", "channel"]
    ordering_fields = ["due_at"]
    pagination_class = KeysetPagination

    def get_queryset(self):
        return notifications_for(self.request.user).order_by("due_at", "pk")


class FeedStatusSerializer(serializers.Serializer):
    scope = serializers.CharField()
    label = serializers.CharField()
    owner_id = serializers.IntegerField()
    cohort_id = serializers.IntegerField(allow_null=True)
    active = serializers.BooleanField()
    hint = serializers.CharField()
    created_at = InstantInUtcField(allow_null=True)

    def to_representation(self, status: dict) -> dict:
        # /me/ writes these on every call: exactly what the declared fields give (tests/api/test_api.py compares
        # them), without DRF's copy of the fields and dispatch to each, which took a tenth of /me/'s time.
        return {
            "scope": status["scope"],
            "label": status["label"],
            "owner_id": status["owner_id"],
            "cohort_id": status["cohort_id"],
            "active": status["active"],
            "hint": status["hint"],
            "created_at": status["created_at"] and status["created_at"].astimezone(dt.UTC),
        }


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    profile = serializers.DictField(allow_null=True)
    upcoming_meetings = MeetingSerializer(many=True)
    feeds = FeedStatusSerializer(many=True)


class MeView(APIView):
    """The caller: who they are, their next meetings, and the calendar feeds they can subscribe to."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request) -> HttpResponseBase:
        return cached_answer(self, request, lambda: self._me(request))

    def _me(self, request) -> tuple[Response, dt.datetime | None]:
        """The answer, and when it next changes with no write: as the first of the next meetings ends."""
        user = request.user
        mentor, scholar = mentor_of(user), scholar_of(user)
        person = scholar or mentor
        role = (
            "staff"
            if is_staff_role(user) and person is None
            else ("mentor" if mentor else "scholar" if scholar else "user")
        )
        upcoming = upcoming_listed_for(user, now=timezone.now(), limit=20)
        # With no write, this list changes only when one of its meetings ends.
        ends = [meeting.ends_at for meeting in upcoming]
        profile = None
        if person is not None:
            profile = {
                "id": person.pk,
                "name": person.name,
                "email": person.email,
                "time_zone": person.time_zone,
            }
        # One serializer writes every row of a list: DRF would build a list serializer, and a row serializer of its
        # own, for each list on every call, to call what these write themselves.
        meeting_writer, feed_writer = MeetingSerializer(context={"request": request}), FeedStatusSerializer()
        return Response(
            {
                "username": user.get_username(),
                "role": role,
                "profile": profile,
                "upcoming_meetings": [meeting_writer.to_representation(meeting) for meeting in upcoming],
                "feeds": [feed_writer.to_representation(status) for status in feed_status_for(user)],
            }
        ), min(ends, default=None)


class RotateFeedSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=FeedToken.Scope.choices)
    owner_id = serializers.IntegerField()
    cohort_id = serializers.IntegerField(required=False, allow_null=True)


class FeedLinkSerializer(serializers.Serializer):
    scope = serializers.CharField()
    label = serializers.CharField()
    https_url = serializers.URLField()
    webcal_url = serializers.CharField()


class RotateFeedView(APIView):
    """Make a new secret URL for one of the caller's feeds; the previous URL stops working at once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=RotateFeedSerializer, responses={201: FeedLinkSerializer})
    def post(self, request) -> Response:
        data = RotateFeedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scope, owner_id = data.validated_data["scope"], data.validated_data["owner_id"]
        cohort_id = data.validated_data.get("cohort_id")
        own = own_feed_owner(request.user, scope=scope, owner_id=owner_id, cohort_id=cohort_id)
        if own is not None:
            owner, cohort = own
        elif not is_staff_role(request.user):
            return Response({"detail": "No such feed of yours."}, status=status.HTTP_404_NOT_FOUND)
        else:
            kind = FEED_SCOPES[scope]
            owner = kind.owner_model.objects.filter(pk=owner_id).first()
            if owner is None:
                return Response({"owner_id": ["No such owner."]}, status=status.HTTP_400_BAD_REQUEST)
            cohort = None
            if kind.per_cohort:
                cohort = Cohort.objects.filter(pk=cohort_id).first()
                if cohort is None:
                    return Response(
                        {"cohort_id": ["A stream feed needs its cohort."]}, status=status.HTTP_400_BAD_REQUEST
                    )
        link = feed_token_rotate(owner=owner, by=request.user, cohort=cohort)
        return Response(FeedLinkSerializer(link).data, status=status.HTTP_201_CREATED)
