"""The data migration that rewrites stored legacy zone names, run on real rows saved before zones were checked."""

import importlib

import pytest
from django.apps import apps

from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.models import MeetingSeries
from scholars.models import Scholar
from tests.factories import CohortFactory, MeetingSeriesFactory, MentorFactory, ScholarFactory

migration = importlib.import_module("scheduling.migrations.0005_canonical_time_zones")

pytestmark = pytest.mark.django_db


def test_legacy_aliases_become_their_canonical_zone_and_abbreviations_are_left_for_staff():
    cohort = CohortFactory()
    mentor = MentorFactory()
    scholar = ScholarFactory(cohort=cohort)
    series = MeetingSeriesFactory(mentor=mentor, cohort=cohort, scholars=[scholar])
    # Saved as rows were before zones were validated: update() runs no validator.
    Cohort.objects.filter(pk=cohort.pk).update(time_zone="GB")
    Mentor.objects.filter(pk=mentor.pk).update(time_zone="US/Eastern")
    Scholar.objects.filter(pk=scholar.pk).update(time_zone="EST")
    MeetingSeries.objects.filter(pk=series.pk).update(time_zone="US/Pacific")

    migration.canonical_time_zones(apps, schema_editor=None)

    assert [
        Cohort.objects.get(pk=cohort.pk).time_zone,
        Mentor.objects.get(pk=mentor.pk).time_zone,
        Scholar.objects.get(pk=scholar.pk).time_zone,
        MeetingSeries.objects.get(pk=series.pk).time_zone,
    ] == ["Europe/London", "America/New_York", "EST", "America/Los_Angeles"]
