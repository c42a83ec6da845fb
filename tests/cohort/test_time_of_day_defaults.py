"""Every time-of-day default of the project's models passes Django's system checks at any time of day."""

import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.utils import timezone

from cohort.models import Cohort
from scholars.models import Scholar

PROJECT_APPS = {"cohort", "mentors", "scholars", "scheduling"}
TIME_DEFAULTS = [
    field
    for model in apps.get_models()
    if model._meta.app_label in PROJECT_APPS
    for field in model._meta.concrete_fields
    if isinstance(field, models.TimeField) and field.has_default()
]


def test_the_time_defaults_include_the_working_and_usual_hours():
    assert {f"{field.model.__name__}.{field.name}" for field in TIME_DEFAULTS} >= {
        "Scholar.work_start",
        "Scholar.work_end",
        "Cohort.usual_hours_start",
        "Cohort.usual_hours_end",
    }
    assert (Scholar().work_start, Scholar().work_end) == (dt.time(9), dt.time(17))
    assert (Cohort().usual_hours_start, Cohort().usual_hours_end) == (dt.time(9), dt.time(18))


@pytest.mark.parametrize("field", TIME_DEFAULTS, ids=lambda field: f"{field.model.__name__}.{field.name}")
def test_a_time_default_is_no_mistaken_now_even_at_that_time(field):
    # Django takes a fixed time default within ten seconds of its naive clock for a mistaken "now" (fields.W161):
    # the clock here reads the default's own time, three seconds on.
    at_the_default = dt.datetime.combine(
        dt.date(2026, 12, 3), field.get_default(), timezone.get_default_timezone()
    )
    with time_machine.travel(at_the_default + dt.timedelta(seconds=3), tick=False):
        warnings = field.check()

    assert [warning.id for warning in warnings] == []
