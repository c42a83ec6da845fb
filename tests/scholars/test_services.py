import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cohort.dates import monday_of
from scholars.models import CheckIn, Scholar
from scholars.services import check_in_submit
from tests.factories import CohortFactory, ScholarFactory

pytestmark = pytest.mark.django_db


def this_monday():
    return monday_of(timezone.now().date())


def scholar_in_a_running_cohort(**fields):
    monday = this_monday()
    cohort = CohortFactory(start_date=monday - dt.timedelta(weeks=4), end_date=monday + dt.timedelta(weeks=4))
    return ScholarFactory(cohort=cohort, time_zone="UTC", **fields)


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_a_scholar_submits_a_check_in_for_this_week():
    scholar = scholar_in_a_running_cohort()

    check_in = check_in_submit(
        scholar=scholar, week_start=this_monday(), progress="  Probed layer 5.  ", blockers="GPU quota"
    )

    assert (check_in.week_start, check_in.progress, check_in.blockers, check_in.next_steps) == (
        this_monday(),
        "Probed layer 5.",
        "GPU quota",
        "",
    )


def test_submitting_the_same_week_again_edits_the_check_in():
    scholar = scholar_in_a_running_cohort()
    first = check_in_submit(scholar=scholar, week_start=this_monday(), progress="Draft")

    second = check_in_submit(
        scholar=scholar, week_start=this_monday(), progress="Final", next_steps="Write up"
    )

    assert second.pk == first.pk
    assert list(CheckIn.objects.values_list("progress", "next_steps")) == [("Final", "Write up")]


def test_a_week_must_start_on_a_monday():
    scholar = scholar_in_a_running_cohort()
    tuesday = this_monday() + dt.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        check_in_submit(scholar=scholar, week_start=tuesday, progress="Done")

    assert errors_of(excinfo) == {
        "week_start": [f"{tuesday.isoformat()} is a Tuesday; a check-in's week starts on a Monday."]
    }


def test_progress_cannot_be_empty():
    scholar = scholar_in_a_running_cohort()

    with pytest.raises(ValidationError) as excinfo:
        check_in_submit(scholar=scholar, week_start=this_monday(), progress="   ")

    assert errors_of(excinfo) == {"progress": ["Say what you did this week; progress cannot be empty."]}


def test_next_weeks_check_in_may_be_written_early_but_not_later_ones():
    scholar = scholar_in_a_running_cohort()
    check_in_submit(scholar=scholar, week_start=this_monday() + dt.timedelta(weeks=1), progress="Plan")

    with pytest.raises(ValidationError) as excinfo:
        check_in_submit(scholar=scholar, week_start=this_monday() + dt.timedelta(weeks=2), progress="Plan")

    assert list(errors_of(excinfo)) == ["week_start"]


def test_a_week_outside_the_cohort_is_refused():
    scholar = scholar_in_a_running_cohort()
    before = scholar.cohort.start_date - dt.timedelta(weeks=1)

    with pytest.raises(ValidationError) as excinfo:
        check_in_submit(scholar=scholar, week_start=before, progress="Early")

    assert errors_of(excinfo)["week_start"][0].startswith(f"The week of {before.isoformat()} is outside")


def test_a_withdrawn_scholar_writes_no_check_ins():
    scholar = scholar_in_a_running_cohort(status=Scholar.Status.WITHDRAWN)

    with pytest.raises(ValidationError) as excinfo:
        check_in_submit(scholar=scholar, week_start=this_monday(), progress="Still here")

    assert list(errors_of(excinfo)) == ["scholar"]


def test_overlong_text_is_refused():
    scholar = scholar_in_a_running_cohort()

    with pytest.raises(ValidationError) as excinfo:
        check_in_submit(scholar=scholar, week_start=this_monday(), progress="x" * 5001)

    assert errors_of(excinfo) == {"progress": ["At most 5000 characters (this has 5001)."]}
