"""The admin's writes leave the same audit entries as the API's (actor, changes, cohorts); staff read the trail
there, and a mentor never does."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cohort.cadence import Cadence, MeetingDemand, MeetingKind
from cohort.models import AuditEntry, Phase
from mentors.services import MENTORS_GROUP
from tests.admin.conftest import MentorRows, posted_back
from tests.cohort.test_audit import named, trail
from tests.factories import BlackoutFactory, PhaseFactory

pytestmark = pytest.mark.django_db


def test_a_break_added_on_the_cohorts_page_is_audited_as_staffs(staff_client, admin_user, cohort):
    url = reverse("admin:cohort_cohort_change", args=[cohort.pk])
    first, last = cohort.start_date + dt.timedelta(weeks=3), cohort.start_date + dt.timedelta(weeks=3, days=4)
    data = posted_back(staff_client.get(url)) | {
        "breaks-0-name": "Spring break",
        "breaks-0-start_date": first.isoformat(),
        "breaks-0-end_date": last.isoformat(),
        "breaks-TOTAL_FORMS": "1",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    changes = {
        "cohort": [None, named(cohort)],
        "name": [None, "Spring break"],
        "start_date": [None, first.isoformat()],
        "end_date": [None, last.isoformat()],
    }
    assert trail() == [(admin_user, "created", "break", changes, [cohort.pk])]


def test_a_phase_changed_on_the_cohorts_page_is_audited(staff_client, admin_user, cohort):
    phase = PhaseFactory(cohort=cohort, name="Training", kind=Phase.Kind.TRAINING)
    url = reverse("admin:cohort_cohort_change", args=[cohort.pk])
    data = posted_back(staff_client.get(url)) | {"phases-0-kind": Phase.Kind.RESEARCH}

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert trail() == [(admin_user, "changed", "phase", {"kind": ["training", "research"]}, [cohort.pk])]
    assert AuditEntry.objects.get().target_id == phase.pk


def test_a_cadence_staff_set_on_a_mentors_page_is_audited(staff_client, admin_user, alice: MentorRows):
    url = reverse("admin:mentors_mentor_change", args=[alice.mentor.pk])
    data = posted_back(staff_client.get(url)) | {
        "cadence-0-kind": "group",
        "cadence-0-per_week_min": "1",
        "cadence-0-per_week_max": "1",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    [(actor, action, model, changes, cohorts)] = trail()
    assert (actor, action, model, cohorts) == (admin_user, "changed", "mentor", [alice.scholar.cohort_id])
    assert changes["cadence_edited_by_staff"] == ["False", "True"]
    assert Cadence.from_dict(json.loads(changes["cadence"][1])).demands == (
        MeetingDemand(kind=MeetingKind.GROUP, per_week_min=1, per_week_max=1),
    )


def test_hours_a_mentor_adds_on_their_own_admin_page_are_audited_as_theirs(alice_client, alice: MentorRows):
    url = reverse("admin:mentors_mentor_change", args=[alice.mentor.pk])
    data = posted_back(alice_client.get(url)) | {
        "availability-1-weekday": "2",
        "availability-1-start_time": "10:00",
        "availability-1-end_time": "12:00",
    }

    response = alice_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    [(actor, action, model, changes, cohorts)] = trail()
    assert (actor, action, model, cohorts) == (
        alice.mentor.user,
        "created",
        "availability",
        [alice.scholar.cohort_id],
    )
    assert changes == {
        "mentor": [None, named(alice.mentor)],
        "weekday": [None, "2"],
        "start_time": [None, "10:00:00"],
        "end_time": [None, "12:00:00"],
    }


def test_a_webhook_url_is_audited_as_changed_but_never_shown(settings, alice_client, alice: MentorRows):
    settings.OUTBOUND_WEBHOOK_HOSTS = ["127.0.0.1"]
    settings.OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = True
    url = reverse("admin:mentors_mentor_change", args=[alice.mentor.pk])
    data = posted_back(alice_client.get(url)) | {"slack_webhook_url": "https://127.0.0.1:8199/hooks/secret"}

    response = alice_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [changes for _, _, _, changes, _ in trail()] == [{"slack_webhook_url": ["", "(hidden)"]}]


def test_a_scholars_status_changed_on_their_admin_page_is_audited(
    staff_client, admin_user, alice: MentorRows
):
    url = reverse("admin:scholars_scholar_change", args=[alice.scholar.pk])
    data = posted_back(staff_client.get(url)) | {"status": "extended"}

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert trail() == [
        (admin_user, "changed", "scholar", {"status": ["research", "extended"]}, [alice.scholar.cohort_id])
    ]


def test_a_mentorship_deleted_in_the_admin_is_audited(staff_client, admin_user, alice: MentorRows):
    url = reverse("admin:scholars_mentorship_delete", args=[alice.mentorship.pk])

    response = staff_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    [(actor, action, model, changes, cohorts)] = trail()
    assert (actor, action, model, cohorts) == (admin_user, "deleted", "mentorship", [alice.scholar.cohort_id])
    assert changes == {
        "mentor": [named(alice.mentor), None],
        "scholar": [named(alice.scholar), None],
        "role": ["primary", None],
    }


def test_cancelling_the_rest_of_a_series_in_the_admin_leaves_an_entry_per_meeting(
    staff_client, admin_user, alice
):
    response = staff_client.post(
        reverse("admin:scheduling_meetingseries_changelist"),
        {"action": "cancel_rest", "_selected_action": [alice.series.pk]},
    )

    assert response.status_code == 302
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.target_id, entry.changes["status"]) == (
        admin_user,
        alice.meeting.pk,
        ["scheduled", "cancelled"],
    )
    assert entry.reason.startswith("The rest of the series cancelled from ")


# --- Reading the trail --------------------------------------------------------------------------------------------


def test_staff_read_the_trail_in_the_admin(staff_client, alice: MentorRows):
    url = reverse("admin:scholars_scholar_change", args=[alice.scholar.pk])
    staff_client.post(url, posted_back(staff_client.get(url)) | {"status": "extended"})
    entry = AuditEntry.objects.get()

    listed = staff_client.get(reverse("admin:cohort_auditentry_changelist"))
    shown = staff_client.get(reverse("admin:cohort_auditentry_change", args=[entry.pk]))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [entry]
    assert shown.status_code == 200
    assert "<strong>status</strong>: research → extended" in shown.text


def test_a_mentor_is_refused_the_trail(alice_client, alice: MentorRows):
    BlackoutFactory(mentor=alice.mentor)

    response = alice_client.get(reverse("admin:cohort_auditentry_changelist"))

    assert response.status_code == 403


def test_a_mentor_granted_the_trail_by_mistake_still_sees_no_entry(
    staff_client, alice_client, alice: MentorRows
):
    url = reverse("admin:scholars_scholar_change", args=[alice.scholar.pk])
    staff_client.post(url, posted_back(staff_client.get(url)) | {"status": "extended"})
    assert AuditEntry.objects.count() == 1
    alice.mentor.user.groups.get(name=MENTORS_GROUP).permissions.add(
        Permission.objects.get(codename="view_auditentry")
    )

    response = alice_client.get(reverse("admin:cohort_auditentry_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
