"""Blackout's move from mentors to scholars (mentors.0006, scholars.0003), run on a row saved before it: the row
and its content type move with the model, so whatever points at either (the Mentors group's permissions among
them) keeps pointing at it."""

import datetime as dt

import pytest

from tests.migration_steps import migrate_to, migrate_to_latest

BEFORE_THE_MOVE = [
    ("mentors", "0005_import_warning_from_cohort"),
    ("scholars", "0002_slack_webhook_policy_and_disabling"),
]
AFTER_THE_MOVE = [("scholars", "0003_blackout_from_mentors")]  # after mentors.0006, which it depends on

# Migrating changes the schema, which SQLite cannot do inside the transaction a test normally runs in.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    yield
    migrate_to_latest()


def test_a_scholars_blackout_saved_in_mentors_is_found_in_scholars_under_the_same_content_type():
    before = migrate_to(BEFORE_THE_MOVE)
    stream = before.get_model("cohort", "Stream").objects.create(slug="ml", title="Machine learning")
    cohort = before.get_model("cohort", "Cohort").objects.create(
        name="Winter", slug="winter", start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 3, 26)
    )
    scholar = before.get_model("scholars", "Scholar").objects.create(
        name="Lin", slug="lin", cohort=cohort, stream=stream
    )
    blackout = before.get_model("mentors", "Blackout").objects.create(
        scholar=scholar, start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 2, 5), reason="Conference"
    )
    content_type, _ = before.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="mentors", model="blackout"
    )

    after = migrate_to(AFTER_THE_MOVE)

    moved = after.get_model("scholars", "Blackout").objects.get(pk=blackout.pk)
    assert (moved.scholar_id, moved.mentor_id, moved.reason) == (scholar.pk, None, "Conference")
    relabelled = after.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (relabelled.app_label, relabelled.model) == ("scholars", "blackout")


def test_migrating_back_ends_time_away_until_midnight_at_23_59():
    after = migrate_to([("scholars", "0012_blackout_until_midnight")])
    mentor = after.get_model("mentors", "Mentor").objects.create(name="Mira", slug="mira")
    blackout = after.get_model("scholars", "Blackout").objects.create(
        mentor=mentor,
        start_date=dt.date(2027, 2, 1),
        end_date=dt.date(2027, 2, 1),
        start_time=dt.time(16),
        end_time=dt.time(0),
    )

    before = migrate_to([("scholars", "0011_extra_hours_from_mentors")])

    kept = before.get_model("scholars", "Blackout").objects.get(pk=blackout.pk)
    assert (kept.start_time, kept.end_time) == (dt.time(16), dt.time(23, 59))
