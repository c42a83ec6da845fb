"""What a stream document suggests about a mentor: written by the import, decided by staff in one click."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.urls import reverse

from cohort.models import AuditEntry
from mentors.models import Mentor, Suggestion
from mentors.services import mentor_logins_create
from mentors.stream_import import import_stream_documents
from scheduling.problem_builder import build_cohort_problem, mentor_key
from tests.admin.conftest import logged_in
from tests.factories import CohortFactory, MentorshipFactory, ScholarFactory

pytestmark = pytest.mark.django_db

DOCUMENT = """Evaluations

A stream about evaluations.

Mentors

Ada Okafor
Research Scientist, Example Lab
Ada is based in Stockholm. We meet weekly, usually on Thursdays.

Ben Lowe
Professor, Example University
Ben runs weekly 1:1s with each scholar.
"""


@pytest.fixture
def document(tmp_path) -> Path:
    path = tmp_path / "evaluations.txt"
    path.write_text(DOCUMENT, encoding="utf-8")
    return path


def open_suggestions() -> list[tuple[str, str, str, str]]:
    return [
        (s.mentor.slug, s.setting, s.value, s.phrase)
        for s in Suggestion.objects.filter(status=Suggestion.Status.OPEN).select_related("mentor")
    ]


def test_the_import_offers_what_a_section_says_beyond_the_cadence_with_its_words(document):
    import_stream_documents([document])

    assert open_suggestions() == [
        ("ada-okafor", "preferred_weekdays", "3", "usually on Thursdays"),
        ("ada-okafor", "time_zone", "Europe/Stockholm", "based in Stockholm"),
    ]
    ada = Mentor.objects.get(slug="ada-okafor")
    assert (ada.time_zone, ada.preferred_weekdays) == ("UTC", [])  # nothing applied on its own


def test_a_reimport_keeps_decisions_and_drops_suggestions_the_text_no_longer_makes(document, admin_user):
    import_stream_documents([document])
    zone = Suggestion.objects.get(setting="time_zone")
    Suggestion.objects.filter(pk=zone.pk).update(status=Suggestion.Status.DISMISSED)
    document.write_text(DOCUMENT.replace(" usually on Thursdays", ""), encoding="utf-8")

    import_stream_documents([document])

    assert open_suggestions() == []
    assert list(Suggestion.objects.values_list("setting", "status")) == [("time_zone", "dismissed")]


def test_accepting_a_time_zone_sets_it_audited_and_settles_the_other_zones_offered(document, admin_user):
    import_stream_documents([document])
    ada = Mentor.objects.get(slug="ada-okafor")
    other = Suggestion.objects.create(
        mentor=ada, setting="time_zone", value="Europe/Oslo", phrase="in Oslo", source="In Oslo."
    )
    client = logged_in(admin_user)
    zone = Suggestion.objects.get(setting="time_zone", value="Europe/Stockholm")
    back = reverse("admin:mentors_mentor_change", args=[ada.pk])

    response = client.post(reverse("admin:mentors_suggestion_accept", args=[zone.pk]), {"next": back})

    assert (response.status_code, response.url) == (302, back)
    ada.refresh_from_db()
    assert ada.time_zone == "Europe/Stockholm"
    zone.refresh_from_db(), other.refresh_from_db()
    assert (zone.status, zone.decided_by, other.status) == ("accepted", admin_user, "dismissed")
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.CHANGED, target_id=ada.pk)
    assert (entry.actor, json.loads(json.dumps(entry.changes))["time_zone"]) == (
        admin_user,
        ["UTC", "Europe/Stockholm"],
    )


def test_accepted_preferred_days_reach_the_planner(document, admin_user):
    import_stream_documents([document])
    days = Suggestion.objects.get(setting="preferred_weekdays")
    logged_in(admin_user).post(reverse("admin:mentors_suggestion_accept", args=[days.pk]))
    ada = Mentor.objects.get(slug="ada-okafor")
    cohort = CohortFactory()
    MentorshipFactory(mentor=ada, scholar=ScholarFactory(cohort=cohort))

    [demand] = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem.demands

    assert ada.preferred_weekdays == [3]
    assert demand.preferred_weekdays == frozenset({3})


def test_accepted_preferred_hours_set_both_ends_and_reach_the_planner(document, admin_user):
    document.write_text(
        DOCUMENT.replace("usually on Thursdays.", "ideally between 2pm and 5pm."), encoding="utf-8"
    )
    import_stream_documents([document])
    hours = Suggestion.objects.get(setting="preferred_hours")
    assert (hours.value, hours.phrase, hours.describe()) == (
        "14:00-17:00",
        "ideally between 2pm and 5pm",
        "preferred hours: 14:00–17:00",
    )

    logged_in(admin_user).post(reverse("admin:mentors_suggestion_accept", args=[hours.pk]))

    ada = Mentor.objects.get(slug="ada-okafor")
    assert (ada.preferred_meeting_start, ada.preferred_meeting_end) == (dt.time(14), dt.time(17))
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.CHANGED, target_id=ada.pk)
    assert set(entry.changes) == {"preferred_meeting_start", "preferred_meeting_end"}
    cohort = CohortFactory()
    MentorshipFactory(mentor=ada, scholar=ScholarFactory(cohort=cohort))
    people = build_cohort_problem(cohort=cohort, time_limit_seconds=1).problem.people_by_key
    assert str(people[mentor_key(ada)].preferred_hours) == "14:00–17:00"
    # Once followed, a re-import does not offer it again.
    Suggestion.objects.all().delete()
    import_stream_documents([document])
    assert not Suggestion.objects.filter(setting="preferred_hours").exists()


def test_dismissing_changes_nothing_about_the_mentor_and_is_remembered(document, admin_user):
    import_stream_documents([document])
    zone = Suggestion.objects.get(setting="time_zone")

    logged_in(admin_user).post(reverse("admin:mentors_suggestion_dismiss", args=[zone.pk]))

    zone.refresh_from_db()
    assert (zone.status, zone.decided_by) == ("dismissed", admin_user)
    assert Mentor.objects.get(slug="ada-okafor").time_zone == "UTC"


def test_the_list_shows_open_suggestions_with_a_button_each_and_refuses_a_decision_by_get(
    document, admin_user
):
    import_stream_documents([document])
    client = logged_in(admin_user)
    zone = Suggestion.objects.get(setting="time_zone")

    page = client.get(reverse("admin:mentors_suggestion_changelist")).content.decode()
    refused = client.get(reverse("admin:mentors_suggestion_accept", args=[zone.pk]))

    assert page.count(">Accept</button>") == 2
    assert page.count(">Dismiss</button>") == 2
    assert "time zone Europe/Stockholm" in page
    assert "based in Stockholm" in page
    assert refused.status_code == 405
    assert Mentor.objects.get(slug="ada-okafor").time_zone == "UTC"


def test_a_mentor_cannot_decide_suggestions_about_themselves(document):
    import_stream_documents([document])
    ada = Mentor.objects.get(slug="ada-okafor")
    zone = Suggestion.objects.get(setting="time_zone")
    Mentor.objects.filter(pk=ada.pk).update(email="ada@example.org")  # a login goes to the mentor's address
    ada.refresh_from_db()
    mentor_logins_create(mentors=[ada], invite=False)
    ada.refresh_from_db()

    response = logged_in(ada.user).post(reverse("admin:mentors_suggestion_accept", args=[zone.pk]))

    assert response.status_code in (403, 405)
    zone.refresh_from_db()
    assert zone.status == "open"


def test_a_decided_suggestion_is_not_applied_by_a_late_accept(document, admin_user):
    import_stream_documents([document])
    zone = Suggestion.objects.get(setting="time_zone")
    Suggestion.objects.filter(pk=zone.pk).update(status=Suggestion.Status.DISMISSED)

    response = logged_in(admin_user).post(
        reverse("admin:mentors_suggestion_accept", args=[zone.pk]), follow=True
    )

    assert "Not accepted: it was already decided." in response.content.decode()
    assert Mentor.objects.get(slug="ada-okafor").time_zone == "UTC"
    assert Suggestion.objects.get(pk=zone.pk).status == "dismissed"


def test_accepting_two_zones_for_one_mentor_at_once_applies_the_first_and_refuses_the_other(
    document, admin_user
):
    import_stream_documents([document])
    ada = Mentor.objects.get(slug="ada-okafor")
    Suggestion.objects.create(
        mentor=ada, setting="time_zone", value="Europe/Oslo", phrase="in Oslo", source="?"
    )
    first, second = Suggestion.objects.filter(setting="time_zone")  # the order the action takes them in

    response = logged_in(admin_user).post(
        reverse("admin:mentors_suggestion_changelist"),
        {"action": "accept_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "dismissed")
    assert Mentor.objects.get(pk=ada.pk).time_zone == first.value
    page = response.content.decode()
    assert "1 suggestion accepted." in page
    assert f"Not accepted: {second}: it was already decided." in page


def test_a_decision_never_sends_staff_to_another_site(document, admin_user):
    import_stream_documents([document])
    zone = Suggestion.objects.get(setting="time_zone")

    response = logged_in(admin_user).post(
        reverse("admin:mentors_suggestion_dismiss", args=[zone.pk]), {"next": "https://elsewhere.example/"}
    )

    assert response.url == reverse("admin:mentors_suggestion_changelist")
