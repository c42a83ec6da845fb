"""ImportWarning's move from cohort to mentors (cohort.0007, mentors.0005), run on a row saved before it: the row
and its content type move with the model, so whatever points at either keeps pointing at it."""

import pytest

from tests.migration_steps import migrate_to, migrate_to_latest

BEFORE_THE_MOVE = [("cohort", "0006_audit_entry"), ("mentors", "0004_slack_webhook_policy_and_disabling")]
AFTER_THE_MOVE = [("mentors", "0005_import_warning_from_cohort")]  # after cohort.0007, which it depends on

# Migrating changes the schema, which SQLite cannot do inside the transaction a test normally runs in.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    yield
    migrate_to_latest()


def test_an_import_warning_saved_in_cohort_is_found_in_mentors_under_the_same_content_type():
    before = migrate_to(BEFORE_THE_MOVE)
    stream = before.get_model("cohort", "Stream").objects.create(slug="ml", title="Machine learning")
    mentor = before.get_model("mentors", "Mentor").objects.create(name="Ada", slug="ada")
    warning = before.get_model("cohort", "ImportWarning").objects.create(
        stream=stream, mentor=mentor, code="names_other_mentor", message="Names Grace."
    )
    content_type, _ = before.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="cohort", model="importwarning"
    )

    after = migrate_to(AFTER_THE_MOVE)

    moved = after.get_model("mentors", "ImportWarning").objects.get(pk=warning.pk)
    assert (moved.stream_id, moved.mentor_id, moved.message) == (stream.pk, mentor.pk, "Names Grace.")
    relabelled = after.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (relabelled.app_label, relabelled.model) == ("mentors", "importwarning")
