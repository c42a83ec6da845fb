from django.apps import AppConfig

from cohort.signals import meeting_inputs_changed, person_settings_changed


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self) -> None:
        # Django loads app configs before any model: the receivers (which import models) can only load now.
        from scheduling import receivers

        meeting_inputs_changed.connect(
            receivers.meetings_follow_inputs, dispatch_uid="meetings_follow_inputs"
        )
        person_settings_changed.connect(
            receivers.reminders_follow_person, dispatch_uid="reminders_follow_person"
        )
