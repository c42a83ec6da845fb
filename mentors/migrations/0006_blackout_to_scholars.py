"""Blackout leaves mentors for scholars, the higher of the two apps it points at (a mentor's or a scholar's time
away), so no relation runs up the floors.

Here the model only leaves mentors' state: its table and rows stay, and scholars.0003 takes them over and renames
the table. Nothing is dropped or copied.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('mentors', '0005_import_warning_from_cohort'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='Blackout',
                ),
            ],
        ),
    ]
