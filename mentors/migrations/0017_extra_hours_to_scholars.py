"""ExtraHours leaves mentors for scholars, beside the blackouts, so a scholar can add hours on a date too (the
model points at both people, and no relation runs up the floors).

Here the model only leaves mentors' state: its table and rows stay, and scholars.0011 takes them over and renames
the table. Nothing is dropped or copied.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('mentors', '0016_extra_hours'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='ExtraHours',
                ),
            ],
        ),
    ]
