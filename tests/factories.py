"""One unsurprising factory per model. Tests set only what their behaviour depends on."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.models import Break, Cohort, Phase, ProgramEvent, Stream
from mentors.models import Availability, Mentor
from scheduling.models import Meeting, MeetingSeries
from scholars.models import Blackout, CheckIn, Mentorship, Scholar, Team

# The cadence most tests plan with: one hour-long 1-on-1 a week.
WEEKLY_ONE_ON_ONE = Cadence(
    demands=(MeetingDemand(kind=MeetingKind.ONE_ON_ONE, per_week_min=1, per_week_max=1, duration_minutes=60),)
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class StreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stream

    title = factory.Sequence(lambda n: f"Stream {n}")
    slug = factory.Sequence(lambda n: f"stream-{n}")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    name = factory.Sequence(lambda n: f"Cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    # Ahead of the suite's clock (tests/conftest.py: SUITE_NOW), so a test's cohort has not begun.
    start_date = dt.date(2027, 1, 4)
    end_date = dt.date(2027, 3, 26)
    time_zone = "Europe/London"


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    cohort = factory.SubFactory(CohortFactory)
    name = factory.Sequence(lambda n: f"Phase {n}")
    kind = Phase.Kind.RESEARCH
    start_date = factory.SelfAttribute("cohort.start_date")
    end_date = factory.SelfAttribute("cohort.end_date")


class BreakFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Break

    cohort = factory.SubFactory(CohortFactory)
    name = "Break"
    start_date = dt.date(2027, 2, 15)
    end_date = dt.date(2027, 2, 19)


class MentorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentor

    name = factory.Sequence(lambda n: f"Mentor {n}")
    slug = factory.Sequence(lambda n: f"mentor-{n}")
    email = factory.LazyAttribute(lambda m: f"{m.slug}@example.org")
    time_zone = "Europe/London"


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Availability

    mentor = factory.SubFactory(MentorFactory)
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(17, 0)


class BlackoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Blackout

    mentor = factory.SubFactory(MentorFactory)
    start_date = dt.date(2027, 2, 1)
    end_date = dt.date(2027, 2, 3)
    reason = "Conference"


class ScholarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scholar

    cohort = factory.SubFactory(CohortFactory)
    stream = factory.SubFactory(StreamFactory)
    name = factory.Sequence(lambda n: f"Scholar {n}")
    slug = factory.Sequence(lambda n: f"scholar-{n}")
    email = factory.LazyAttribute(lambda s: f"{s.slug}@example.org")
    time_zone = "Europe/London"
    status = Scholar.Status.RESEARCH


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    cohort = factory.SubFactory(CohortFactory)
    mentor = factory.SubFactory(MentorFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MentorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentorship

    mentor = factory.SubFactory(MentorFactory)
    scholar = factory.SubFactory(ScholarFactory)
    role = Mentorship.Role.PRIMARY


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    scholar = factory.SubFactory(ScholarFactory)
    week_start = dt.date(2027, 1, 11)
    progress = "Reproduced the baseline."


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


class ProgramEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramEvent

    cohort = factory.SubFactory(CohortFactory)
    title = factory.Sequence(lambda n: f"Programme talk {n}")
    starts_at = dt.datetime(2027, 4, 1, 14, 0, tzinfo=dt.UTC)
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + dt.timedelta(hours=2))
    location = "Main hall"


def mentors_sharing_no_scholar(cohort: Cohort, *, mentors: int, scholars_each: int = 3) -> None:
    """Independent parts for the planner: each mentor with weekly 1-on-1s, their own scholars, and hours from 10:00
    every weekday (every other mentor one hour, the rest two)."""
    for index in range(mentors):
        mentor = MentorFactory(cadence=WEEKLY_ONE_ON_ONE.to_dict())
        for day in range(5):
            AvailabilityFactory(
                mentor=mentor, weekday=day, start_time=dt.time(10), end_time=dt.time(11 + index % 2)
            )
        for _ in range(scholars_each):
            MentorshipFactory(mentor=mentor, scholar=ScholarFactory(cohort=cohort))


def token_client(user) -> APIClient:
    """An API client calling as ``user`` with their token (made if they have none)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client
