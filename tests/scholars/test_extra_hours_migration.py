"""ExtraHours' move from mentors to scholars (mentors.0017, scholars.0011), run on a row saved before it: the row and
its content type move with the model, so the Mentors group's permissions keep pointing at it, and a scholar can own
rows afterwards."""

import datetime as dt

import pytest

from tests.migration_steps import migrate_to, migrate_to_latest

BEFORE_THE_MOVE = [("mentors", "0016_extra_hours"), ("scholars", "0010_preferred_hours")]
AFTER_THE_MOVE = [("scholars", "0011_extra_hours_from_mentors")]  # after mentors.0017, which it depends on

# Migrating changes the schema, which SQLite cannot do inside the transaction a test normally runs in.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    yield
    migrate_to_latest()


def test_a_mentors_extra_hours_saved_in_mentors_are_found_in_scholars_under_the_same_content_type():
    before = migrate_to(BEFORE_THE_MOVE)
    mentor = before.get_model("mentors", "Mentor").objects.create(name="Mira", slug="mira")
    extra = before.get_model("mentors", "ExtraHours").objects.create(
        mentor=mentor, date=dt.date(2027, 3, 2), start_time=dt.time(17), end_time=dt.time(19), note="Late lab"
    )
    content_type, _ = before.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="mentors", model="extrahours"
    )
    permission, _ = before.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="add_extrahours", defaults={"name": "Can add extra hours"}
    )

    after = migrate_to(AFTER_THE_MOVE)

    moved = after.get_model("scholars", "ExtraHours").objects.get(pk=extra.pk)
    assert (moved.mentor_id, moved.scholar_id, moved.note) == (mentor.pk, None, "Late lab")
    relabelled = after.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (relabelled.app_label, relabelled.model) == ("scholars", "extrahours")
    assert (
        after.get_model("auth", "Permission").objects.get(pk=permission.pk).content_type_id == content_type.pk
    )
    stream = after.get_model("cohort", "Stream").objects.create(slug="ml", title="Machine learning")
    cohort = after.get_model("cohort", "Cohort").objects.create(
        name="Winter", slug="winter", start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 3, 26)
    )
    scholar = after.get_model("scholars", "Scholar").objects.create(
        name="Lin", slug="lin", cohort=cohort, stream=stream
    )
    theirs = after.get_model("scholars", "ExtraHours").objects.create(
        scholar=scholar, date=dt.date(2027, 3, 2), start_time=dt.time(18), end_time=dt.time(20)
    )
    assert (theirs.mentor_id, theirs.scholar_id) == (None, scholar.pk)


def test_migrating_back_keeps_the_mentors_rows_and_drops_the_scholars():
    after = migrate_to(AFTER_THE_MOVE)
    mentor = after.get_model("mentors", "Mentor").objects.create(name="Mira", slug="mira")
    stream = after.get_model("cohort", "Stream").objects.create(slug="ml", title="Machine learning")
    cohort = after.get_model("cohort", "Cohort").objects.create(
        name="Winter", slug="winter", start_date=dt.date(2027, 1, 4), end_date=dt.date(2027, 3, 26)
    )
    scholar = after.get_model("scholars", "Scholar").objects.create(
        name="Lin", slug="lin", cohort=cohort, stream=stream
    )
    rows = after.get_model("scholars", "ExtraHours").objects
    mentors = rows.create(
        mentor=mentor, date=dt.date(2027, 3, 2), start_time=dt.time(17), end_time=dt.time(19)
    )
    rows.create(scholar=scholar, date=dt.date(2027, 3, 2), start_time=dt.time(18), end_time=dt.time(20))

    before = migrate_to(BEFORE_THE_MOVE)

    kept = before.get_model("mentors", "ExtraHours").objects.all()
    assert [(row.pk, row.mentor_id) for row in kept] == [(mentors.pk, mentor.pk)]
