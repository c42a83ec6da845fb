"""Two mentors with everything a mentor owns, logins made by the real service, and clients for each role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django import forms
from django.test import Client
from django.utils import timezone

from cohort.dates import monday_of
from cohort.forms import CadenceField, CadenceWidget
from mentors.models import Availability, Mentor
from mentors.services import mentor_logins_create
from scheduling.models import Meeting, MeetingSeries
from scholars.models import Blackout, CheckIn, Mentorship, Scholar, Team
from tests.factories import (
    AvailabilityFactory,
    BlackoutFactory,
    CheckInFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
    TeamFactory,
)


@dataclass(frozen=True)
class MentorRows:
    """One mentor and one row of each kind the mentor owns."""

    mentor: Mentor
    availability: Availability
    blackout: Blackout
    scholar: Scholar
    mentorship: Mentorship
    team: Team
    check_in: CheckIn
    series: MeetingSeries
    meeting: Meeting


def this_monday() -> dt.date:
    return monday_of(timezone.localdate())


@pytest.fixture
def cohort():
    """A cohort running now, so its meetings lie ahead and can be moved."""
    start = this_monday() - dt.timedelta(weeks=1)
    return CohortFactory(start_date=start, end_date=start + dt.timedelta(weeks=12, days=-3))


def mentor_with_rows(cohort, *, name: str, time_zone: str) -> MentorRows:
    mentor = MentorFactory(name=name, time_zone=time_zone)
    scholar = ScholarFactory(cohort=cohort, name=f"{name}'s scholar")
    series = MeetingSeriesFactory(cohort=cohort, mentor=mentor, title=f"{name} 1-on-1", scholars=[scholar])
    team = TeamFactory(cohort=cohort, mentor=mentor, name=f"{name}'s team")
    team.members.add(scholar)
    return MentorRows(
        mentor=mentor,
        availability=AvailabilityFactory(mentor=mentor),
        blackout=BlackoutFactory(
            mentor=mentor,
            start_date=cohort.start_date + dt.timedelta(weeks=4),
            end_date=cohort.start_date + dt.timedelta(weeks=4, days=2),
            reason=f"{name} away",
        ),
        scholar=scholar,
        mentorship=MentorshipFactory(mentor=mentor, scholar=scholar),
        team=team,
        check_in=CheckInFactory(scholar=scholar, week_start=cohort.start_date, progress=f"{name} progress"),
        series=series,
        meeting=MeetingFactory(
            series=series, starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=7)
        ),
    )


@pytest.fixture
def alice(cohort) -> MentorRows:
    return mentor_with_rows(cohort, name="Alice", time_zone="America/New_York")


@pytest.fixture
def bob(cohort) -> MentorRows:
    return mentor_with_rows(cohort, name="Bob", time_zone="Europe/London")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def mentor_client(rows: MentorRows) -> Client:
    """A client logged in as the mentor, through a login made as staff make them."""
    mentor_logins_create(mentors=[rows.mentor])
    rows.mentor.refresh_from_db()
    return logged_in(rows.mentor.user)


@pytest.fixture
def alice_client(alice) -> Client:
    return mentor_client(alice)


@pytest.fixture
def staff_client(admin_user) -> Client:
    return logged_in(admin_user)


def _form_values(form) -> dict[str, object]:
    values: dict[str, object] = {}
    for bound in form:
        if isinstance(bound.field, CadenceField):
            formset = CadenceWidget.formset_for(bound.html_name, bound.value())
            for part in (formset.management_form, *formset.forms):
                values.update(_form_values(part))
            continue
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                values[bound.html_name] = "on"
        elif isinstance(bound.field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
            # Check boxes and multiple selects: one value per ticked box.
            values[bound.html_name] = [str(choice) for choice in value or []]
        elif value is not None:
            values[bound.html_name] = str(value)
    return values


def posted_back(response) -> dict[str, object]:
    """What a browser would post back unchanged from an admin change page: the form and every inline."""
    values = _form_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        for form in (inline.formset.management_form, *inline.formset.forms):
            values.update(_form_values(form))
    return values
