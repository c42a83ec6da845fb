"""Scholars, teams, mentorships and check-ins."""

from __future__ import annotations

from django.core.exceptions import ValidationError as ModelValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cohort.permissions import (
    IsStaffOrReadOnly,
    check_ins_for,
    mentorships_for,
    scholar_of,
    scholars_for,
    teams_for,
)
from scholars.models import CheckIn, Mentorship, Scholar, Team
from scholars.services import check_in_submit


class ScholarSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scholar
        fields = [
            "id", "name", "slug", "email", "cohort", "stream", "status", "time_zone", "work_start", "work_end",
            "work_days", "left_on", "reminder_offsets_minutes",
        ]  # fmt: skip


class ScholarViewSet(viewsets.ModelViewSet):
    serializer_class = ScholarSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["cohort", "stream", "status"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return scholars_for(self.request.user).order_by("name")


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "cohort", "mentor", "name", "members"]


class TeamViewSet(viewsets.ModelViewSet):
    serializer_class = TeamSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["cohort", "mentor"]

    def get_queryset(self):
        return teams_for(self.request.user).prefetch_related("members").order_by("name")


class MentorshipSerializer(serializers.ModelSerializer):
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


class MentorshipViewSet(viewsets.ModelViewSet):
    serializer_class = MentorshipSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["mentor", "scholar", "role"]

    def get_queryset(self):
        return mentorships_for(self.request.user).order_by("scholar", "role")


class CheckInSerializer(serializers.ModelSerializer):
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
