"""The base every model serializer of the API builds on."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers


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


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: JsonCharField,
        models.TextField: JsonCharField,
        models.SlugField: JsonSlugField,
        models.EmailField: JsonEmailField,
        models.URLField: JsonURLField,
    }
