"""Scholars, teams, mentorships, check-ins, blackouts, and people's own calendars."""

from __future__ import annotations

from django.core.exceptions import ValidationError as ModelValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cohort.api_mixins import MeetingInputsViewSetMixin
from cohort.models import MeetingLimits
from cohort.permissions import IsStaff, IsStaffOrReadOnly
from cohort.selectors import mentor_of, scholar_of
from cohort.serializers import MeetingLimitsFields, ModelSerializer, weekdays_field
from cohort.services import meeting_limits_update
from mentors.api import OwnerScopedViewSet, PersonOwnedSerializer
from mentors.models import Mentor
from scholars.calendar_sources import calendar_source_add, calendar_source_remove
from scholars.forms import URL_MAX_LENGTH
from scholars.models import Blackout, CalendarSource, CheckIn, ExtraHours, Mentorship, Scholar, Team
from scholars.roster_csv import COLUMNS, RosterError, RosterRejected
from scholars.selectors import (
    blackouts_for,
    calendar_sources_for,
    check_ins_for,
    extra_hours_for,
    mentorships_for,
    scholars_for,
    teams_for,
)
from scholars.services import check_in_submit, scholar_preferences_update, scholars_bulk_create
from scholars.tasks import read_on_worker


class ScholarSerializer(MeetingLimitsFields, ModelSerializer):
    class Meta:
        model = Scholar
        fields = [
            "id", "name", "slug", "email", "cohort", "stream", "status", "time_zone", "work_start", "work_end",
            "work_days", "left_on", "reminder_offsets_minutes", *MeetingLimits.EDITABLE_FIELDS,
        ]  # fmt: skip


class ScholarViewSet(MeetingInputsViewSetMixin, viewsets.ModelViewSet):
    """Scholars. Staff write; a new cohort, status or leaving date reaches the published meetings at once."""

    serializer_class = ScholarSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["cohort", "stream", "status"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return scholars_for(self.request.user).order_by("name")


class TeamSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "cohort", "mentor", "name", "members"]


class TeamViewSet(MeetingInputsViewSetMixin, viewsets.ModelViewSet):
    """Teams: scholars of one mentor who meet as a group. Staff write; members who join or leave join or leave
    the team's published meetings at once."""

    serializer_class = TeamSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["cohort", "mentor"]

    def get_queryset(self):
        return teams_for(self.request.user).prefetch_related("members").order_by("name")


class MentorshipSerializer(ModelSerializer):
    class Meta:
        model = Mentorship
        fields = ["id", "mentor", "scholar", "role", "start_date", "end_date"]

    def validate(self, attrs: dict) -> dict:
        mentorship = Mentorship(**{**self._current(), **attrs})
        try:
            mentorship.clean()
        except ModelValidationError as error:
            raise ValidationError(error.message_dict) from error
        return attrs

    def _current(self) -> dict:
        fields = ("mentor", "scholar", "role", "start_date", "end_date")
        return {f: getattr(self.instance, f) for f in fields} if self.instance else {}


class MentorshipViewSet(MeetingInputsViewSetMixin, viewsets.ModelViewSet):
    """Who mentors whom, primary or co-mentor, and between which dates. Staff write; the published meetings follow
    at once."""

    serializer_class = MentorshipSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["mentor", "scholar", "role"]

    def get_queryset(self):
        return mentorships_for(self.request.user).order_by("scholar", "role")


class CheckInSerializer(ModelSerializer):
    class Meta:
        model = CheckIn
        fields = [
            "id",
            "scholar",
            "week_start",
            "progress",
            "blockers",
            "next_steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["scholar", "created_at", "updated_at"]


class CheckInViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scholars submit their own check-ins (a second one for the same week edits it); mentors and staff read."""

    serializer_class = CheckInSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["scholar", "week_start"]
    ordering_fields = ["week_start"]

    def get_queryset(self):
        return check_ins_for(self.request.user).order_by("-week_start")

    @extend_schema(request=CheckInSerializer, responses={201: CheckInSerializer})
    def create(self, request, *args, **kwargs) -> Response:
        scholar = scholar_of(request.user)
        if scholar is None:
            raise PermissionDenied("Only scholars write check-ins.")
        data = CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            check_in = check_in_submit(scholar=scholar, **data.validated_data)
        except ModelValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(CheckInSerializer(check_in).data, status=status.HTTP_201_CREATED)


class BlackoutSerializer(PersonOwnedSerializer):
    class Meta:
        model = Blackout
        fields = ["id", "mentor", "scholar", "start_date", "end_date", "start_time", "end_time", "reason"]
        extra_kwargs = {"mentor": {"required": False}, "scholar": {"required": False}}


class BlackoutViewSet(MeetingInputsViewSetMixin, OwnerScopedViewSet):
    """Days away of a mentor or a scholar, whole or (with start_time and end_time, in their zone) part of each day.
    Mentors and scholars write their own, staff anyone's (naming the mentor or the scholar); meetings then are
    cancelled at once (a group meeting is missed only by whoever is away) and come back when the time away is
    lifted."""

    serializer_class = BlackoutSerializer
    filterset_fields = ["mentor", "scholar"]
    owner_fields = ("mentor", "scholar")

    def get_queryset(self):
        return blackouts_for(self.request.user).order_by("start_date")


class ExtraHoursSerializer(PersonOwnedSerializer):
    class Meta:
        model = ExtraHours
        fields = ["id", "mentor", "scholar", "date", "start_time", "end_time", "note"]
        extra_kwargs = {"mentor": {"required": False}, "scholar": {"required": False}}


class ExtraHoursViewSet(MeetingInputsViewSetMixin, OwnerScopedViewSet):
    """Hours on one date a mentor or a scholar can meet beyond their weekly ones, in their own zone. Mentors and
    scholars write their own, staff anyone's (naming the mentor or the scholar); plans, moves and the checks of
    published meetings count them."""

    serializer_class = ExtraHoursSerializer
    filterset_fields = ["mentor", "scholar", "date"]
    owner_fields = ("mentor", "scholar")

    def get_queryset(self):
        return extra_hours_for(self.request.user).order_by("date", "start_time", "pk")


# A roster of a thousand scholars is well under this; anything bigger is not a roster.
MAX_ROSTER_BYTES = 1024 * 1024


class CsvParser(BaseParser):
    """A raw ``text/csv`` body, as bytes (at most one byte more than the limit, so the view can refuse it)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read(MAX_ROSTER_BYTES + 1)


class RosterUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"UTF-8 CSV with a header line; columns: {', '.join(COLUMNS)} "
        "(name, email, cohort and stream required; cohort, stream, mentor and co_mentor are slugs)."
    )


class RosterProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="Line in the file (the header is line 1).")
    field = serializers.CharField(allow_null=True, help_text="The column, if the problem is in one.")
    reason = serializers.CharField()


class RosterRejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RosterProblemSerializer(many=True)


class ScholarsCreatedSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    scholars = ScholarSerializer(many=True)


class ScholarBulkCreateView(APIView):
    """Create scholars from a CSV roster: every row, or (with a 400 listing every bad row) none."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser, CsvParser]

    @extend_schema(
        request={"multipart/form-data": RosterUploadSerializer, "text/csv": OpenApiTypes.STR},
        responses={
            201: ScholarsCreatedSerializer,
            400: OpenApiResponse(RosterRejectedSerializer, description="Nothing was created."),
        },
    )
    def post(self, request) -> Response:
        data = self._roster_bytes(request)
        if isinstance(data, RosterError):
            return self._rejected([data])
        try:
            scholars = scholars_bulk_create(data=data, by=request.user)
        except RosterRejected as rejected:
            return self._rejected(rejected.errors)
        return Response(
            {"count": len(scholars), "scholars": ScholarSerializer(scholars, many=True).data},
            status=status.HTTP_201_CREATED,
        )

    @staticmethod
    def _roster_bytes(request) -> bytes | RosterError:
        if request.content_type.startswith(CsvParser.media_type):
            data = request.data if isinstance(request.data, bytes) else b""
        else:
            upload = RosterUploadSerializer(data=request.data)
            if not upload.is_valid():
                return RosterError(None, "file", " ".join(map(str, upload.errors["file"])))
            data = upload.validated_data["file"].read(MAX_ROSTER_BYTES + 1)
        if len(data) > MAX_ROSTER_BYTES:
            return RosterError(None, "file", f"At most {MAX_ROSTER_BYTES // 1024} KiB per roster.")
        return data

    @staticmethod
    def _rejected(errors: list[RosterError]) -> Response:
        lines = len({e.line for e in errors})
        return Response(
            {
                "detail": f"{lines} line(s) of the roster have problems; no scholar was created.",
                "errors": [e.as_dict() for e in errors],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )


class ScholarPreferencesSerializer(serializers.Serializer):
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/London.")
    work_start = serializers.TimeField(help_text="Start of working hours, in your zone.")
    work_end = serializers.TimeField(help_text="End of working hours, in your zone.")
    work_days = serializers.ListField(child=serializers.IntegerField(), help_text="0 = Monday … 6 = Sunday.")
    reminder_offsets_minutes = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Minutes before each meeting at which to be reminded: distinct, 1 to 10080, at most 5.",
    )


class MyPreferencesView(APIView):
    """The calling scholar's own time zone, working hours and reminders; changing them moves pending reminders."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ScholarPreferencesSerializer})
    def get(self, request) -> Response:
        return Response(ScholarPreferencesSerializer(self._scholar(request)).data)

    @extend_schema(request=ScholarPreferencesSerializer, responses={200: ScholarPreferencesSerializer})
    def patch(self, request) -> Response:
        scholar = self._scholar(request)
        changes = ScholarPreferencesSerializer(data=request.data, partial=True)
        changes.is_valid(raise_exception=True)
        try:
            scholar = scholar_preferences_update(scholar=scholar, by=request.user, **changes.validated_data)
        except ModelValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(ScholarPreferencesSerializer(scholar).data)

    @staticmethod
    def _scholar(request) -> Scholar:
        scholar = scholar_of(request.user)
        if scholar is None:
            raise PermissionDenied("Only scholars have preferences here.")
        return scholar


class ScholarLimitsSerializer(MeetingLimitsFields, ModelSerializer):
    class Meta:
        model = Scholar
        fields = list(MeetingLimits.EDITABLE_FIELDS)

    def validate(self, attrs: dict) -> dict:
        # The schema is the mentor's (a superset): a scholar sending a mentor's field is told, not ignored.
        if "preferred_weekdays" in self.initial_data and "preferred_weekdays" not in self.fields:
            raise ValidationError(
                {
                    "preferred_weekdays": [
                        "Preferred days are a mentor's, for the meetings they hold; give the days you cannot meet "
                        "as meeting_free_days."
                    ]
                }
            )
        return super().validate(attrs)


class MentorLimitsSerializer(ScholarLimitsSerializer):
    preferred_weekdays = weekdays_field(
        "Days plans lean to for the meetings the mentor holds: 0 = Monday … 6 = Sunday, in their time zone."
    )

    class Meta:
        model = Mentor
        fields = list(Mentor.EDITABLE_FIELDS)


class MyLimitsView(APIView):
    """The calling mentor's or scholar's own limits on meetings, in their time zone (empty: no limit). Plans keep
    every one (the buffer around busy times in their own calendar where they can); a change reaches the next plan,
    and nothing published moves."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MentorLimitsSerializer})
    def get(self, request) -> Response:
        person, serializer = self._person(request)
        return Response(serializer(person).data)

    @extend_schema(request=MentorLimitsSerializer, responses={200: MentorLimitsSerializer})
    def patch(self, request) -> Response:
        person, serializer = self._person(request)
        changes = serializer(person, data=request.data, partial=True)
        changes.is_valid(raise_exception=True)
        try:
            person = meeting_limits_update(person=person, by=request.user, **changes.validated_data)
        except ModelValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(serializer(person).data)

    @staticmethod
    def _person(request) -> tuple[Mentor | Scholar, type[MentorLimitsSerializer]]:
        if mentor := mentor_of(request.user):
            return mentor, MentorLimitsSerializer
        if scholar := scholar_of(request.user):
            return scholar, ScholarLimitsSerializer
        raise PermissionDenied("Only mentors and scholars have limits here; staff set them on the person.")


class CalendarSourceSerializer(ModelSerializer):
    url = serializers.CharField(
        write_only=True,
        max_length=URL_MAX_LENGTH,
        help_text="The calendar's secret iCalendar address (https:// or webcal://). Never returned: see url_hint.",
    )

    class Meta:
        model = CalendarSource
        fields = [
            "id", "mentor", "scholar", "label", "url", "url_hint", "status", "status_detail", "checked_at",
            "read_at", "failing_since",
        ]  # fmt: skip
        read_only_fields = ["mentor", "scholar"]


class CalendarSourceViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """People's own calendars, read on a worker for the times they are busy (plans avoid them; published meetings
    they clash with are flagged, never moved). A mentor or a scholar adds and removes their own; staff see and
    remove anyone's. To change an address, remove the calendar and add it again."""

    serializer_class = CalendarSourceSerializer
    filterset_fields = ["mentor", "scholar", "status"]

    def get_queryset(self):
        return calendar_sources_for(self.request.user).order_by("pk")

    def perform_create(self, serializer) -> None:
        owner = mentor_of(self.request.user) or scholar_of(self.request.user)
        if owner is None:
            raise PermissionDenied(
                "Mentors and scholars add their own calendars here; staff add one on the person's admin page."
            )
        try:
            source = calendar_source_add(owner=owner, **serializer.validated_data)
        except ModelValidationError as error:
            raise ValidationError(error.message_dict) from error
        read_on_worker(source)
        serializer.instance = source

    def perform_destroy(self, instance: CalendarSource) -> None:
        calendar_source_remove(instance)
