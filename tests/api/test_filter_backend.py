import datetime as dt

import pytest
from django_filters import rest_framework as filters
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cohort.filters import IdFilterBackend, IdFilterSet
from cohort.models import Cohort
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db


class CohortFilter(IdFilterSet):
    starts = filters.DateFromToRangeFilter(field_name="start_date")

    class Meta:
        model = Cohort
        fields = ["slug", "starts"]


class FilterSetView:
    filterset_class = CohortFilter


class FieldsView:
    filterset_fields = {"start_date": ["gte"]}


def filtered(view, **params) -> set[Cohort]:
    request = Request(APIRequestFactory().get("/", params))
    return set(IdFilterBackend().filter_queryset(request, Cohort.objects.all(), view))


def test_a_list_asked_for_with_no_filter_is_the_list_as_it_is_and_any_filters_parameter_applies_it():
    early = CohortFactory(start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 3, 26))
    late = CohortFactory(start_date=dt.date(2028, 1, 3), end_date=dt.date(2028, 3, 24))

    assert filtered(FilterSetView()) == filtered(FieldsView()) == {early, late}
    assert filtered(FilterSetView(), unrelated="2028-01-01") == {early, late}
    assert filtered(FilterSetView(), slug=early.slug) == {early}
    # Parameters named after a filter but not the filter's own name: a range's ends, a lookup.
    assert filtered(FilterSetView(), starts_after="2028-01-01") == {late}
    assert filtered(FilterSetView(), starts_before="2027-12-31") == {early}
    assert filtered(FieldsView(), start_date__gte="2028-01-01") == {late}
