"""The base every model serializer of the API builds on, and the fields every person with meeting limits adds."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from rest_framework import serializers

from cohort.models import MeetingLimits
from cohort.validators import validate_weekdays


class JsonStringMixin:
    """A JSON string. DRF turns ``0`` into ``"0"``; a client that sends a number where the schema says string
    has a bug worth hearing about, so it gets a field-level 400 instead."""

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonCharField(JsonStringMixin, serializers.CharField):
    pass


class JsonSlugField(JsonStringMixin, serializers.SlugField):
    pass


class JsonEmailField(JsonStringMixin, serializers.EmailField):
    pass


class JsonURLField(JsonStringMixin, serializers.URLField):
    pass


class InstantInUtcField(serializers.DateTimeField):
    """An instant, handed to the renderer as a datetime in UTC: ``cohort.renderers`` writes it as DRF's own field
    would (ISO 8601, "Z"), in C, whatever ``format`` says. Converting a database's instant, already in UTC, costs
    nothing; a datetime in no zone is an error (ValueError), not a guess."""

    def to_representation(self, value: dt.datetime) -> dt.datetime:
        return timezone.localtime(value, dt.UTC)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: JsonCharField,
        models.TextField: JsonCharField,
        models.SlugField: JsonSlugField,
        models.EmailField: JsonEmailField,
        models.URLField: JsonURLField,
    }


def weekdays_field(help_text: str) -> serializers.ListField:
    """Days of the week as a typed list (0 = Monday … 6 = Sunday), each at most once."""
    return serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        validators=[validate_weekdays],
        help_text=help_text,
    )


class MeetingLimitsFields(serializers.Serializer):
    """What every serializer of a person with meeting limits adds to the model's own fields (which carry their
    validators): the days as a typed list, and the model's check that hours end after they start."""

    meeting_free_days = weekdays_field(
        "Days without meetings: 0 = Monday … 6 = Sunday, in the person's time zone."
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)

        def current(field: str) -> object:
            return attrs[field] if field in attrs else getattr(self.instance, field, None)

        try:
            MeetingLimits.check_hours({field: current(field) for field in MeetingLimits.EDITABLE_FIELDS})
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs
