"""Mentors with their cadence and import warnings; mentors' own availability; stream-document imports."""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.generics import RetrieveAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cohort.api_mixins import MeetingInputsViewSetMixin
from cohort.cadence import Cadence
from cohort.models import MeetingLimits
from cohort.permissions import IsStaff, IsStaffOrReadOnly, OwnsOrStaff
from cohort.selectors import is_staff_role, owner_of
from cohort.serializers import MeetingLimitsFields, ModelSerializer
from mentors.models import Availability, ImportWarning, Mentor, StreamImportJob
from mentors.selectors import (
    availability_for,
    import_warnings_for,
    mentors_for,
    stream_import_jobs_for,
)
from mentors.services import cadence_warnings_resolve
from mentors.tasks import import_on_worker


class CadenceField(serializers.JSONField):
    """The cadence as stored, validated as a Cadence on the way in."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return Cadence.from_dict(value).to_dict()
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise serializers.ValidationError(f"Not a valid cadence: {error}") from error


class ImportWarningSerializer(ModelSerializer):
    class Meta:
        model = ImportWarning
        fields = ["id", "stream", "mentor", "code", "message", "source_file", "line", "resolved_at"]
        read_only_fields = fields


class MentorSerializer(MeetingLimitsFields, ModelSerializer):
    cadence = CadenceField(required=False)
    cadence_summary = serializers.SerializerMethodField()
    import_warnings = ImportWarningSerializer(
        many=True, read_only=True, help_text="What the importer asks staff to check; empty for everyone else."
    )

    class Meta:
        model = Mentor
        fields = [
            "id", "name", "slug", "title", "organisation", "summary", "email", "time_zone", "meeting_place",
            "streams", "cadence", "cadence_summary", "cadence_edited_by_staff", "preferred_weekdays",
            "import_warnings", *MeetingLimits.EDITABLE_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["cadence_edited_by_staff"]

    def get_cadence_summary(self, mentor: Mentor) -> str:
        return mentor.cadence_value.describe()

    def update(self, instance: Mentor, validated_data: dict) -> Mentor:
        # As in the admin: only a cadence that changes is an edit, and it settles the warnings and the reader's
        # doubts about it (sending the read cadence back without its "doubts" accepts the reading as it is).
        if "cadence" in validated_data and validated_data["cadence"] != instance.cadence:
            validated_data["cadence"] = replace(
                Cadence.from_dict(validated_data["cadence"]), doubts=()
            ).to_dict()
            validated_data["cadence_edited_by_staff"] = True
            cadence_warnings_resolve(mentor=instance, by=self.context["request"].user)
        return super().update(instance, validated_data)


class MentorViewSet(MeetingInputsViewSetMixin, viewsets.ModelViewSet):
    """Mentors, with the cadence read from their stream document. Staff write; a changed cadence reaches the
    published meetings at once."""

    serializer_class = MentorSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["slug", "streams"]
    search_fields = ["name"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return (
            mentors_for(self.request.user)
            .prefetch_related(
                "streams", Prefetch("import_warnings", queryset=import_warnings_for(self.request.user))
            )
            .order_by("name")
        )


# The fields naming whose a row is.
OWNER_FIELDS = frozenset({"mentor", "scholar"})


class ModelCleanMixin:
    """Run the model's own clean() so the API and the admin give the same field-level messages."""

    def validate(self, attrs: dict) -> dict:
        instance = self.Meta.model(**{**self._current(), **attrs})
        if self.instance is not None:
            instance.pk = self.instance.pk
        try:
            instance.clean()
        except ModelValidationError as error:
            raise ValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from error
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {f: getattr(self.instance, f) for f in self.Meta.fields if f != "id"}


class OwnerScopedViewSet(viewsets.ModelViewSet):
    """A person writes only their own rows: the owner comes from the caller, never from the request body; staff
    name exactly one (``owner_fields``: the kinds of person the rows belong to)."""

    permission_classes = [OwnsOrStaff]
    owner_fields: tuple[str, ...] = ("mentor",)

    def perform_create(self, serializer) -> None:
        named = [field for field in self.owner_fields if serializer.validated_data.get(field)]
        owner = owner_of(self.request.user, self.owner_fields)
        if is_staff_role(self.request.user) and len(named) == 1:
            serializer.save()
        elif owner is not None:
            serializer.save(**{owner[0]: owner[1]})
        else:
            who = " or ".join(self.owner_fields)
            said = f"Say which {who} this belongs to{': only one' if named else ''}."
            raise ValidationError({field: [said] for field in named or self.owner_fields})


class PersonOwnedSerializer(ModelCleanMixin, ModelSerializer):
    """A row that belongs to a person (its ``mentor`` or ``scholar`` field): staff name the person; a mentor's or a
    scholar's rows are always their own."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not is_staff_role(request.user):
            for field in OWNER_FIELDS.intersection(fields):
                fields[field].read_only = True
        return fields

    def validate(self, attrs: dict) -> dict:
        # A change that leaves the row nobody's (staff sending null) is refused here, not by the database.
        owners = OWNER_FIELDS.intersection(self.Meta.fields)
        if self.instance is not None and not any({**self._current(), **attrs}.get(field) for field in owners):
            said = f"Say which {' or '.join(sorted(owners))} this belongs to."
            raise ValidationError({field: [said] for field in sorted(owners & attrs.keys())})
        return super().validate(attrs)

    def _current(self) -> dict:
        current = super()._current()
        request = self.context.get("request")
        # Staff name the owner; only a mentor's or a scholar's own rows are theirs by default.
        caller_owns = request is not None and not is_staff_role(request.user)
        owner = owner_of(request.user, self.Meta.fields) if caller_owns else None
        if owner is not None and not OWNER_FIELDS.intersection(current):
            current[owner[0]] = owner[1]
        return current


class AvailabilitySerializer(PersonOwnedSerializer):
    class Meta:
        model = Availability
        fields = ["id", "mentor", "weekday", "start_time", "end_time"]
        extra_kwargs = {"mentor": {"required": False}}


class AvailabilityViewSet(MeetingInputsViewSetMixin, OwnerScopedViewSet):
    """A mentor's weekly hours, in the mentor's own zone. Mentors write their own, staff anyone's; the published
    meetings follow at once."""

    serializer_class = AvailabilitySerializer
    filterset_fields = ["mentor", "weekday"]

    def get_queryset(self):
        return availability_for(self.request.user).order_by("mentor", "weekday", "start_time")


def too_large(size: int) -> Response:
    """413 for a document over STREAM_DOCUMENT_MAX_BYTES, saying the limit and the size in numbers."""
    limit = settings.STREAM_DOCUMENT_MAX_BYTES
    return Response(
        {
            "detail": f"The document is {size} bytes; at most {limit} bytes are taken.",
            "limit_bytes": limit,
            "size_bytes": size,
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class StreamDocumentUploadSerializer(serializers.Serializer):
    document = serializers.FileField(
        max_length=StreamImportJob._meta.get_field("file_name").max_length,
        help_text="A stream document (UTF-8 text) in the seed format, at most STREAM_DOCUMENT_MAX_BYTES.",
    )


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


class StreamImportJobSerializer(ModelSerializer):
    """A stream document's import: queued, running, done (with its report) or failed (with the error as a 400
    names it: ``document`` and ``line``)."""

    url = serializers.HyperlinkedIdentityField(view_name="stream-document-job")
    report = serializers.SerializerMethodField(help_text="What the import did, once it is done.")
    document = serializers.SerializerMethodField(help_text="Why the document was refused, once it failed.")
    line = serializers.IntegerField(source="error_line", allow_null=True)

    class Meta:
        model = StreamImportJob
        fields = [
            "id",
            "url",
            "status",
            "file_name",
            "created_at",
            "finished_at",
            "report",
            "document",
            "line",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportResultSerializer(allow_null=True))
    def get_report(self, job: StreamImportJob) -> dict | None:
        return job.report if job.status == StreamImportJob.Status.DONE else None

    def get_document(self, job: StreamImportJob) -> list[str] | None:
        if job.status != StreamImportJob.Status.FAILED:
            return None
        return [f"line {job.error_line}: {job.error_reason}" if job.error_line else job.error_reason]


# Room for the multipart envelope around the file, so a request is refused unread only when its file must be over.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class StreamDocumentImportView(APIView):
    """Import one stream document on a worker: answers 202 with the job to poll; the job ends with the import's
    report, or with the line that refused the document (and nothing written)."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=StreamDocumentUploadSerializer,
        responses={
            202: StreamImportJobSerializer,
            413: OpenApiResponse(description="The document is too large."),
        },
    )
    def post(self, request) -> Response:
        # Before the body is read: a request this long cannot hold a document within the limit. A malformed length
        # counts as none, as Django's own parsers take it; the document's own size is checked below anyway.
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.STREAM_DOCUMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
            return too_large(declared)
        upload = StreamDocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        document = upload.validated_data["document"]
        if document.size > settings.STREAM_DOCUMENT_MAX_BYTES:
            return too_large(document.size)
        job = import_on_worker(name=document.name, data=document.read(), requested_by=request.user)
        return Response(
            StreamImportJobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class StreamImportJobView(RetrieveAPIView):
    """Poll a stream document's import: its status, then its report or the error that refused the document."""

    serializer_class = StreamImportJobSerializer
    permission_classes = [IsStaff]

    def get_queryset(self):
        return stream_import_jobs_for(self.request.user)
