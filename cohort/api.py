"""Cohorts (with phases and breaks), streams, and stream-document imports."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cohort.importer import import_stream_documents
from cohort.models import Break, Cohort, ImportWarning, Phase, ProgramEvent, Stream
from cohort.permissions import IsStaff, IsStaffOrReadOnly
from cohort.selectors import cohorts_for, streams_for
from cohort.serializers import ModelSerializer
from cohort.stream_document import StreamDocumentError
from scheduling.models import PlanRun
from scheduling.services.materialise import calendar_inputs_changed
from scheduling.tasks import plan_cohort_task


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
            "default_meeting_minutes", "phases", "breaks", "program_events",
        ]  # fmt: skip

    def validate(self, attrs: dict) -> dict:
        # The model's own rule for its dates, so the API and the admin refuse the same cohorts the same way.
        dates = {
            field: attrs.get(field, getattr(self.instance, field, None))
            for field in ("start_date", "end_date")
        }
        try:
            Cohort(**dates).clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


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


class CohortViewSet(viewsets.ModelViewSet):
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

    def perform_update(self, serializer) -> None:
        with transaction.atomic():
            cohort = serializer.save()
            if {"start_date", "end_date"}.intersection(serializer.validated_data):
                calendar_inputs_changed(cohorts=[cohort])

    @extend_schema(request=None, responses={202: PlanRunSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def plan(self, request, pk=None, format=None) -> Response:
        """Start planning the cohort on a worker; poll the returned plan run until it is solved."""
        cohort = self.get_object()
        run = PlanRun.objects.create(cohort=cohort, requested_by=request.user)
        transaction.on_commit(lambda: plan_cohort_task.delay(run.pk))
        return Response(PlanRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


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


class ImportWarningSerializer(ModelSerializer):
    class Meta:
        model = ImportWarning
        fields = ["id", "stream", "mentor", "code", "message", "source_file", "line", "resolved_at"]
        read_only_fields = fields


class StreamDocumentUploadSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="A stream document (UTF-8 text) in the seed format.")


class ImportedMentorSerializer(serializers.Serializer):
    slug = serializers.CharField()
    outcome = serializers.CharField()
    cadence = serializers.CharField()


class ImportedWarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    stream = serializers.CharField()
    changed = serializers.BooleanField()
    mentors = ImportedMentorSerializer(many=True)
    warnings = ImportedWarningSerializer(many=True)


class StreamDocumentImportView(APIView):
    """Import one stream document: all of it, or (with a 400 naming the line) nothing."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser]

    @extend_schema(request=StreamDocumentUploadSerializer, responses={201: ImportResultSerializer})
    def post(self, request) -> Response:
        upload = StreamDocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        document = upload.validated_data["document"]
        name = Path(document.name).name or "upload.txt"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(document.read())
            try:
                [report] = import_stream_documents([path])
            except StreamDocumentError as error:
                return Response(
                    {"document": [f"line {error.line}: {error.reason}"], "line": error.line},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        return Response(
            {
                "stream": report.stream_slug,
                "changed": report.changed,
                "mentors": [
                    {"slug": m.slug, "outcome": m.outcome, "cadence": m.cadence} for m in report.mentors
                ],
                "warnings": [{"code": w.code, "line": w.line, "message": w.message} for w in report.warnings],
            },
            status=status.HTTP_201_CREATED,
        )
