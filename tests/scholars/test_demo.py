"""The demo cohort is written like any other rows that shape meetings: audited as the system's, never twice."""

import pytest
from django.core.management import call_command

from cohort.models import AuditEntry
from scholars.models import Scholar

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("import_seeds", verbosity=0)
    entries_after_import = AuditEntry.objects.count()
    call_command("demo_cohort", verbosity=0)
    return entries_after_import


def test_every_sample_scholar_the_demo_creates_is_audited_as_the_systems(demo):
    created = AuditEntry.objects.filter(action=AuditEntry.Action.CREATED, target_type__model="scholar")

    assert created.count() == Scholar.objects.count() == 12
    assert set(created.values_list("actor", "actor_name")) == {(None, "")}


def test_running_the_demo_again_changes_nothing_and_records_nothing(demo):
    entries = AuditEntry.objects.count()

    call_command("demo_cohort", verbosity=0)

    assert entries > demo
    assert AuditEntry.objects.count() == entries
