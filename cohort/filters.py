"""Filtering by related ids: an id nobody has yields an empty list, not a 400."""

import datetime as dt

from django import forms
from django.db import models
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.settings import api_settings

# Database ids are 64-bit: a larger number would overflow the query instead of finding nothing.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """A related object's id: a whole number the database can hold."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UtcInstantField(IsoDateTimeField):
    """An ISO 8601 instant, held in UTC: an offset the database cannot store (-22:19) or an instant outside the
    years a datetime can hold once converted is a 400, not a database error."""

    def to_python(self, value):
        instant = super().to_python(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(
                "%(value)s is outside the range of dates this API stores.",
                code="out_of_range",
                params={"value": value},
            ) from None


class InstantFilter(filters.IsoDateTimeFilter):
    field_class = UtcInstantField


class StrictBooleanField(forms.Field):
    """``true`` or ``false``, as the schema says; anything else is a 400, not a filter silently dropped."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Give true or false.", code="invalid")


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs) -> None:
        # django-filter's own widget turns every other word into "no filter" before the field sees it.
        kwargs.setdefault("widget", forms.TextInput)
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

    def filter_queryset(self, request, queryset: models.QuerySet, view) -> models.QuerySet:
        # A list asked for with no filter is the list as it is (every filter lets an absent value through), without
        # building and validating a form of empty fields: most of the CPU django-filter costs a list (profiled on
        # the meetings list built anew, `bench api`).
        if not asks_for_filter(request, view):
            return queryset
        return super().filter_queryset(request, queryset, view)


def asks_for_filter(request, view) -> bool:
    """Whether the request names one of the view's filters. A parameter that extends a filter's name (a range's
    x_min, a lookup's x__gte) counts as naming it."""
    names = filter_names(view)
    return any(parameter.startswith(name) for parameter in request.query_params for name in names)


def may_narrow(request, view) -> bool:
    """Whether the view's filter backends may narrow or reorder its list for this request. The default backends
    (``DEFAULT_FILTER_BACKENDS``) give a view without a default ``ordering`` its list as it is unless asked for a
    filter, a search or an ordering; other backends, or a default ordering, may change it on any request."""
    if list(view.filter_backends) != api_settings.DEFAULT_FILTER_BACKENDS or getattr(view, "ordering", None):
        return True
    params = request.query_params
    return (
        api_settings.ORDERING_PARAM in params
        or api_settings.SEARCH_PARAM in params
        or asks_for_filter(request, view)
    )


def filter_names(view) -> list[str]:
    """The names of a view's filters (its ``filterset_class``'s, or its ``filterset_fields``). Most read the query
    parameter of their name; some read parameters that extend it (a range filter ``x`` reads ``x_min`` and
    ``x_max``)."""
    filterset = getattr(view, "filterset_class", None)
    return list(filterset.base_filters if filterset else getattr(view, "filterset_fields", ()))


class FieldKeyedSearchFilter(SearchFilter):
    """DRF's search, whose refusal of a search term (a NUL character) names the ``search`` parameter."""

    def get_search_terms(self, request) -> list[str]:
        try:
            return super().get_search_terms(request)
        except ValidationError as error:
            raise ValidationError({self.search_param: error.detail}) from error
