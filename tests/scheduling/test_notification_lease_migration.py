"""scheduling.0007 on rows saved before leases: a row a worker of the old version is sending keeps the lease its
claim had then (300 s), so the new tick takes none over from a worker still sending it."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.migration_steps import migrate_to, migrate_to_latest

BEFORE_LEASES = [("scheduling", "0006_remove_meetingseries_stream")]
WITH_LEASES = [("scheduling", "0007_notification_leases_and_channel_outages")]

# Migrating changes the schema, which SQLite cannot do inside the transaction a test normally runs in.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    yield
    migrate_to_latest()


def test_a_row_in_flight_keeps_its_old_lease_and_the_others_get_none():
    before = migrate_to(BEFORE_LEASES)
    Notification = before.get_model("scheduling", "Notification")
    claimed_at = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=100)
    in_flight = Notification.objects.create(
        kind="escalation",
        dedupe_key="escalation:in-flight",
        due_at=claimed_at,
        status="sending",
        claimed_at=claimed_at,
        recipient_email="staff@example.org",
    )
    pending = Notification.objects.create(
        kind="escalation",
        dedupe_key="escalation:pending",
        due_at=claimed_at,
        recipient_email="staff@example.org",
    )

    after = migrate_to(WITH_LEASES).get_model("scheduling", "Notification")

    leases = dict(after.objects.values_list("pk", "lease_expires_at"))
    assert leases == {in_flight.pk: claimed_at + dt.timedelta(seconds=300), pending.pk: None}
