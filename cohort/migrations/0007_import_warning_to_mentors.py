"""ImportWarning leaves cohort for mentors, the app it points at (its mentor), so no relation runs up the floors.

Here the model only leaves cohort's state: its table and rows stay, and mentors.0005 takes them over and renames
the table. Nothing is dropped or copied.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cohort', '0006_audit_entry'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='ImportWarning',
                ),
            ],
        ),
    ]
