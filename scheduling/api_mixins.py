"""What API writes share across apps: rows whose change must reach the published meetings at once."""

from __future__ import annotations

from django.db import transaction

from scheduling.services import calendar_inputs_changed, person_cohorts


class CalendarInputsViewSetMixin:
    """For blackouts and mentorships: creating, changing or deleting one re-materialises the meetings of the
    cohorts it touches, in the same transaction, so feeds and reminders follow without a re-plan."""

    def calendar_person(self, instance):
        raise NotImplementedError

    def perform_create(self, serializer) -> None:
        with transaction.atomic():
            super().perform_create(serializer)
            calendar_inputs_changed(cohorts=person_cohorts(self.calendar_person(serializer.instance)))

    def perform_update(self, serializer) -> None:
        with transaction.atomic():
            super().perform_update(serializer)
            calendar_inputs_changed(cohorts=person_cohorts(self.calendar_person(serializer.instance)))

    def perform_destroy(self, instance) -> None:
        cohorts = list(person_cohorts(self.calendar_person(instance)))
        with transaction.atomic():
            super().perform_destroy(instance)
            calendar_inputs_changed(cohorts=cohorts)
