"""Part of a day away may run to midnight: an end of 00:00 after a later start ("from 16:00 for the rest of the
day"). Migrating back ends those at 23:59, which the older rule accepts."""

import datetime
from django.db import migrations, models


def ends_at_midnight_to_2359(apps, schema_editor) -> None:
    blackouts = apps.get_model('scholars', 'Blackout').objects.using(schema_editor.connection.alias)
    blackouts.filter(end_time=datetime.time(0), start_time__gt=datetime.time(0)).update(end_time=datetime.time(23, 59))


class Migration(migrations.Migration):

    dependencies = [
        ('mentors', '0017_extra_hours_to_scholars'),
        ('scholars', '0011_extra_hours_from_mentors'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='blackout',
            name='blackout_whole_days_or_hours',
        ),
        migrations.RunPython(migrations.RunPython.noop, ends_at_midnight_to_2359),
        migrations.AlterField(
            model_name='blackout',
            name='end_time',
            field=models.TimeField(blank=True, help_text='Part of a day: away until (00:00 is midnight).', null=True),
        ),
        migrations.AddConstraint(
            model_name='blackout',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('end_time__isnull', True), ('start_time__isnull', True)), models.Q(('end_time__gt', models.F('start_time')), ('end_time__isnull', False), ('start_time__isnull', False)), models.Q(('end_time', datetime.time(0, 0)), ('start_time__gt', datetime.time(0, 0))), _connector='OR'), name='blackout_whole_days_or_hours'),
        ),
    ]
