"""Every date or time default of the project's models passes Django's system checks on any day, at any time."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.db import models

from cohort.models import Cohort
from scholars.models import Scholar

ROOT = Path(__file__).resolve().parents[2]
DATE_AND_TIME_DEFAULTS = [
    field
    for config in apps.get_app_configs()
    if Path(config.path).parent == ROOT  # the project's own apps, not Django's in the virtual environment
    for model in config.get_models()
    for field in model._meta.concrete_fields
    if isinstance(field, models.DateField | models.TimeField) and field.has_default()
]


def the_default_as_an_instant(field: models.Field) -> dt.datetime:
    default = field.get_default()
    if isinstance(default, dt.datetime):
        return default
    if isinstance(default, dt.date):
        return dt.datetime.combine(default, dt.time(12), dt.UTC)
    return dt.datetime.combine(dt.date(2026, 12, 3), default, dt.UTC)


def test_the_defaults_checked_include_the_working_and_usual_hours():
    assert {f"{field.model.__name__}.{field.name}" for field in DATE_AND_TIME_DEFAULTS} >= {
        "Scholar.work_start",
        "Scholar.work_end",
        "Cohort.usual_hours_start",
        "Cohort.usual_hours_end",
    }
    assert (Scholar().work_start, Scholar().work_end) == (dt.time(9), dt.time(17))
    assert (Cohort().usual_hours_start, Cohort().usual_hours_end) == (dt.time(9), dt.time(18))


@pytest.mark.parametrize(
    "field", DATE_AND_TIME_DEFAULTS, ids=lambda field: f"{field.model.__name__}.{field.name}"
)
def test_a_default_is_no_mistaken_now_even_when_the_clock_reads_it(field):
    # Django takes a fixed date or time default near its clock (UTC here) for a mistaken "now" (fields.W161): the
    # clock reads the default itself, three seconds on.
    with time_machine.travel(the_default_as_an_instant(field) + dt.timedelta(seconds=3), tick=False):
        warnings = field.check()

    assert [warning.id for warning in warnings] == []
