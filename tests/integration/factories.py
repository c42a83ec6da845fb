"""Factories for planned meetings, until the scheduling services write them; used by the notification tests."""

import datetime as dt

import factory

from scheduling.models import Meeting, MeetingSeries
from tests.factories import CohortFactory, MentorFactory


class MeetingSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingSeries
        skip_postgeneration_save = True

    cohort = factory.SubFactory(CohortFactory)
    mentor = factory.SubFactory(MentorFactory)
    kind = "one_on_one"
    demand_key = factory.Sequence(lambda n: f"demand-{n}")
    title = factory.Sequence(lambda n: f"1-on-1 {n}")
    uid = factory.Sequence(lambda n: f"series-{n}@cohortops.test")
    weekday = 0
    start_time = dt.time(10, 0)
    duration_minutes = 60
    time_zone = "Europe/London"
    rrule = "FREQ=WEEKLY;BYDAY=MO"
    starts_on = factory.SelfAttribute("cohort.start_date")
    ends_on = factory.SelfAttribute("cohort.end_date")

    @factory.post_generation
    def scholars(self, create, extracted, **kwargs):
        if create and extracted:
            self.scholars.add(*extracted)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    series = factory.SubFactory(MeetingSeriesFactory)
    starts_at = dt.datetime(2027, 1, 11, 10, 0, tzinfo=dt.UTC)
    original_start = factory.SelfAttribute("starts_at")
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + dt.timedelta(minutes=60))
