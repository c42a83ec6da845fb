"""ImportWarning comes over from cohort (see cohort.0007) with its rows: no data is copied.

1. The model enters mentors' state on the table it already has (cohort_importwarning), with no database change.
2. The table is renamed to mentors' default name, so the model needs no db_table.
3. Its content type moves to mentors, so the permissions, admin log entries and audit entries that name it keep
   pointing at it (on a new database there is none yet: Django creates it after migrating).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_APP_LABEL = 'cohort'
NEW_APP_LABEL = 'mentors'


def content_type_relabel(apps, schema_editor, *, old: str, new: str) -> None:
    content_types = apps.get_model('contenttypes', 'ContentType').objects.using(schema_editor.connection.alias)
    content_types.filter(app_label=old, model='importwarning').update(app_label=new)


def content_type_to_mentors(apps, schema_editor) -> None:
    content_type_relabel(apps, schema_editor, old=OLD_APP_LABEL, new=NEW_APP_LABEL)


def content_type_to_cohort(apps, schema_editor) -> None:
    content_type_relabel(apps, schema_editor, old=NEW_APP_LABEL, new=OLD_APP_LABEL)


class Migration(migrations.Migration):

    dependencies = [
        ('cohort', '0007_import_warning_to_mentors'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('mentors', '0004_slack_webhook_policy_and_disabling'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImportWarning',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('code', models.CharField(choices=[('cadence_unspecified', 'Cadence unspecified'), ('names_other_mentor', 'Names another mentor'), ('duplicated_text', 'Text duplicated from another mentor'), ('missing_organisation', 'Missing organisation'), ('mentor_removed', 'Mentor no longer in the document'), ('cadence_kept', 'Staff-edited cadence kept')], max_length=40)),
                        ('message', models.TextField()),
                        ('source_file', models.CharField(blank=True, max_length=255)),
                        ('line', models.PositiveIntegerField(blank=True, null=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('mentor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='import_warnings', to='mentors.mentor')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('stream', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='import_warnings', to='cohort.stream')),
                    ],
                    options={
                        'db_table': 'cohort_importwarning',
                        'ordering': ['stream', 'mentor', 'code'],
                        'indexes': [models.Index(fields=['resolved_at', 'stream'], name='importwarning_open_idx')],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(
            name='importwarning',
            table=None,
        ),
        migrations.RunPython(content_type_to_mentors, content_type_to_cohort),
    ]
