"""ExtraHours comes over from mentors (see mentors.0017) with its rows, as blackouts did (0003): no data is copied.

1. The model enters scholars' state on the table it already has (mentors_extrahours), with no database change.
2. The table is renamed to scholars' default name, so the model needs no db_table.
3. Its content type moves to scholars, so the permissions (the Mentors group's among them), admin log entries and
   audit entries that name it keep pointing at it.
4. A scholar can own rows too: the mentor becomes optional, and each row belongs to exactly one person.

Migrating back deletes the scholars' rows: mentors' extra hours had to have a mentor.
"""

import cohort.models
import cohort.validators
import django.db.models.deletion
from django.db import migrations, models

OLD_APP_LABEL = 'mentors'
NEW_APP_LABEL = 'scholars'


def content_type_relabel(apps, schema_editor, *, old: str, new: str) -> None:
    content_types = apps.get_model('contenttypes', 'ContentType').objects.using(schema_editor.connection.alias)
    content_types.filter(app_label=old, model='extrahours').update(app_label=new)


def content_type_to_scholars(apps, schema_editor) -> None:
    content_type_relabel(apps, schema_editor, old=OLD_APP_LABEL, new=NEW_APP_LABEL)


def content_type_to_mentors(apps, schema_editor) -> None:
    content_type_relabel(apps, schema_editor, old=NEW_APP_LABEL, new=OLD_APP_LABEL)


def scholars_rows_delete(apps, schema_editor) -> None:
    # Run backwards once the scholar column is gone: the rows without a mentor are the scholars'.
    rows = apps.get_model('scholars', 'ExtraHours').objects.using(schema_editor.connection.alias)
    rows.filter(mentor__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('mentors', '0017_extra_hours_to_scholars'),
        ('scholars', '0010_preferred_hours'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ExtraHours',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('date', models.DateField()),
                        ('start_time', models.TimeField(validators=[cohort.validators.validate_whole_minute])),
                        ('end_time', models.TimeField(validators=[cohort.validators.validate_whole_minute])),
                        ('note', models.CharField(blank=True, max_length=200)),
                        ('mentor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='extra_hours', to='mentors.mentor')),
                    ],
                    options={
                        'db_table': 'mentors_extrahours',
                        'verbose_name_plural': 'extra hours',
                        'ordering': ['mentor', 'date', 'start_time'],
                        'indexes': [models.Index(fields=['mentor', 'date'], name='extra_hours_mentor_date_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('end_time__gt', models.F('start_time'))), name='extra_hours_end_after_start')],
                    },
                    bases=(cohort.models.MeetingInput, models.Model),
                ),
            ],
        ),
        migrations.AlterModelTable(
            name='extrahours',
            table=None,
        ),
        migrations.RunPython(content_type_to_scholars, content_type_to_mentors),
        migrations.AlterModelOptions(
            name='extrahours',
            options={'ordering': ['date', 'start_time'], 'verbose_name_plural': 'extra hours'},
        ),
        migrations.AlterField(
            model_name='extrahours',
            name='mentor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='extra_hours', to='mentors.mentor'),
        ),
        migrations.RunPython(migrations.RunPython.noop, scholars_rows_delete),
        migrations.AddField(
            model_name='extrahours',
            name='scholar',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='extra_hours', to='scholars.scholar'),
        ),
        migrations.AddIndex(
            model_name='extrahours',
            index=models.Index(fields=['scholar', 'date'], name='extra_hours_scholar_date_idx'),
        ),
        migrations.AddConstraint(
            model_name='extrahours',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('mentor__isnull', False), ('scholar__isnull', True)), models.Q(('mentor__isnull', True), ('scholar__isnull', False)), _connector='OR'), name='extra_hours_belong_to_one_person'),
        ),
    ]
