"""Blackout comes over from mentors (see mentors.0006) with its rows: no data is copied.

1. The model enters scholars' state on the table it already has (mentors_blackout), with no database change.
2. The table is renamed to scholars' default name, so the model needs no db_table.
3. Its content type moves to scholars, so the permissions (the Mentors group's among them), admin log entries and
   audit entries that name it keep pointing at it (on a new database there is none yet: Django creates it after
   migrating).
"""

import cohort.models
import django.db.models.deletion
from django.db import migrations, models

OLD_APP_LABEL = 'mentors'
NEW_APP_LABEL = 'scholars'


def content_type_relabel(apps, schema_editor, *, old: str, new: str) -> None:
    content_types = apps.get_model('contenttypes', 'ContentType').objects.using(schema_editor.connection.alias)
    content_types.filter(app_label=old, model='blackout').update(app_label=new)


def content_type_to_scholars(apps, schema_editor) -> None:
    content_type_relabel(apps, schema_editor, old=OLD_APP_LABEL, new=NEW_APP_LABEL)


def content_type_to_mentors(apps, schema_editor) -> None:
    content_type_relabel(apps, schema_editor, old=NEW_APP_LABEL, new=OLD_APP_LABEL)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('mentors', '0006_blackout_to_scholars'),
        ('scholars', '0002_slack_webhook_policy_and_disabling'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Blackout',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('start_date', models.DateField()),
                        ('end_date', models.DateField(help_text='Inclusive.')),
                        ('reason', models.CharField(blank=True, max_length=200)),
                        ('mentor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='blackouts', to='mentors.mentor')),
                        ('scholar', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='blackouts', to='scholars.scholar')),
                    ],
                    options={
                        'db_table': 'mentors_blackout',
                        'ordering': ['start_date'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('end_date__gte', models.F('start_date'))), name='blackout_end_not_before_start'), models.CheckConstraint(condition=models.Q(models.Q(('mentor__isnull', False), ('scholar__isnull', True)), models.Q(('mentor__isnull', True), ('scholar__isnull', False)), _connector='OR'), name='blackout_belongs_to_one_person')],
                    },
                    bases=(cohort.models.MeetingInput, models.Model),
                ),
            ],
        ),
        migrations.AlterModelTable(
            name='blackout',
            table=None,
        ),
        migrations.RunPython(content_type_to_scholars, content_type_to_mentors),
    ]
