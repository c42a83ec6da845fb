"""Cohorts (with phases, breaks and programme events) and streams."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, viewsets

from cohort.api_mixins import MeetingInputsViewSetMixin
from cohort.models import Break, Cohort, Phase, ProgramEvent, Stream
from cohort.permissions import IsStaffOrReadOnly
from cohort.selectors import cohorts_for, streams_for
from cohort.serializers import ModelSerializer


class PhaseSerializer(ModelSerializer):
    class Meta:
        model = Phase
        fields = ["id", "name", "kind", "start_date", "end_date"]


class BreakSerializer(ModelSerializer):
    class Meta:
        model = Break
        fields = ["id", "name", "start_date", "end_date"]


class ProgramEventSerializer(ModelSerializer):
    class Meta:
        model = ProgramEvent
        fields = ["id", "title", "stream", "starts_at", "ends_at", "location", "description"]


class CohortSerializer(ModelSerializer):
    phases = PhaseSerializer(many=True, read_only=True)
    breaks = BreakSerializer(many=True, read_only=True)
    program_events = ProgramEventSerializer(many=True, read_only=True)

    class Meta:
        model = Cohort
        fields = [
            "id", "name", "slug", "start_date", "end_date", "time_zone", "streams",
            "default_meeting_minutes", *Cohort.PLANNING_FIELDS, *Cohort.HEALTH_FIELDS, "phases", "breaks",
            "program_events",
        ]  # fmt: skip

    def validate(self, attrs: dict) -> dict:
        # The model's own rules for its dates, usual hours and cancellation rule, so the API and the admin refuse the same cohorts the
        # same way.
        checked = {
            field: attrs.get(
                field, getattr(self.instance, field, Cohort._meta.get_field(field).get_default())
            )
            for field in (
                "start_date",
                "end_date",
                "usual_hours_start",
                "usual_hours_end",
                "health_cancelled_count",
                "health_cancelled_of_last",
            )
        }
        try:
            Cohort(**checked).clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


class CohortViewSet(MeetingInputsViewSetMixin, viewsets.ModelViewSet):
    """Cohorts with their phases, breaks and events. Staff write; new dates reach the published meetings at once."""

    serializer_class = CohortSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["slug"]
    ordering_fields = ["start_date", "name"]

    def get_queryset(self):
        return (
            cohorts_for(self.request.user)
            .prefetch_related("phases", "breaks", "program_events", "streams")
            .order_by("-start_date")
        )


class StreamSerializer(ModelSerializer):
    class Meta:
        model = Stream
        fields = ["id", "slug", "title", "description", "source_file"]


class StreamViewSet(viewsets.ModelViewSet):
    serializer_class = StreamSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["slug"]
    ordering_fields = ["title"]

    def get_queryset(self):
        return streams_for(self.request.user).order_by("title")
