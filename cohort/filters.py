"""Filtering by related ids: an id nobody has yields an empty list, not a 400."""

from django import forms
from django.db import models
from django_filters import rest_framework as filters

# Database ids are 64-bit: a larger number would overflow the query instead of finding nothing.
MAX_ID = 2**63 - 1


class IdFilter(filters.NumberFilter):
    """A related object's id: a whole number the database can hold."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilterSet(filters.FilterSet):
    # django-filter's default for a relation is a choice field that rejects unknown ids; a filter should just
    # find nothing.
    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
        models.ManyToManyField: {"filter_class": IdFilter},
    }


class IdFilterBackend(filters.DjangoFilterBackend):
    filterset_base = IdFilterSet
