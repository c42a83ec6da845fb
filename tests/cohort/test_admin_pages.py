"""Every admin page a staff member can open renders, with data from a planned demo cohort."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cohort.models import Cohort
from mentors.models import Mentor
from scholars.demo import HISTORY_WEEKS

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned_demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PLANNER_TIME_LIMIT_SECONDS = 5
    call_command("import_seeds")
    call_command("demo_cohort")
    call_command("plan", "demo", "--apply")
    return Cohort.objects.get(slug="demo")


def test_every_changelist_and_change_page_renders_for_staff(admin_client, planned_demo):
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, meta.label
        first = model_admin.get_queryset(changelist.wsgi_request).first()
        if first is not None:
            change = admin_client.get(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
            assert change.status_code == 200, meta.label


def test_demo_cohort_has_its_calendar_and_scholars(planned_demo):
    assert planned_demo.phases.count() == 2
    assert planned_demo.breaks.count() == 1
    assert planned_demo.scholars.filter(is_sample=True).count() == 12
    # Weeks behind it, and twelve from this week's Monday, ending on a Friday.
    assert planned_demo.end_date - planned_demo.start_date == dt.timedelta(weeks=HISTORY_WEEKS + 12, days=-3)


def test_the_demo_week_page_shows_every_seed_mentors_meetings_next_week(admin_client, planned_demo):
    # Next week is whole wherever this week stands: meetings are planned from today on.
    today = timezone.localdate()
    next_monday = today + dt.timedelta(days=7 - today.weekday())
    response = admin_client.get(
        reverse("admin:cohort_cohort_week", args=[planned_demo.pk]), {"week": next_monday.isoformat()}
    )

    assert response.status_code == 200
    glance = response.context["glance"]
    mentors_with_meetings = {row.name for row in glance.mentors if any(row.days)}
    assert mentors_with_meetings == set(Mentor.objects.values_list("name", flat=True))
    assert Mentor.objects.count() == 6
