"""The week at a glance: meetings per mentor in the chosen zone, who is behind, what was not placed, the chart."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import Meeting, PlanRun
from scheduling.selectors import cohort_week
from scheduling.services.planning import plan_cohort
from scheduling.week_plot import WeekCount, week_plot
from tests.factories import (
    WEEKLY_ONE_ON_ONE,
    AvailabilityFactory,
    BreakFactory,
    CohortFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    MentorFactory,
    MentorshipFactory,
    ScholarFactory,
)

UTC = dt.UTC
WEEK = dt.date(2027, 1, 11)  # a Monday of the factory cohort (4 Jan to 26 Mar 2027, Europe/London)


def mentor_with_meetings(cohort, name: str, *starts: dt.datetime):
    mentor = MentorFactory(name=name, time_zone="America/Los_Angeles", cadence=WEEKLY_ONE_ON_ONE.to_dict())
    scholar = ScholarFactory(cohort=cohort, name=f"{name}'s scholar")
    MentorshipFactory(mentor=mentor, scholar=scholar)
    series = MeetingSeriesFactory(cohort=cohort, mentor=mentor, title=f"{name} ↔ scholar", scholars=[scholar])
    for start in starts:
        MeetingFactory(series=series, starts_at=start)
    return mentor


@pytest.fixture
def cohort():
    return CohortFactory()


@pytest.fixture
def lee(cohort):
    return mentor_with_meetings(
        cohort,
        "Lee",
        dt.datetime(2027, 1, 12, 7, 0, tzinfo=UTC),  # Tue 07:00 London, Mon 23:00 Los Angeles
        dt.datetime(2027, 1, 10, 23, 30, tzinfo=UTC),  # Sun 23:30 London (the week before), Mon 08:30 Tokyo
        dt.datetime(2027, 1, 18, 7, 0, tzinfo=UTC),  # next Monday in London, still Sunday in Los Angeles
    )


def spans(glance) -> list[list[str]]:
    [row] = glance.mentors
    return [[meeting.span for meeting in day] for day in row.days]


def week_page(client, cohort, **params):
    return client.get(
        reverse("admin:cohort_cohort_week", args=[cohort.pk]), {"week": WEEK.isoformat(), **params}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/London", [[], ["07:00–08:00"], [], [], [], [], []]),
        ("America/Los_Angeles", [["23:00–00:00"], [], [], [], [], [], ["23:00–00:00"]]),
        ("Asia/Tokyo", [["08:30–09:30"], ["16:00–17:00"], [], [], [], [], []]),
    ],
)
def test_the_grid_shows_the_weeks_meetings_on_their_days_in_the_chosen_zone(
    staff_client, cohort, lee, zone, expected
):
    response = week_page(staff_client, cohort, tz=zone)

    assert response.status_code == 200
    assert spans(response.context["glance"]) == expected
    assert f"Times in <strong>{zone}</strong>" in response.text


@pytest.mark.django_db
def test_the_week_page_defaults_to_the_cohorts_zone_and_offers_the_mentors(staff_client, cohort, lee):
    response = week_page(staff_client, cohort)

    assert response.context["glance"].zone == "Europe/London"
    assert response.context["zones"] == ["America/Los_Angeles", "Europe/London", "UTC"]


@pytest.mark.django_db
def test_an_unknown_zone_falls_back_to_the_cohorts_with_a_message(staff_client, cohort, lee):
    response = week_page(staff_client, cohort, tz="Mars/Olympus")

    assert response.context["glance"].zone == "Europe/London"
    assert [str(m) for m in response.context["messages"]] == [
        "“Mars/Olympus” is not a time zone name such as Europe/London; showing Europe/London."
    ]


@pytest.mark.django_db
def test_any_day_shows_its_whole_week(staff_client, cohort, lee):
    response = staff_client.get(
        reverse("admin:cohort_cohort_week", args=[cohort.pk]), {"week": "2027-01-14", "tz": "Europe/London"}
    )

    assert response.context["glance"].week_start == WEEK
    assert spans(response.context["glance"])[1] == ["07:00–08:00"]


@pytest.mark.django_db
def test_a_mentorship_behind_its_cadence_is_highlighted(cohort, lee):
    glance = cohort_week(
        cohort=cohort, week_start=WEEK, zone="Europe/London", as_of=dt.datetime(2027, 2, 1, tzinfo=UTC)
    )

    [row] = glance.mentors
    assert [(c.mentor, c.scholar, c.held, c.expected) for c in row.behind] == [("Lee", "Lee's scholar", 0, 4)]
    assert [meeting.behind for meeting in row.days[1]] == [True]


@pytest.mark.django_db
def test_held_meetings_keep_a_mentorship_off_the_behind_list(cohort, lee):
    Meeting.objects.filter(series__mentor=lee).update(status=Meeting.Status.HELD)

    glance = cohort_week(
        cohort=cohort, week_start=WEEK, zone="Europe/London", as_of=dt.datetime(2027, 1, 12, 12, tzinfo=UTC)
    )

    assert glance.behind == ()


@pytest.mark.django_db
def test_the_weekly_counts_set_held_and_planned_against_the_cadences_demand(cohort, lee):
    BreakFactory(cohort=cohort, start_date=dt.date(2027, 2, 15), end_date=dt.date(2027, 2, 19))
    Meeting.objects.filter(starts_at=dt.datetime(2027, 1, 10, 23, 30, tzinfo=UTC)).update(
        status=Meeting.Status.HELD
    )

    glance = cohort_week(
        cohort=cohort, week_start=WEEK, zone="UTC", as_of=dt.datetime(2027, 1, 4, tzinfo=UTC)
    )

    counts = {week.week_start: (week.held, week.planned, week.demanded) for week in glance.weeks}
    assert len(counts) == 12
    assert counts[dt.date(2027, 1, 4)] == (1, 0, 1.0)
    assert counts[dt.date(2027, 1, 11)] == (0, 1, 1.0)
    assert counts[dt.date(2027, 1, 18)] == (0, 1, 1.0)
    assert counts[dt.date(2027, 2, 15)] == (0, 0, 0.0)


@pytest.mark.django_db
def test_demands_the_plan_could_not_place_are_listed_with_their_reasons(settings, staff_client, cohort):
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    mentor = MentorFactory(name="Noor", time_zone="Europe/London", cadence=WEEKLY_ONE_ON_ONE.to_dict())
    AvailabilityFactory(mentor=mentor, weekday=0, start_time=dt.time(10), end_time=dt.time(11))
    # Tokyo's working day ends before London's Monday morning begins: no common hour.
    MentorshipFactory(
        mentor=mentor, scholar=ScholarFactory(cohort=cohort, name="Kai", time_zone="Asia/Tokyo")
    )
    run = plan_cohort(cohort=cohort)

    response = week_page(staff_client, cohort)

    [unplaced] = run.result["unplaced"]
    assert [(item.label, item.reason) for item in response.context["glance"].not_placed] == [
        (unplaced["label"], unplaced["reason"])
    ]
    assert unplaced["label"] == "Noor ↔ Kai (1-on-1)"
    assert f"plan #{run.pk}</a>" in response.text


@pytest.mark.django_db
def test_the_chart_is_an_inline_svg(staff_client, cohort, lee):
    response = week_page(staff_client, cohort)

    assert response.text.count('<svg class="week-plot"') == 1
    chart = response.text.split('<svg class="week-plot"', 1)[1].split("</svg>", 1)[0]
    assert chart.count('<rect class="held"') == 12
    legend = response.text.split('id="week-plot-legend"', 1)[1].split("</ul>", 1)[0]
    assert [part.split("</svg>")[1].strip() for part in legend.split("</li>")[:-1]] == [
        "held",
        "still planned",
        "demanded by the cadences",
        "the week shown above",
    ]
    assert "<script" not in response.text.split('<div id="content-main"', 1)[1]


def cohort_with_mentors(count: int):
    cohort = CohortFactory()
    for index in range(count):
        mentor_with_meetings(
            cohort,
            f"Mentor {index}",
            dt.datetime(2027, 1, 12, 9, tzinfo=UTC),
            dt.datetime(2027, 1, 13, 9, tzinfo=UTC),
        )
    PlanRun.objects.create(
        cohort=cohort, status=PlanRun.Status.SOLVED, result={"unplaced": [], "unschedulable": []}
    )
    return cohort


@pytest.mark.django_db
@pytest.mark.parametrize("mentors", [1, 3])
def test_the_week_page_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries, mentors):
    cohort = cohort_with_mentors(mentors)

    # The scholars' extra hours, read with the cohort's demands, are one of them.
    with django_assert_num_queries(24):
        response = week_page(staff_client, cohort)

    assert len(response.context["glance"].mentors) == mentors


def test_the_chart_draws_held_planned_and_demanded_to_scale():
    weeks = (
        WeekCount(week_start=dt.date(2027, 1, 4), held=2, planned=0, demanded=4.0),
        WeekCount(week_start=dt.date(2027, 1, 11), held=1, planned=2, demanded=2.0),
    )

    plot = week_plot(weeks, current=dt.date(2027, 1, 11))

    # Four meetings fill the 180-pixel-high plot area, whose baseline is y = 190.
    assert [(bar.held_height, bar.planned_height, bar.current) for bar in plot.bars] == [
        (90.0, 0.0, False),
        (45.0, 90.0, True),
    ]
    assert plot.demanded_points == "207.5,10.0 542.5,100.0"
    assert [label for _, label in plot.ticks] == ["0", "2", "4"]


def test_the_chart_of_an_empty_cohort_still_has_a_scale():
    plot = week_plot((WeekCount(week_start=dt.date(2027, 1, 4), held=0, planned=0, demanded=0.0),))

    assert [label for _, label in plot.ticks] == ["0", "0.5", "1"]
    assert plot.bars[0].held_height == 0.0
