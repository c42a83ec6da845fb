"""Stored legacy zone names (US/Eastern, GB, Etc/UTC) become the canonical name they stand for.

Zones are now validated as canonical IANA names, and rules and feeds refuse anything else, so a row saved before
that with an alias would fail when its meetings or feed are built. Only aliases with exactly one canonical name
(the same compiled rules) are rewritten; an abbreviation such as EST names an offset, not a place, and is left
for staff to correct, as the admin and the API then ask them to.
"""

from django.db import migrations

from cohort.time_zones import canonical_names_for, is_canonical_zone

ZONED_MODELS = [
    ("cohort", "Cohort"),
    ("mentors", "Mentor"),
    ("scholars", "Scholar"),
    ("scheduling", "MeetingSeries"),
]


def canonical_time_zones(apps, schema_editor) -> None:
    for app_label, model_name in ZONED_MODELS:
        model = apps.get_model(app_label, model_name)
        for name in set(model.objects.values_list("time_zone", flat=True)):
            places = () if is_canonical_zone(name) else canonical_names_for(name)
            if len(places) == 1:
                model.objects.filter(time_zone=name).update(time_zone=places[0])


class Migration(migrations.Migration):
    dependencies = [
        ("cohort", "0005_program_event"),
        ("mentors", "0004_slack_webhook_policy_and_disabling"),
        ("scholars", "0002_slack_webhook_policy_and_disabling"),
        ("scheduling", "0004_meeting_cancelled_by_calendar"),
    ]

    # Reversing keeps the canonical names: they mean the same place.
    operations = [migrations.RunPython(canonical_time_zones, migrations.RunPython.noop)]
