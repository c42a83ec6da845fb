from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save

from cohort.signals import (
    busy_times_changed,
    meeting_inputs_changed,
    person_settings_changed,
    rows_written_in_bulk,
)


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self) -> None:
        # Django loads app configs before any model: the receivers (which import models) can only load now.
        from cohort.throttles import read_ahead_under
        from scheduling import receivers
        from scheduling.views import feed_stamp_keys

        read_ahead_under("/feeds/", feed_stamp_keys)

        meeting_inputs_changed.connect(
            receivers.meetings_follow_inputs, dispatch_uid="meetings_follow_inputs"
        )
        meeting_inputs_changed.connect(
            receivers.integrations_hear_of_mentorships, dispatch_uid="integrations_hear_of_mentorships"
        )
        person_settings_changed.connect(
            receivers.reminders_follow_person, dispatch_uid="reminders_follow_person"
        )
        person_settings_changed.connect(
            receivers.meetings_follow_mentor_place, dispatch_uid="meetings_follow_mentor_place"
        )
        busy_times_changed.connect(
            receivers.clashes_follow_busy_times, dispatch_uid="clashes_follow_busy_times"
        )

        for model in receivers.generation_sources():
            for signal in (post_save, post_delete, m2m_changed, rows_written_in_bulk):
                signal.connect(
                    receivers.cached_reads_follow_writes,
                    sender=model,
                    dispatch_uid=f"cached_reads_follow_writes:{model._meta.label}",
                )
